"""contact_add: what a new message, reply, note or call does to the case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.cases import services
from guichet.cases.choices import CaseStatus, ContactKind, Direction, EventKind
from guichet.cases.models import Attachment, Case, CaseEvent, Contact
from guichet.cases.services import NewAttachment
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.cases.conftest import case_new, counts

pytestmark = pytest.mark.django_db

S = CaseStatus


def _in_status(case: Case, status: str, agent) -> Case:
    """Walk the case to `status` through the services, as a real agent would."""
    path = {
        S.NEW: [],
        S.OPEN: [S.OPEN],
        S.WAITING_CUSTOMER: [S.WAITING_CUSTOMER],
        S.RESOLVED: [S.RESOLVED],
        S.CLOSED: [S.RESOLVED, S.CLOSED],
    }[status]
    for step in path:
        case = services.case_change_status(actor=agent, case=case, status=step, reason="test")
    return case


def _add(case, actor, kind, body="Merci", **kwargs):
    return services.contact_add(actor=actor, case=case, kind=kind, body_text=body, **kwargs)


# --- the customer writes ------------------------------------------------------------------


@pytest.mark.parametrize("finished", [S.RESOLVED, S.CLOSED])
def test_customer_message_reopens_a_finished_case(case, agent, customer, finished):
    # given a finished case
    case = _in_status(case, finished, agent)
    # when the customer writes again
    _add(case, customer.user, ContactKind.CUSTOMER_MESSAGE, "Toujours pas reçu !")
    case.refresh_from_db()
    # then the case is open again, its finish times cleared, and a "reopened" event says why
    assert case.status == S.OPEN
    assert (case.resolved_at, case.closed_at) == (None, None)
    reopened = CaseEvent.objects.filter(case=case, kind=EventKind.REOPENED).get()
    assert reopened.data == {"old": finished, "new": S.OPEN, "reason": "customer wrote again"}
    assert reopened.actor == customer.user


def test_customer_message_by_email_reopens_with_no_actor(case, agent):
    case = _in_status(case, S.RESOLVED, agent)
    _add(case, None, ContactKind.CUSTOMER_MESSAGE, channel="email")
    reopened = CaseEvent.objects.get(case=case, kind=EventKind.REOPENED)
    assert reopened.actor is None


def test_customer_message_ends_the_wait(case, agent, customer):
    # given a case waiting on the customer
    case = _in_status(case, S.WAITING_CUSTOMER, agent)
    # when the customer answers
    _add(case, customer.user, ContactKind.CUSTOMER_MESSAGE)
    case.refresh_from_db()
    # then it is open again, as a plain status change (not a reopening)
    assert case.status == S.OPEN
    last = CaseEvent.objects.filter(case=case).latest("id")
    assert (last.kind, last.data["old"], last.data["new"]) == (
        EventKind.STATUS_CHANGED,
        S.WAITING_CUSTOMER,
        S.OPEN,
    )
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.REOPENED).exists()


@pytest.mark.parametrize("status", [S.NEW, S.OPEN])
def test_customer_message_leaves_an_active_case_as_it_is(case, agent, customer, status):
    case = _in_status(case, status, agent)
    _add(case, customer.user, ContactKind.CUSTOMER_MESSAGE)
    case.refresh_from_db()
    assert case.status == status
    assert case.first_response_at is None


def test_customer_message_is_inbound_and_authored_by_the_customer(case, customer):
    contact = _add(case, customer.user, ContactKind.CUSTOMER_MESSAGE)
    assert (contact.direction, contact.author_customer, contact.author_user) == (
        Direction.INBOUND,
        customer,
        customer.user,
    )


# --- the agent answers --------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ContactKind.REPLY, ContactKind.CALL])
def test_first_agent_response_sets_first_response_and_opens(case, agent, kind):
    # given a new case
    at = case.created_at + timedelta(minutes=42)
    # when an agent replies or calls the customer
    _add(case, agent, kind, at=at)
    case.refresh_from_db()
    # then the first response time is that moment and the case is open
    assert case.first_response_at == at
    assert case.status == S.OPEN
    opened = CaseEvent.objects.get(case=case, kind=EventKind.STATUS_CHANGED)
    assert (opened.data["old"], opened.data["new"], opened.actor) == (S.NEW, S.OPEN, agent)


def test_later_replies_keep_the_first_response_time(case, agent):
    first = case.created_at + timedelta(minutes=5)
    _add(case, agent, ContactKind.REPLY, at=first)
    _add(case, agent, ContactKind.REPLY, at=first + timedelta(hours=1))
    case.refresh_from_db()
    assert case.first_response_at == first


def test_note_is_not_a_response(case, agent):
    # when an agent only writes an internal note
    contact = _add(case, agent, ContactKind.NOTE, "Client déjà relancé")
    case.refresh_from_db()
    # then the customer has still had no answer and the case is still new
    assert case.first_response_at is None
    assert case.status == S.NEW
    assert contact.direction == Direction.INTERNAL
    assert contact.author_customer is None


def test_reply_while_waiting_keeps_waiting(case, agent):
    case = _in_status(case, S.WAITING_CUSTOMER, agent)
    _add(case, agent, ContactKind.REPLY)
    case.refresh_from_db()
    assert case.status == S.WAITING_CUSTOMER


def test_reply_to_a_resolved_case_does_not_reopen_it(case, agent):
    case = _in_status(case, S.RESOLVED, agent)
    _add(case, agent, ContactKind.REPLY, "Avec plaisir")
    case.refresh_from_db()
    assert case.status == S.RESOLVED


def test_outbound_call_direction_is_kept(case, agent):
    contact = _add(case, agent, ContactKind.CALL, direction=Direction.INBOUND, duration_seconds=120)
    assert (contact.direction, contact.duration_seconds) == (Direction.INBOUND, 120)


def test_reply_is_outbound(case, agent):
    assert _add(case, agent, ContactKind.REPLY).direction == Direction.OUTBOUND


def test_every_contact_is_in_the_timeline(case, agent):
    contact = _add(case, agent, ContactKind.NOTE, channel="phone")
    event = CaseEvent.objects.filter(case=case, kind=EventKind.CONTACT_ADDED).latest("id")
    assert event.data == {"contact_id": contact.pk, "contact_kind": "note", "channel": "phone"}
    assert event.actor == agent


def test_contact_defaults_to_the_case_channel(customer, agent):
    case = case_new(customer=customer, channel="email")
    assert _add(case, agent, ContactKind.REPLY).channel == "email"


def test_contact_moves_updated_at_forward_only(case, agent):
    # given a case updated now
    latest = case.updated_at
    # when a contact is back-dated (demo data, a late import)
    _add(case, agent, ContactKind.NOTE, at=latest - timedelta(days=1))
    case.refresh_from_db()
    # then updated_at does not go back in time
    assert case.updated_at == latest
    later = latest + timedelta(hours=1)
    _add(case, agent, ContactKind.NOTE, at=later)
    case.refresh_from_db()
    assert case.updated_at == later


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ContactKind.NOTE, ContactKind.REPLY, ContactKind.CALL])
def test_customer_cannot_add_agent_kinds(case, customer, kind):
    before = counts()
    with pytest.raises(PermissionDenied):
        _add(case, customer.user, kind)
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("kind", {"kind": "sms"}),
        ("body", {"kind": ContactKind.REPLY, "body": " "}),
        ("channel", {"kind": ContactKind.REPLY, "channel": "pigeon"}),
        ("duration_seconds", {"kind": ContactKind.CALL, "duration_seconds": -1}),
    ],
)
def test_bad_contact_is_refused_with_its_field(case, agent, field, kwargs):
    before = counts()
    kwargs.setdefault("body", "Texte")
    with pytest.raises(ValidationFailed) as caught:
        services.contact_add(actor=agent, case=case, body_text=kwargs.pop("body"), **kwargs)
    assert caught.value.details[0]["field"] == field
    assert counts() == before


def test_contact_on_a_merged_case_is_refused(customer, agent):
    source, target = case_new(customer=customer), case_new(customer=customer)
    services.case_merge(actor=agent, source=source, target=target)
    with pytest.raises(Conflict) as caught:
        _add(source, agent, ContactKind.REPLY)
    assert caught.value.code == "case_merged"


def test_duplicate_external_id_writes_nothing_and_does_not_reopen(case, agent):
    # given a resolved case and an email already recorded on it
    case = _in_status(case, S.RESOLVED, agent)
    _add(case, agent, ContactKind.REPLY, channel="email", external_id="<m1@example.test>")
    before = counts()
    # when the same customer email arrives twice
    with pytest.raises(Conflict) as caught:
        _add(
            case,
            None,
            ContactKind.CUSTOMER_MESSAGE,
            channel="email",
            external_id="<m1@example.test>",
        )
    case.refresh_from_db()
    # then 409, nothing written, and the case is still resolved
    assert caught.value.code == "duplicate_contact"
    assert counts() == before
    assert case.status == S.RESOLVED


def test_contact_with_oversized_attachment_writes_nothing(case, agent, monkeypatch, settings):
    # given a resolved case and a 10-byte limit
    case = _in_status(case, S.RESOLVED, agent)
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 10)
    before = counts()
    # when the customer writes with a file too big
    with pytest.raises(ValidationFailed) as caught:
        _add(
            case,
            None,
            ContactKind.CUSTOMER_MESSAGE,
            attachments=[NewAttachment("ok.txt", b"ok"), NewAttachment("big.bin", b"x" * 11)],
        )
    case.refresh_from_db()
    # then 422, no contact, no event, no attachment, no file, and the case is not reopened
    assert caught.value.details[0]["field"] == "attachments"
    assert counts() == before
    assert Attachment.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "attachments").exists()
    assert case.status == S.RESOLVED


def test_contact_attachments_are_kept(case, agent):
    contact = _add(case, agent, ContactKind.REPLY, attachments=[NewAttachment("a.txt", b"abc")])
    assert list(contact.attachments.values_list("filename", "size")) == [("a.txt", 3)]


def test_html_reply_is_sanitised(case, agent):
    contact = services.contact_add(
        actor=agent,
        case=case,
        kind=ContactKind.REPLY,
        body_html='<p>Bonjour</p><img src=x onerror="alert(1)"><script>x()</script>',
    )
    stored = Contact.objects.get(pk=contact.pk)
    assert "onerror" not in stored.body_html
    assert "<script" not in stored.body_html
    assert stored.body_text == "Bonjour"


def test_at_defaults_to_now(case, agent):
    before = timezone.now()
    contact = _add(case, agent, ContactKind.NOTE)
    assert before <= contact.created_at <= timezone.now()
