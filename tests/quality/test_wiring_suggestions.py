"""Suggested complaints: the customer's own "this is a complaint" (a declaration), keywords in an
inbound message of any channel (the "contact.created" hook), an agent confirming or dismissing.
REQ-CMP-01/02, REQ-LEG-02 (first written complaint), REQ-LEG-07 (receipt)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guichet.cases import services as case_services
from guichet.cases.choices import Channel, ContactKind, EventKind
from guichet.channels.email.services import mailbox_create
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from guichet.quality import selectors, services
from guichet.quality.choices import ComplaintSource
from tests.email_channel.conftest import deliver, message_build
from tests.quality.conftest import MONDAY, case_new

pytestmark = pytest.mark.django_db

CALM = "Bonjour, où en est ma commande ?"


def reply_from_customer(case, customer, *, body: str, at, channel=Channel.PORTAL):
    return case_services.contact_add(
        actor=customer.user,
        case=case,
        kind=ContactKind.CUSTOMER_MESSAGE,
        body_text=body,
        channel=channel,
        at=at,
    )


# ---- the customer says so (portal) ---------------------------------------------------------


def test_a_declaration_waits_for_an_agent_with_the_message_date_and_remedy(customer):
    # given a portal case whose second message is where the customer says "complaint"
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    later = MONDAY + timedelta(days=3)
    contact = reply_from_customer(case, customer, body="Toujours rien.", at=later)
    # when the customer ticks "this is a complaint" with it
    recorded = services.complaint_declaration_record(
        case=case, contact=contact, remedy_sought="Le remboursement"
    )
    # then a suggestion waits, declared, dated by that message, with the remedy sought
    suggestion = selectors.complaint_suggestion_pending(case)
    assert recorded and suggestion is not None
    assert suggestion.declared
    assert suggestion.message_at == later
    assert suggestion.remedy_sought == "Le remboursement"


def test_confirming_a_declaration_dates_the_complaint_from_the_customers_message(customer, agent):
    # given a declaration made with a message three days after the case opened
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    later = MONDAY + timedelta(days=3)
    contact = reply_from_customer(case, customer, body="Toujours rien.", at=later)
    services.complaint_declaration_record(case=case, contact=contact)
    reply_from_customer(case, customer, body="Alors ?", at=later + timedelta(days=2))
    # when an agent confirms it a week later
    complaint = services.complaint_open(
        actor=agent, case=case, remedy_sought="Rembourser", at=later + timedelta(days=7)
    )
    # then the receipt and the first written complaint are the declaring message (REQ-LEG-02/07)
    assert complaint.received_at == later
    assert complaint.first_written_at == later
    assert selectors.complaint_suggestion_pending(case) is None


def test_a_phone_case_gets_its_first_written_date_from_a_written_declaration(customer, agent):
    case = case_new(customer, channel=Channel.PHONE, body=CALM)
    later = MONDAY + timedelta(days=1)
    contact = reply_from_customer(case, customer, body="Je confirme par écrit.", at=later)
    services.complaint_declaration_record(case=case, contact=contact)
    complaint = services.complaint_open(
        actor=agent, case=case, remedy_sought="Rembourser", at=later + timedelta(hours=2)
    )
    assert complaint.first_written_at == later


def test_a_second_declaration_while_one_waits_records_nothing(customer):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    first = case.contacts.get()
    assert services.complaint_declaration_record(case=case, contact=first)
    again = reply_from_customer(case, customer, body="Encore.", at=MONDAY + timedelta(hours=1))
    assert not services.complaint_declaration_record(case=case, contact=again)
    assert case.events.filter(kind=EventKind.COMPLAINT_SUGGESTED).count() == 1


def test_a_declaration_on_a_complaint_records_nothing(customer, agent, complaint):
    contact = reply_from_customer(
        complaint.case, customer, body="Et alors ?", at=MONDAY + timedelta(hours=1)
    )
    assert not services.complaint_declaration_record(case=complaint.case, contact=contact)


def test_a_declaration_needs_a_customer_message_of_the_case(customer, agent):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    note = case_services.contact_add(
        actor=agent, case=case, kind=ContactKind.NOTE, body_text="Note", at=MONDAY
    )
    with pytest.raises(ValidationFailed):
        services.complaint_declaration_record(case=case, contact=note)


# ---- an agent says it is not a complaint ---------------------------------------------------


def test_dismissing_a_declaration_needs_a_reason(customer, agent):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    services.complaint_declaration_record(case=case, contact=case.contacts.get())
    with pytest.raises(ValidationFailed):
        services.complaint_suggestion_dismiss(actor=agent, case=case, note="")
    assert selectors.complaint_suggestion_pending(case) is not None


def test_a_dismissed_suggestion_no_longer_waits_and_is_in_the_timeline(customer, agent):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    services.complaint_declaration_record(case=case, contact=case.contacts.get())
    services.complaint_suggestion_dismiss(actor=agent, case=case, note="Simple question")
    assert selectors.complaint_suggestion_pending(case) is None
    event = case.events.get(kind=EventKind.COMPLAINT_DISMISSED)
    assert event.actor == agent and event.data["note"] == "Simple question"


def test_the_customer_can_declare_again_after_a_dismissal(customer, agent):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    services.complaint_declaration_record(case=case, contact=case.contacts.get())
    services.complaint_suggestion_dismiss(actor=agent, case=case, note="Question")
    later = reply_from_customer(case, customer, body="Si, c'en est une.", at=MONDAY)
    assert services.complaint_declaration_record(case=case, contact=later)
    assert selectors.complaint_suggestion_pending(case).declared


def test_nothing_to_dismiss_is_a_conflict(customer, agent):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    with pytest.raises(Conflict):
        services.complaint_suggestion_dismiss(actor=agent, case=case)


def test_a_customer_cannot_dismiss(customer):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    services.complaint_declaration_record(case=case, contact=case.contacts.get())
    with pytest.raises(PermissionDenied):
        services.complaint_suggestion_dismiss(actor=customer.user, case=case, note="x")


# ---- keywords in any channel's inbound message (the "contact.created" hook) -----------------


def test_an_inbound_message_with_complaint_words_suggests_a_complaint(
    customer, django_capture_on_commit_callbacks
):
    # given a message reading like a complaint, on the API channel
    with django_capture_on_commit_callbacks(execute=True):
        case = case_new(customer, channel=Channel.API, body="C'est inadmissible, je réclame.")
    # then a suggestion (not a declaration) waits, dated by that message
    suggestion = selectors.complaint_suggestion_pending(case)
    assert suggestion is not None and not suggestion.declared
    assert suggestion.source == Channel.API
    assert "inadmissible" in suggestion.keywords
    assert suggestion.message_at == MONDAY


def test_a_calm_message_suggests_nothing(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_new(customer, channel=Channel.EMAIL, body=CALM)
    assert selectors.complaint_suggestion_pending(case) is None


def test_an_agents_reply_with_complaint_words_suggests_nothing(
    customer, agent, django_capture_on_commit_callbacks
):
    case = case_new(customer, channel=Channel.EMAIL, body=CALM)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.contact_add(
            actor=agent,
            case=case,
            kind=ContactKind.REPLY,
            body_text="Vous pouvez saisir le médiateur ou déposer une réclamation.",
        )
    assert selectors.complaint_suggestion_pending(case) is None


def test_an_inbound_email_reading_like_a_complaint_is_suggested(
    team, agent, django_capture_on_commit_callbacks
):
    # given the support mailbox
    mailbox = mailbox_create(address="support@guichet.test", display_name="SC", team=team)
    # when an angry email comes in through the email channel
    with django_capture_on_commit_callbacks(execute=True):
        inbound = deliver(
            message_build(body="Bonjour,\n\nJe suis très mécontente, c'est inacceptable."),
            mailbox,
        )
    # then its case carries a suggestion from the email channel, for an agent to confirm
    suggestion = selectors.complaint_suggestion_pending(inbound.case)
    assert suggestion is not None
    assert suggestion.source == Channel.EMAIL
    assert suggestion.contact_id == inbound.contact.pk


def test_confirming_a_keyword_suggestion_is_a_suggested_complaint(customer, agent):
    case = case_new(customer, channel=Channel.EMAIL)
    services.complaint_suggestion_record(
        case=case, text="inadmissible", source="email", contact=case.contacts.get()
    )
    complaint = services.complaint_open(
        actor=agent, case=case, remedy_sought="x", source=ComplaintSource.SUGGESTED
    )
    assert complaint.source == ComplaintSource.SUGGESTED
    assert complaint.received_at == MONDAY
