"""The acknowledgement of a new case carries a one-time link to follow it (REQ-CMP-06)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from guichet.cases.choices import Channel
from guichet.cases.services import case_open
from guichet.cases.tasks import _acknowledgement_context_providers, case_send_acknowledgement
from guichet.channels.portal.services import portal_acknowledgement_context

from .conftest import tokens_in_outbox

pytestmark = pytest.mark.django_db


def test_case_opened_by_phone_gets_a_follow_link_too(
    agent, customer, django_capture_on_commit_callbacks
):
    # given an agent taking a call, when they open the case
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(
            actor=agent, customer=customer, subject="Appel", body_text="x", channel=Channel.PHONE
        )
    # then the customer's acknowledgement has a link that opens this case once
    assert len(mail.outbox) == 1
    (token,) = tokens_in_outbox()
    client = Client()
    response = client.post(reverse("portal:link", args=[token]))
    assert response.url == reverse("portal:request_detail", args=[case.reference])


def test_email_cases_get_no_portal_acknowledgement(
    agent, customer, django_capture_on_commit_callbacks
):
    # the email channel sends its own threaded acknowledgement: no second email from here
    with django_capture_on_commit_callbacks(execute=True):
        case_open(
            actor=None, customer=customer, subject="Mail", body_text="x", channel=Channel.EMAIL
        )
    assert mail.outbox == []


def test_acknowledgement_without_the_portal_provider_is_unchanged(team, customer, monkeypatch):
    # given the acknowledgement rendered with no provider registered (as before the portal)
    monkeypatch.setattr(
        "guichet.cases.tasks._acknowledgement_context_providers",
        [p for p in _acknowledgement_context_providers if p is not portal_acknowledgement_context],
    )
    case = case_open(actor=None, customer=customer, subject="Sans lien", body_text="x")
    # when it is sent
    case_send_acknowledgement.call(case.pk)
    # then it points to the portal's front page and carries no link
    body = mail.outbox[0].body
    assert "/portal/\n" in body
    assert "/portal/link/" not in body


def test_the_portal_registers_its_provider(db):
    assert portal_acknowledgement_context in _acknowledgement_context_providers
