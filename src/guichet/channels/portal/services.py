"""The portal's own writes: one-time links, portal accounts, and the customer's actions on a case.

Every change to a case still goes through guichet.cases.services (case_open, contact_add,
case_change_status); this module only adds the portal's rules around them (who may reopen and
until when, what an anonymous visitor may do)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.choices import Role
from guichet.accounts.models import User
from guichet.accounts.services import user_create
from guichet.cases.choices import ACTIVE_STATUSES, CaseStatus, Channel, ContactKind
from guichet.cases.models import Case, Category, Contact
from guichet.cases.services import NewAttachment, case_change_status, case_open, contact_add
from guichet.channels.portal.choices import LinkPurpose, LinkState
from guichet.channels.portal.models import PortalLink
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from guichet.customers.models import Customer, CustomerEmail
from guichet.customers.services import customer_create, email_normalise

LINK_SALT = "guichet.portal.link"
SUBJECT_FROM_MESSAGE = 80


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


# --- One-time links -------------------------------------------------------------------------


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def link_lifetime(purpose: str) -> timedelta:
    if purpose == LinkPurpose.FOLLOW:
        return timedelta(days=settings.GUICHET_PORTAL_FOLLOW_LINK_DAYS)
    return timedelta(minutes=settings.GUICHET_PORTAL_SIGN_IN_LINK_MINUTES)


def _longest_lifetime() -> timedelta:
    return max(link_lifetime(LinkPurpose.FOLLOW), link_lifetime(LinkPurpose.SIGN_IN))


@transaction.atomic
def portal_link_create(
    *,
    purpose: str,
    customer: Customer,
    email: str,
    case: Case | None = None,
    next_path: str = "",
    at: datetime | None = None,
) -> str:
    """Store a new one-time link and return its token (shown once, in the email only)."""
    if purpose not in LinkPurpose.values:
        raise _field_error("purpose", _("Unknown link purpose."))
    at = at or timezone.now()
    nonce = secrets.token_urlsafe(24)
    link = PortalLink.objects.create(
        purpose=purpose,
        customer=customer,
        case=case,
        email=email,
        nonce_hash=_nonce_hash(nonce),
        next_path=next_path[:200],
        created_at=at,
        expires_at=at + link_lifetime(purpose),
    )
    return signing.dumps({"i": link.pk, "n": nonce}, salt=LINK_SALT)


def portal_link_url(token: str) -> str:
    return f"{settings.GUICHET_BASE_URL}{reverse('portal:link', args=[token])}"


@dataclass(frozen=True)
class LinkCheck:
    state: LinkState
    link: PortalLink | None = None


def portal_link_check(*, token: str, at: datetime | None = None) -> LinkCheck:
    """Say whether a token is a valid link, without using it (an email scanner that fetches
    the page must not burn the link: only the POST that follows does)."""
    at = at or timezone.now()
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=_longest_lifetime().total_seconds())
    except signing.SignatureExpired:
        return LinkCheck(LinkState.EXPIRED)
    except signing.BadSignature:
        return LinkCheck(LinkState.FORGED)
    if not (
        isinstance(data, dict) and isinstance(data.get("i"), int) and isinstance(data.get("n"), str)
    ):
        return LinkCheck(LinkState.FORGED)
    link = PortalLink.objects.select_related("customer", "case").filter(pk=data["i"]).first()
    if link is None or not hmac.compare_digest(link.nonce_hash, _nonce_hash(data["n"])):
        return LinkCheck(LinkState.FORGED)
    if link.used_at is not None:
        return LinkCheck(LinkState.USED, link)
    if link.expires_at <= at:
        return LinkCheck(LinkState.EXPIRED, link)
    return LinkCheck(LinkState.VALID, link)


@transaction.atomic
def portal_link_use(*, token: str, at: datetime | None = None) -> tuple[User, PortalLink]:
    """Use a link once: mark it used and return the portal account it signs in (created on the
    first sign-in of a known customer)."""
    at = at or timezone.now()
    check = portal_link_check(token=token, at=at)
    if check.state != LinkState.VALID or check.link is None:
        raise Conflict(_("This link cannot be used."), code=f"link_{check.state}")
    claimed = PortalLink.objects.filter(pk=check.link.pk, used_at__isnull=True).update(used_at=at)
    if claimed != 1:  # someone used it between the check and now
        raise Conflict(_("This link cannot be used."), code=f"link_{LinkState.USED}")
    user = portal_user_ensure(customer=check.link.customer)
    return user, check.link


def portal_acknowledgement_context(case: Case) -> dict[str, Any]:
    """For the acknowledgement email of a new case: a one-time link to follow it."""
    if not case.customer.email:
        return {}
    token = portal_link_create(
        purpose=LinkPurpose.FOLLOW, customer=case.customer, email=case.customer.email, case=case
    )
    return {"follow_url": portal_link_url(token)}


def portal_sign_in_link_request(*, email: str, next_path: str = "") -> bool:
    """Send a sign-in link if the address belongs to a customer. Returns whether one is sent;
    the view says the same thing either way, so the form tells nobody who is a customer."""
    from guichet.channels.portal.tasks import portal_send_sign_in_link

    email = email_normalise(email)
    customer = customer_find_by_email(email=email)
    if customer is None:
        return False
    if customer.user_id and not customer.user.is_customer:
        return False
    transaction.on_commit(
        lambda: portal_send_sign_in_link.enqueue(customer.pk, email, next_path), robust=True
    )
    return True


# --- Portal accounts ------------------------------------------------------------------------


def customer_find_by_email(*, email: str) -> Customer | None:
    known = (
        CustomerEmail.objects.select_related("customer__user")
        .filter(address__iexact=email.strip())
        .first()
    )
    if known is not None:
        return known.customer
    return (
        Customer.objects.select_related("user")
        .filter(user__email__iexact=email.strip(), user__role=Role.CUSTOMER)
        .first()
    )


def portal_customer_for_user(*, user: User) -> Customer | None:
    if not user.is_authenticated or not user.is_customer:
        return None
    return Customer.objects.filter(user=user).first()


@transaction.atomic
def portal_language_set(*, user: User, language: str) -> bool:
    """The language chosen with the portal's switch becomes the signed-in customer's language,
    so that the emails they get from now on speak it too. False when there is no customer to
    update (a visitor, an agent)."""
    if language not in dict(settings.LANGUAGES):
        raise _field_error("language", _("Unknown language."))
    customer = portal_customer_for_user(user=user)
    if customer is None:
        return False
    if customer.language != language:
        Customer.objects.filter(pk=customer.pk).update(language=language)
    return True


@transaction.atomic
def portal_user_ensure(*, customer: Customer) -> User:
    """The customer's portal account, created on its first sign-in (role "customer")."""
    customer = (
        Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer.pk)
    )
    refused = PermissionDenied(
        _("This address belongs to a staff account: sign in on the workspace instead."),
        code="not_a_customer_account",
    )
    if customer.user is not None:
        if not customer.user.is_customer:
            raise refused
        if not customer.user.is_active:
            raise PermissionDenied(_("This account is disabled."), code="account_disabled")
        return customer.user
    email = customer.email or (
        CustomerEmail.objects.filter(customer=customer)
        .order_by("-is_primary", "id")
        .values_list("address", flat=True)
        .first()
    )
    if not email:
        raise _field_error("email", _("This customer has no email address."))
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if not user.is_customer or Customer.objects.filter(user=user).exists():
            raise refused
        if not user.is_active:
            raise PermissionDenied(_("This account is disabled."), code="account_disabled")
    else:
        first, _sep, rest = customer.name.strip().partition(" ")
        user = user_create(
            email=email,
            role=Role.CUSTOMER,
            first_name=first[:150],
            last_name=rest.strip()[:150],
            language=customer.language or settings.LANGUAGE_CODE,
        )
    Customer.objects.filter(pk=customer.pk).update(user=user)
    return user


@transaction.atomic
def portal_password_set(*, user: User, password: str) -> None:
    """A customer who prefers a password sets one (the sign-in link keeps working too)."""
    if not user.is_customer:
        raise PermissionDenied(_("Only customers set their password here."))
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages),
            details=[{"field": "new_password1", "message": m} for m in exc.messages],
        ) from exc
    user.set_password(password)
    user.save(update_fields=["password"])


# --- Requests -------------------------------------------------------------------------------


def subject_from_message(message: str) -> str:
    """A subject for a request sent without one: its first line, cut at a word."""
    first_line = next((line for line in message.splitlines() if line.strip()), "")
    words = " ".join(first_line.split())
    if len(words) <= SUBJECT_FROM_MESSAGE:
        return words
    cut = words[:SUBJECT_FROM_MESSAGE].rsplit(" ", 1)[0] or words[:SUBJECT_FROM_MESSAGE]
    return f"{cut}…"


def _complaint_declare(case: Case, contact: Contact | None, remedy_sought: str) -> None:
    """The customer ticked "this is a complaint": suggest it for an agent to confirm (the
    quality app records it; the message's date is the first written complaint, REQ-LEG-02)."""
    from guichet.quality.services import complaint_declaration_record

    if contact is None:
        contact = (
            case.contacts.filter(kind=ContactKind.CUSTOMER_MESSAGE).order_by("created_at", "pk")
        ).first()
    if contact is not None:
        complaint_declaration_record(case=case, contact=contact, remedy_sought=remedy_sought)


def _customer_get_or_create(*, email: str, name: str, language: str) -> Customer:
    email = email_normalise(email)
    customer = customer_find_by_email(email=email)
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return customer_create(name=name, email=email, language=language)
    except (IntegrityError, ValidationFailed):
        # Created by a concurrent request an instant ago.
        customer = customer_find_by_email(email=email)
        if customer is None:
            raise
        return customer


@transaction.atomic
def portal_request_open(
    *,
    name: str,
    email: str,
    message: str,
    category: Category | None = None,
    attachments: list[NewAttachment] | None = None,
    language: str = "",
    complaint: bool = False,
    remedy_sought: str = "",
) -> Case:
    """A visitor without an account asks for help: the customer is found by email (or
    created) and the case opened. The visitor sees nothing of that customer's other cases:
    following this one takes the link sent to the address."""
    language = language if language in ("fr", "en") else settings.LANGUAGE_CODE
    customer = _customer_get_or_create(email=email, name=name, language=language)
    case = case_open(
        actor=None,
        customer=customer,
        subject=subject_from_message(message) or _("Request"),
        body_text=message,
        channel=Channel.PORTAL,
        category=category,
        attachments=attachments,
    )
    if complaint:
        _complaint_declare(case, None, remedy_sought)
    return case


@transaction.atomic
def portal_case_new(
    *,
    user: User,
    subject: str,
    message: str,
    category: Category | None = None,
    attachments: list[NewAttachment] | None = None,
    follows: Case | None = None,
    complaint: bool = False,
    remedy_sought: str = "",
) -> Case:
    """A signed-in customer opens a new request, possibly following up an older one."""
    customer = portal_customer_for_user(user=user)
    if customer is None:
        raise PermissionDenied(_("Only customers open requests here."))
    body = message
    if follows is not None:
        body = _("Follow-up to my request %(reference)s.") % {"reference": follows.reference}
        body = f"{body}\n\n{message}"
    case = case_open(
        actor=user,
        customer=customer,
        subject=subject,
        body_text=body,
        channel=Channel.PORTAL,
        category=category,
        attachments=attachments,
    )
    if complaint:
        _complaint_declare(case, None, remedy_sought)
    return case


def portal_can_reply(case: Case) -> bool:
    return case.merged_into_id is None and case.status in ACTIVE_STATUSES


def portal_reopen_deadline(case: Case) -> datetime | None:
    """Until when the customer may reopen this case; None if it cannot be reopened."""
    if case.merged_into_id or case.status != CaseStatus.RESOLVED or case.resolved_at is None:
        return None
    return case.resolved_at + timedelta(days=settings.GUICHET_REOPEN_DAYS)


def portal_can_reopen(case: Case, *, at: datetime | None = None) -> bool:
    deadline = portal_reopen_deadline(case)
    return deadline is not None and (at or timezone.now()) <= deadline


@transaction.atomic
def portal_reply(
    *,
    user: User,
    case: Case,
    message: str,
    attachments: list[NewAttachment] | None = None,
    complaint: bool = False,
    remedy_sought: str = "",
) -> Contact:
    """The customer writes on an open case. A finished case is reopened only with a reason
    (portal_case_reopen), so a reply cannot silently reopen it past the delay."""
    if not portal_can_reply(case):
        raise Conflict(
            _("This request is finished: reopen it or open a new request."), code="case_finished"
        )
    contact = contact_add(
        actor=user,
        case=case,
        kind=ContactKind.CUSTOMER_MESSAGE,
        body_text=message,
        channel=Channel.PORTAL,
        attachments=attachments,
    )
    if complaint:
        _complaint_declare(case, contact, remedy_sought)
    return contact


@transaction.atomic
def portal_case_reopen(*, user: User, case: Case, reason: str, at: datetime | None = None) -> Case:
    """Reopen a resolved case within GUICHET_REOPEN_DAYS; the reason joins the conversation."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("Tell us why the request is not settled."))
    if not portal_can_reopen(case, at=at):
        raise Conflict(
            _("This request can no longer be reopened: open a new request instead."),
            code="reopen_too_late",
        )
    case = case_change_status(actor=user, case=case, status=CaseStatus.OPEN, reason=reason, at=at)
    contact_add(
        actor=user,
        case=case,
        kind=ContactKind.CUSTOMER_MESSAGE,
        body_text=reason,
        channel=Channel.PORTAL,
        at=at,
    )
    return case
