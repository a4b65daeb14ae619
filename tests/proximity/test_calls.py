"""Calls logged in a few keystrokes count like any contact (first response, FCR)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guichet.cases.choices import CaseStatus, Channel, ContactKind
from guichet.cases.models import Case, Contact
from guichet.cases.services import case_open
from guichet.core.errors import PermissionDenied, ValidationFailed
from guichet.proximity.services.calls import call_log, duration_parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer, agent):
    return case_open(actor=None, customer=customer, subject="Colis", body_text="Où ?")


def test_a_call_on_a_case_is_a_first_response(case, agent):
    contact = call_log(actor=agent, case=case, direction="outbound", duration_seconds=180)
    case.refresh_from_db()
    assert contact.kind == ContactKind.CALL
    assert contact.channel == Channel.PHONE
    assert contact.duration_seconds == 180
    assert case.first_response_at == contact.created_at


def test_an_unanswered_call_is_a_note_not_a_response(case, agent):
    contact = call_log(actor=agent, case=case, direction="outbound", outcome="voicemail")
    case.refresh_from_db()
    assert contact.kind == ContactKind.NOTE
    assert case.first_response_at is None


def test_an_inbound_call_opens_a_phone_case_owned_by_whoever_took_it(customer, other_agent):
    contact = call_log(
        actor=other_agent, customer=customer, direction="inbound", subject="Facture",
        notes="Explained the invoice", resolve=True,
    )  # fmt: skip
    case = Case.objects.get(pk=contact.case_id)
    assert case.channel == Channel.PHONE
    assert case.owner == other_agent
    assert case.status == CaseStatus.RESOLVED
    kinds = list(case.contacts.order_by("id").values_list("kind", flat=True))
    assert kinds == [ContactKind.CUSTOMER_MESSAGE, ContactKind.CALL]


def test_a_new_call_case_needs_a_subject(customer, agent):
    with pytest.raises(ValidationFailed):
        call_log(actor=agent, customer=customer, direction="inbound")


def test_customers_cannot_log_calls(case, customer):
    with pytest.raises(PermissionDenied):
        call_log(actor=customer.user, case=case, direction="inbound")


@pytest.mark.parametrize(("text", "seconds"), [("4", 240), ("4:30", 270), ("", None)])
def test_durations_are_typed_as_minutes(text, seconds):
    assert duration_parse(text) == seconds


def test_a_bad_duration_is_refused():
    with pytest.raises(ValidationFailed):
        duration_parse("4:75")


def test_the_call_form_logs_on_the_case_page(case, agent):
    client = Client()
    client.force_login(agent)
    response = client.post(
        reverse("proximity:call_new"),
        {"case": case.reference, "direction": "inbound", "duration": "3", "outcome": "reached",
         "notes": "Rassurée"},
    )  # fmt: skip
    assert response.status_code == 303
    assert Contact.objects.filter(case=case, kind=ContactKind.CALL).count() == 1


def test_the_call_form_is_not_found_for_a_case_the_agent_cannot_see(customer, agent):
    from guichet.accounts.services import team_create, user_create

    elsewhere = team_create(name="Facturation")
    outsider = user_create(email="out@guichet.test", first_name="Out")
    elsewhere.members.add(outsider)
    client = Client()
    client.force_login(outsider)
    case = case_open(actor=None, customer=customer, subject="Colis", body_text="Où ?")
    response = client.get(reverse("proximity:call_new") + f"?case={case.reference}")
    assert response.status_code == 404


def test_the_api_logs_a_call(case, agent_api):
    response = agent_api.post(
        "/api/v1/calls",
        {"case": case.reference, "direction": "outbound", "duration_seconds": 60},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "call"
