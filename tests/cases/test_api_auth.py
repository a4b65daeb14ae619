"""API authentication: bearer tokens (hashed, revocable, expiring) and the browser session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from guichet.accounts.models import ApiToken
from guichet.accounts.services import api_token_create, api_token_revoke
from tests.cases.conftest import json_post

pytestmark = pytest.mark.django_db

NEW_CASE = {"subject": "Colis", "body": "Où est mon colis ?"}


def _assert_401(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json() == {
        "message": "Authentication required.",
        "code": "unauthorized",
        "details": {},
    }


def _with_token(secret: str) -> Client:
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})


ENDPOINTS = [
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/G-000001"),
    ("get", "/api/v1/cases/G-000001/events"),
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/cases"),
    ("post", "/api/v1/cases/G-000001/contacts"),
    ("post", "/api/v1/cases/G-000001/status"),
    ("post", "/api/v1/cases/G-000001/assign"),
    ("post", "/api/v1/cases/G-000001/merge"),
    ("patch", "/api/v1/cases/G-000001"),
    ("post", "/api/v1/customers"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_endpoint_needs_authentication(case, method, url):
    # given a case exists, when someone calls without any credentials
    client = Client(enforce_csrf_checks=True)  # as a real HTTP client: no test-client CSRF bypass
    response = getattr(client, method)(url, {}, content_type="application/json")
    # then 401 with the error shape, whatever the method (no CSRF noise without a session)
    _assert_401(response)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer gch_nope_nope",
        "Bearer ",
        "Bearer not-even-our-format",
        "Token gch_abc",
        "gch_abc",
        "Bearer " + "x" * 5000,
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_bad_token_is_401(db, header, method):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": header})
    response = getattr(client, method)("/api/v1/cases", NEW_CASE, content_type="application/json")
    _assert_401(response)


def test_revoked_token_is_401(agent):
    token, secret = api_token_create(email=agent.email)
    assert _with_token(secret).get("/api/v1/cases").status_code == 200
    api_token_revoke(token=token)
    _assert_401(_with_token(secret).get("/api/v1/cases"))


def test_expired_token_is_401(agent):
    token, secret = api_token_create(email=agent.email, days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_401(_with_token(secret).get("/api/v1/cases"))


def test_token_of_a_deactivated_user_is_401(agent):
    _token, secret = api_token_create(email=agent.email)
    agent.is_active = False
    agent.save()
    _assert_401(_with_token(secret).get("/api/v1/cases"))


def test_token_is_stored_hashed_and_records_its_use(agent):
    token, secret = api_token_create(email=agent.email)
    assert secret not in (token.key_hash, token.prefix)
    assert not ApiToken.objects.filter(key_hash=secret).exists()
    _with_token(secret).get("/api/v1/cases")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_with_one_character_changed_is_refused(agent):
    _token, secret = api_token_create(email=agent.email)
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    _assert_401(_with_token(tampered).get("/api/v1/cases"))


# --- session ------------------------------------------------------------------------------


@pytest.fixture
def session_client(agent) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    return client


def test_session_works_for_reading(session_client, case):
    response = session_client.get("/api/v1/cases")
    assert response.status_code == 200
    assert [c["reference"] for c in response.json()["items"]] == [case.reference]


def test_session_post_without_csrf_token_is_403(session_client, customer):
    response = json_post(
        session_client, "/api/v1/cases", {**NEW_CASE, "customer": {"email": customer.email}}
    )
    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"message", "code", "details"}
    assert body["code"] == "csrf_failed"


def test_session_post_with_csrf_token_is_accepted(session_client, customer):
    # given the CSRF cookie the web pages hand out
    csrf = get_random_string(32)
    session_client.cookies["csrftoken"] = csrf
    # when the page posts with the token in the header
    response = session_client.post(
        "/api/v1/cases",
        {**NEW_CASE, "customer": {"email": customer.email}},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    # then the case is created
    assert response.status_code == 201, response.content


def test_session_of_a_deactivated_user_is_401(session_client, agent):
    agent.is_active = False
    agent.save()
    _assert_401(session_client.get("/api/v1/cases"))


def test_bearer_token_needs_no_csrf_token(agent, customer):
    _token, secret = api_token_create(email=agent.email)
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})
    response = json_post(
        client, "/api/v1/cases", {**NEW_CASE, "customer": {"email": customer.email}}
    )
    assert response.status_code == 201, response.content
