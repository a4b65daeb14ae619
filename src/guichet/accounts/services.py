from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from guichet.accounts.choices import STAFF_ROLES, Role
from guichet.accounts.models import ApiToken, Team, User
from guichet.core.errors import ApplicationError, NotFound, ValidationFailed

TOKEN_PREFIX = "gch_"  # noqa: S105 (a public marker, not a secret)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("Enter a valid email address."),
            details=[{"field": "email", "message": _("Enter a valid email address.")}],
        ) from exc
    return email


@transaction.atomic
def user_create(
    *,
    email: str,
    role: str = Role.AGENT,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    language: str = "fr",
) -> User:
    email = _clean_email(email)
    if role not in Role.values:
        raise ValidationFailed(
            _("Unknown role."), details=[{"field": "role", "message": _("Unknown role.")}]
        )
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(
            _("A user with this email already exists."),
            details=[{"field": "email", "message": _("A user with this email already exists.")}],
        )
    user = User(
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        language=language,
        is_staff=role == Role.ADMINISTRATOR,
        is_superuser=role == Role.ADMINISTRATOR,
    )
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                " ".join(exc.messages),
                details=[{"field": "password", "message": m} for m in exc.messages],
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def administrator_ensure(*, email: str, password: str | None) -> tuple[User, str | None]:
    """Create the first administrator if absent. Returns (user, generated_password or None).

    Idempotent: an existing account is left as it is (its password is never reset behind the
    operator's back)."""
    email = _clean_email(email)
    existing = User.objects.filter(email__iexact=email).first()
    if existing:
        return existing, None
    generated = None
    if not password:
        generated = secrets.token_urlsafe(12)
        password = generated
    user = User.objects.create_superuser(email=email, password=password, first_name="Admin")
    return user, generated


@transaction.atomic
def team_create(*, name: str, members: list[User] | None = None, is_default: bool = False) -> Team:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("A team needs a name."), details=[{"field": "name", "message": _("Required.")}]
        )
    if is_default:
        Team.objects.filter(is_default=True).update(is_default=False)
    team = Team.objects.create(name=name, slug=slugify(name)[:100] or "team", is_default=is_default)
    if members:
        for member in members:
            if member.role not in STAFF_ROLES:
                raise ValidationFailed(_("Only agents can be team members."))
        team.members.add(*members)
    return team


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, email: str, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the user with this email; returns (token row, the secret shown once)."""
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None:
        raise NotFound(_("No active user with the email %(email)s.") % {"email": email})
    days = settings.GUICHET_API_TOKEN_DAYS if days is None else days
    if days < 0:
        raise ValidationFailed(_("The validity must be zero (no expiry) or a number of days."))
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=_token_hash(secret),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    return token, secret


def api_token_authenticate(*, raw: str) -> User | None:
    """The active user behind a bearer token, or None if unknown, revoked or expired."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    # Written at most once a minute: a hot token must not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at:
        raise ApplicationError(_("This token is already revoked."), code="already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
