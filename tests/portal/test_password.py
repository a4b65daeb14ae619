"""Customers who prefer a password set one in the portal and sign in with it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guichet.channels.portal.models import PortalThrottle

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("portal:account")
SIGN_IN = reverse("portal:sign_in")
GOOD = "Colis-bleu-2026"


def sign_in(client: Client, email: str, password: str, **extra):
    return client.post(
        SIGN_IN,
        {"way": "password", "password-email": email, "password-password": password, **extra},
    )


def test_customer_without_password_sets_one_and_signs_in_with_it(customer_client, customer):
    # given a customer who only ever used links
    assert not customer.user.has_usable_password()
    # when they set a password
    response = customer_client.post(
        ACCOUNT, {"new_password1": GOOD, "new_password2": GOOD}, follow=True
    )
    # then they stay signed in, and the password works from another browser
    assert response.status_code == 200
    assert "Your password is set" in response.content.decode()
    fresh = Client()
    assert sign_in(fresh, customer.email, GOOD).url == reverse("portal:requests")
    assert int(fresh.session["_auth_user_id"]) == customer.user.pk


def test_changing_a_password_asks_for_the_current_one(customer_client, customer):
    customer.user.set_password(GOOD)
    customer.user.save()
    customer_client.force_login(customer.user)
    response = customer_client.post(
        ACCOUNT,
        {
            "old_password": "wrong",
            "new_password1": "Other-pass-99",
            "new_password2": "Other-pass-99",
        },
    )
    assert response.status_code == 422
    assert 'id="id_old_password_error"' in response.content.decode()
    customer.user.refresh_from_db()
    assert customer.user.check_password(GOOD)


def test_weak_or_mismatched_passwords_are_refused_on_their_fields(customer_client, customer):
    weak = customer_client.post(ACCOUNT, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 422
    assert 'id="id_new_password1_error"' in weak.content.decode()
    differ = customer_client.post(ACCOUNT, {"new_password1": GOOD, "new_password2": GOOD + "x"})
    assert 'id="id_new_password2_error"' in differ.content.decode()
    customer.user.refresh_from_db()
    assert not customer.user.has_usable_password()


def test_wrong_password_is_refused_and_counted(client, customer):
    customer.user.set_password(GOOD)
    customer.user.save()
    response = sign_in(client, customer.email, "nope")
    assert response.status_code == 422
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert PortalThrottle.objects.filter(action="password_failure").count() == 2


def test_repeated_wrong_passwords_are_held_back(client, customer, settings):
    # given a limit of 3 failures per email
    settings.GUICHET_PORTAL_RATE_PER_EMAIL = 3
    customer.user.set_password(GOOD)
    customer.user.save()
    for _ in range(3):
        sign_in(client, customer.email, "nope")
    # when even the right password comes next
    response = sign_in(client, customer.email, GOOD)
    # then the attempt is refused with 429 until the window passes
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_staff_cannot_sign_in_through_the_portal_password_form(client, agent):
    agent.set_password(GOOD)
    agent.save()
    response = sign_in(client, agent.email, GOOD)
    assert response.status_code == 422
    assert "staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_sign_in_goes_to_the_asked_portal_page(client, customer):
    customer.user.set_password(GOOD)
    customer.user.save()
    assert sign_in(client, customer.email, GOOD, next="/portal/requests/new/").url == (
        "/portal/requests/new/"
    )
    other = Client()
    assert sign_in(other, customer.email, GOOD, next="//evil.example/").url == reverse(
        "portal:requests"
    )


def test_sign_out_ends_the_session(customer_client):
    response = customer_client.post(reverse("portal:sign_out"))
    assert response.status_code == 302
    assert customer_client.get(reverse("portal:requests")).status_code == 302


def test_sign_out_by_get_is_not_allowed(customer_client):
    assert customer_client.get(reverse("portal:sign_out")).status_code == 405


def test_signed_in_customer_skips_the_sign_in_page(customer_client):
    response = customer_client.get(SIGN_IN)
    assert response.status_code == 302
    assert response.url == reverse("portal:requests")
