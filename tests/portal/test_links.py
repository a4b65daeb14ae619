"""One-time links: signed, expiring, single use; the account is created on first sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.accounts.choices import Role
from guichet.accounts.models import User
from guichet.accounts.services import user_create
from guichet.channels.portal.choices import LinkPurpose
from guichet.channels.portal.models import PortalLink
from guichet.channels.portal.services import LINK_SALT, portal_link_create
from guichet.customers.services import customer_create

from .conftest import tokens_in_outbox

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("portal:sign_in")


def link_url(token: str) -> str:
    return reverse("portal:link", args=[token])


@pytest.fixture
def walk_in(db):
    """A customer known by email (they wrote once) who never signed in: no portal account."""
    return customer_create(name="Paul Petit", email="paul.petit@example.test", language="en")


def ask_for_link(client: Client, email: str, **extra):
    return client.post(SIGN_IN, {"way": "link", "link-email": email, **extra})


def test_known_address_gets_a_sign_in_link(client, walk_in, django_capture_on_commit_callbacks):
    # given a known customer, when they ask for a link
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(client, "Paul.Petit@example.test")
    # then one email carries a link, and the page says to look in the mailbox
    assert response.status_code == 302
    assert response.url == reverse("portal:link_sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["paul.petit@example.test"]
    assert len(tokens_in_outbox()) == 1
    assert "30 minutes" in mail.outbox[0].body


def test_unknown_address_gets_the_same_answer_and_no_email(
    client, db, django_capture_on_commit_callbacks
):
    # given an address nobody wrote from
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(client, "stranger@example.test")
    # then the answer is the same (nobody learns who is a customer), and no email is sent
    assert response.status_code == 302
    assert response.url == reverse("portal:link_sent")
    assert mail.outbox == []
    assert not PortalLink.objects.exists()


def test_staff_address_gets_no_portal_link(client, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(client, agent.email)
    assert mail.outbox == []


def test_opening_a_link_does_not_use_it(client, walk_in):
    # given a fresh link
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    # when it is opened (as a mail scanner would)
    response = client.get(link_url(token))
    # then a button asks to continue, the link stays unused and nobody is signed in
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert PortalLink.objects.get().used_at is None
    assert "_auth_user_id" not in client.session


def test_first_sign_in_creates_the_customer_account(client, walk_in):
    # given a known customer without a portal account, with a link
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    # when they use it
    response = client.post(link_url(token))
    # then a "customer" user is created, linked, and signed in
    assert response.status_code == 302
    assert response.url == reverse("portal:requests")
    walk_in.refresh_from_db()
    user = walk_in.user
    assert user is not None
    assert user.role == Role.CUSTOMER
    assert user.email == "paul.petit@example.test"
    assert user.first_name == "Paul"
    assert not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk


def test_existing_account_is_reused(client, customer):
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=customer, email=customer.email)
    client.post(link_url(token))
    assert User.objects.filter(role=Role.CUSTOMER, email=customer.email).count() == 1
    assert int(client.session["_auth_user_id"]) == customer.user.pk


def test_a_link_works_only_once(walk_in):
    # given a link already used
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    Client().post(link_url(token))
    # when someone uses it again
    second = Client()
    response = second.post(link_url(token))
    # then it is refused as used, and this browser is not signed in
    assert response.status_code == 410
    assert "already used" in response.content.decode()
    assert "_auth_user_id" not in second.session
    assert second.get(link_url(token)).status_code == 410


def test_an_expired_sign_in_link_is_refused(client, walk_in, settings):
    # given a sign-in link made 31 minutes ago (limit 30)
    settings.GUICHET_PORTAL_SIGN_IN_LINK_MINUTES = 30
    token = portal_link_create(
        purpose=LinkPurpose.SIGN_IN,
        customer=walk_in,
        email=walk_in.email,
        at=timezone.now() - timedelta(minutes=31),
    )
    # when it is used
    response = client.post(link_url(token))
    # then it is refused as expired, and nobody is signed in
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert PortalLink.objects.get().used_at is None


def test_a_follow_link_lives_longer_than_a_sign_in_link(client, walk_in, settings):
    # given a follow link made two days ago (follow links last 14 days)
    settings.GUICHET_PORTAL_FOLLOW_LINK_DAYS = 14
    token = portal_link_create(
        purpose=LinkPurpose.FOLLOW,
        customer=walk_in,
        email=walk_in.email,
        at=timezone.now() - timedelta(days=2),
    )
    # then it still works
    assert client.get(link_url(token)).status_code == 200


def test_an_old_signature_is_refused_even_if_the_row_says_otherwise(client, walk_in):
    # given a link whose row was (wrongly) extended, but whose signature is older than any lifetime
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    PortalLink.objects.update(expires_at=timezone.now() + timedelta(days=365))
    later = timezone.now() + timedelta(days=30)
    # when it is checked a month later (the signature's own clock)
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.post(link_url(token))
    # then it is refused as expired
    assert response.status_code == 410


def test_a_forged_link_is_refused(client, walk_in):
    # given a real link whose nonce is swapped for another one, re-signed without our key
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    link_id = PortalLink.objects.get().pk
    forged = signing.dumps({"i": link_id, "n": "guess"}, key="not-our-key", salt=LINK_SALT)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    # when either is used
    for candidate in (forged, tampered, "garbage"):
        response = client.post(link_url(candidate))
        # then it is not found, and nobody is signed in
        assert response.status_code == 404
    assert "_auth_user_id" not in client.session
    assert PortalLink.objects.get().used_at is None


def test_a_correctly_signed_link_with_a_wrong_nonce_is_refused(client, walk_in):
    # given a token signed with our key (say, leaked key) but not matching the stored nonce
    portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    link_id = PortalLink.objects.get().pk
    token = signing.dumps({"i": link_id, "n": "not-the-nonce"}, salt=LINK_SALT)
    # then it is refused
    assert client.post(link_url(token)).status_code == 404


def test_nonce_is_stored_only_as_a_hash(walk_in):
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    nonce = signing.loads(token, salt=LINK_SALT)["n"]
    row = PortalLink.objects.get()
    assert nonce not in row.nonce_hash
    assert len(row.nonce_hash) == 64


def test_follow_link_opens_its_case(client, team, walk_in, open_case):
    # given a follow link for a case
    case = open_case(walk_in)
    token = portal_link_create(
        purpose=LinkPurpose.FOLLOW, customer=walk_in, email=walk_in.email, case=case
    )
    # when the customer uses it
    response = client.post(link_url(token), follow=True)
    # then they land on that case
    assert response.redirect_chain[-1][0] == reverse("portal:request_detail", args=[case.reference])
    assert case.reference in response.content.decode()


def test_link_for_a_customer_whose_address_is_a_staff_account_is_refused(client, agent):
    # given a customer record sharing an agent's address (say, the agent once asked for help)
    shared = customer_create(name="Camille", email=agent.email)
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=shared, email=shared.email)
    # when the link is used
    response = client.post(link_url(token))
    # then it does not sign anyone in as the agent
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_disabled_customer_account_cannot_sign_in_by_link(client, customer):
    User.objects.filter(pk=customer.user.pk).update(is_active=False)
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=customer, email=customer.email)
    response = client.post(link_url(token))
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_sign_in_link_keeps_a_portal_next_page_only(
    client, walk_in, django_capture_on_commit_callbacks
):
    # given a visitor sent to sign in on the way to "new request", and another sent from outside
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(client, walk_in.email, next="/portal/requests/new/")
        ask_for_link(client, walk_in.email, next="https://evil.example/")
    first, second = tokens_in_outbox()
    # then the first goes there after sign-in, the second to the portal's own list
    assert Client().post(link_url(first)).url == "/portal/requests/new/"
    assert Client().post(link_url(second)).url == reverse("portal:requests")


def test_link_requests_are_rate_limited(client, walk_in, settings):
    # given a limit of two links an hour per email
    settings.GUICHET_PORTAL_RATE_PER_EMAIL = 2
    for _ in range(2):
        assert ask_for_link(client, walk_in.email).status_code == 302
    # when a third is asked for
    response = ask_for_link(client, walk_in.email)
    # then it is refused with 429
    assert response.status_code == 429


def test_customer_created_on_first_sign_in_keeps_another_customer_separate(client, walk_in):
    # given an unrelated customer-role user with a different address
    user_create(email="someone@example.test", role=Role.CUSTOMER)
    token = portal_link_create(purpose=LinkPurpose.SIGN_IN, customer=walk_in, email=walk_in.email)
    client.post(link_url(token))
    walk_in.refresh_from_db()
    assert walk_in.user.email == walk_in.email
