"""Accounts: users, the first administrator, teams, API tokens (hashed, expiring, revocable)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.accounts.choices import Role
from guichet.accounts.models import ApiToken, Team, User
from guichet.accounts.services import (
    TOKEN_PREFIX,
    administrator_ensure,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    team_create,
    user_create,
)
from guichet.core.errors import ApplicationError, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


# --- users --------------------------------------------------------------------------------


def test_user_email_is_normalised_and_without_password_unusable():
    user = user_create(email="  Camille@Guichet.TEST ")
    assert user.email == "camille@guichet.test"
    assert not user.has_usable_password()
    assert (user.role, user.is_staff) == (Role.AGENT, False)


def test_duplicate_email_is_refused_whatever_its_case():
    user_create(email="camille@guichet.test")
    with pytest.raises(ValidationFailed) as caught:
        user_create(email="CAMILLE@guichet.test")
    assert caught.value.details[0]["field"] == "email"


def test_unknown_role_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        user_create(email="x@guichet.test", role="king")
    assert caught.value.details[0]["field"] == "role"


def test_weak_password_is_refused_and_no_user_created():
    with pytest.raises(ValidationFailed) as caught:
        user_create(email="x@guichet.test", password="123")
    assert caught.value.details[0]["field"] == "password"
    assert not User.objects.exists()


def test_strong_password_is_set():
    user = user_create(email="x@guichet.test", password="correct horse battery 42")
    assert user.check_password("correct horse battery 42")


def test_administrator_role_opens_the_admin_site():
    user = user_create(email="admin@guichet.test", role=Role.ADMINISTRATOR)
    assert (user.is_staff, user.is_superuser) == (True, True)


@pytest.mark.parametrize(
    ("role", "is_agent", "sees_all", "is_customer"),
    [
        (Role.ADMINISTRATOR, True, True, False),
        (Role.SUPERVISOR, True, True, False),
        (Role.AGENT, True, False, False),
        (Role.CUSTOMER, False, False, True),
    ],
)
def test_role_properties(role, is_agent, sees_all, is_customer):
    user = user_create(email=f"{role}@guichet.test", role=role)
    assert (user.is_agent, user.sees_all_teams, user.is_customer) == (
        is_agent,
        sees_all,
        is_customer,
    )


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.SUPERVISOR, Role.AGENT])
def test_inactive_staff_loses_every_power(role):
    user = user_create(email="x@guichet.test", role=role)
    user.is_active = False
    assert (user.is_agent, user.sees_all_teams) == (False, False)


def test_display_name_falls_back_to_email():
    assert user_create(email="x@guichet.test").display_name == "x@guichet.test"
    assert (
        user_create(email="y@guichet.test", first_name="Ada", last_name="L").display_name == "Ada L"
    )


def test_administrator_ensure_is_idempotent():
    user, generated = administrator_ensure(email="admin@guichet.test", password="s3cret-Pass-w0rd")
    assert generated is None
    assert user.check_password("s3cret-Pass-w0rd")
    again, generated_again = administrator_ensure(email="ADMIN@guichet.test", password="other")
    assert (again, generated_again) == (user, None)
    again.refresh_from_db()
    assert again.check_password("s3cret-Pass-w0rd")  # never reset behind the operator's back


def test_administrator_ensure_generates_a_password_once():
    user, generated = administrator_ensure(email="admin@guichet.test", password=None)
    assert generated and len(generated) >= 12
    assert user.check_password(generated)
    assert user.role == Role.ADMINISTRATOR


# --- teams --------------------------------------------------------------------------------


def test_only_one_default_team():
    first = team_create(name="Accueil", is_default=True)
    second = team_create(name="Facturation", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert Team.objects.filter(is_default=True).count() == 1


def test_team_needs_a_name():
    with pytest.raises(ValidationFailed):
        team_create(name=" ")


def test_customer_cannot_be_a_team_member_and_nothing_is_created():
    customer = user_create(email="client@example.test", role=Role.CUSTOMER)
    with pytest.raises(ValidationFailed):
        team_create(name="Accueil", members=[customer])
    assert not Team.objects.exists()


def test_team_slug_comes_from_the_name():
    assert team_create(name="Service après-vente").slug == "service-apres-vente"


# --- API tokens ---------------------------------------------------------------------------


@pytest.fixture
def someone(db) -> User:
    return user_create(email="camille@guichet.test")


def test_token_secret_is_shown_once_and_stored_hashed(someone):
    token, secret = api_token_create(email=someone.email, name="CRM")
    assert secret.startswith(TOKEN_PREFIX)
    assert len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in {stored.key_hash, stored.prefix, stored.name}
    assert len(stored.key_hash) == 64


def test_token_authenticates_its_user(someone):
    _token, secret = api_token_create(email=someone.email)
    assert api_token_authenticate(raw=secret) == someone


def test_token_expires_after_the_configured_days(someone, settings):
    settings.GUICHET_API_TOKEN_DAYS = 30
    token, _secret = api_token_create(email=someone.email)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)


def test_zero_days_means_no_expiry(someone):
    token, _secret = api_token_create(email=someone.email, days=0)
    assert token.expires_at is None


def test_negative_days_are_refused(someone):
    with pytest.raises(ValidationFailed):
        api_token_create(email=someone.email, days=-1)


def test_token_for_unknown_or_inactive_user_is_refused(someone):
    with pytest.raises(NotFound):
        api_token_create(email="nobody@guichet.test")
    someone.is_active = False
    someone.save()
    with pytest.raises(NotFound):
        api_token_create(email=someone.email)


@pytest.mark.parametrize("raw", ["", "gch_", "gch_unknown_secret", "Bearer gch_x", "x" * 100])
def test_unknown_tokens_authenticate_nobody(someone, raw):
    api_token_create(email=someone.email)
    assert api_token_authenticate(raw=raw) is None


def test_revoked_token_authenticates_nobody_and_cannot_be_revoked_twice(someone):
    token, secret = api_token_create(email=someone.email)
    api_token_revoke(token=token)
    assert api_token_authenticate(raw=secret) is None
    with pytest.raises(ApplicationError):
        api_token_revoke(token=token)


def test_expired_token_authenticates_nobody(someone):
    token, secret = api_token_create(email=someone.email)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert api_token_authenticate(raw=secret) is None


def test_last_use_is_written_at_most_once_a_minute(someone, django_assert_num_queries):
    token, secret = api_token_create(email=someone.email)
    with django_assert_num_queries(2):  # read + first last_used_at write
        api_token_authenticate(raw=secret)
    with django_assert_num_queries(1):  # read only
        api_token_authenticate(raw=secret)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    with django_assert_num_queries(2):
        api_token_authenticate(raw=secret)
