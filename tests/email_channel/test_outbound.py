"""Outbound: agents' replies leave as threaded emails (locmem backend), acknowledgements are
threaded to the customer's message, failures are recorded and retried."""

from __future__ import annotations

import pytest
from django.core import mail

from guichet.accounts.services import team_create
from guichet.cases.choices import Channel, ContactKind
from guichet.cases.services import case_open, contact_add
from guichet.channels.email.choices import OutboundKind, OutboundState
from guichet.channels.email.models import OutboundMessage
from guichet.channels.email.services import outbound_send
from tests.email_channel.conftest import deliver, message_build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def email_case(mailbox, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound = deliver(message_build(message_id="<ask@example.test>"), mailbox)
    mail.outbox.clear()
    return inbound.case


def reply(case, agent, capture, body="Bonjour Marie, votre colis part demain."):
    with capture(execute=True):
        return contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text=body)


def test_agent_reply_is_sent_as_a_threaded_email(
    email_case, agent, django_capture_on_commit_callbacks
):
    contact = reply(email_case, agent, django_capture_on_commit_callbacks)
    [sent] = mail.outbox
    outbound = OutboundMessage.objects.get(contact=contact)
    assert outbound.state == OutboundState.SENT
    assert sent.extra_headers["Message-ID"] == outbound.message_id
    assert sent.extra_headers["In-Reply-To"] == "<ask@example.test>"
    references = sent.extra_headers["References"].split()
    assert references[0] == "<ask@example.test>"
    assert f"[{email_case.reference}]" in sent.subject
    assert sent.subject.startswith("Re: Colis non reçu")
    assert sent.to == ["marie.dupont@example.test"]
    assert sent.from_email == "Camille – Service client <support@guichet.test>"
    assert sent.reply_to == ["support@guichet.test"]
    assert "no-reply" not in sent.from_email + " ".join(sent.reply_to)
    assert "votre colis part demain" in sent.body
    assert email_case.reference in sent.body


def test_message_id_is_recorded_before_sending_so_the_answer_threads_back(
    email_case, agent, mailbox, django_capture_on_commit_callbacks
):
    contact = reply(email_case, agent, django_capture_on_commit_callbacks)
    our_id = OutboundMessage.objects.get(contact=contact).message_id
    answer = deliver(message_build(subject="Merci", in_reply_to=our_id), mailbox)
    assert answer.case == email_case


def test_second_reply_references_the_whole_thread(
    email_case, agent, django_capture_on_commit_callbacks
):
    first = reply(email_case, agent, django_capture_on_commit_callbacks, body="Un.")
    reply(email_case, agent, django_capture_on_commit_callbacks, body="Deux.")
    first_id = OutboundMessage.objects.get(contact=first).message_id
    second = mail.outbox[-1]
    references = second.extra_headers["References"].split()
    assert references[0] == "<ask@example.test>"  # the root, then the latest, oldest first
    assert references[-1] == first_id
    assert second.extra_headers["In-Reply-To"] == "<ask@example.test>"


def test_reply_attachments_go_with_the_email(email_case, agent, django_capture_on_commit_callbacks):
    from guichet.cases.services import NewAttachment

    with django_capture_on_commit_callbacks(execute=True):
        contact_add(
            actor=agent,
            case=email_case,
            kind=ContactKind.REPLY,
            body_text="Voici le bon.",
            attachments=[NewAttachment("bon.pdf", b"%PDF", "application/pdf")],
        )
    [sent] = mail.outbox
    assert sent.attachments == [("bon.pdf", b"%PDF", "application/pdf")]


def test_internal_note_is_never_emailed(email_case, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact_add(actor=agent, case=email_case, kind=ContactKind.NOTE, body_text="Client VIP")
    assert mail.outbox == []
    assert not OutboundMessage.objects.filter(kind=OutboundKind.REPLY).exists()


def test_reply_on_a_portal_case_is_not_emailed_by_this_channel(
    customer, agent, django_capture_on_commit_callbacks
):
    case = case_open(
        actor=None, customer=customer, subject="Portail", body_text="x", channel=Channel.PORTAL
    )
    mail.outbox.clear()
    reply(case, agent, django_capture_on_commit_callbacks)
    assert not OutboundMessage.objects.exists()


def test_acknowledgement_is_threaded_to_the_customers_message(
    mailbox, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = deliver(message_build(message_id="<new@example.test>"), mailbox).case
    [ack] = mail.outbox
    assert ack.to == ["marie.dupont@example.test"]
    assert ack.extra_headers["In-Reply-To"] == "<new@example.test>"
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert case.reference in ack.subject
    assert "Camille" in ack.from_email
    assert ack.from_email.endswith("<support@guichet.test>")
    assert case.reference in ack.body


def test_acknowledgement_comes_from_the_mailbox_written_to(
    agent, django_capture_on_commit_callbacks
):
    from guichet.channels.email.services import mailbox_create

    sales = mailbox_create(address="ventes@guichet.test", team=team_create(name="Ventes"))
    with django_capture_on_commit_callbacks(execute=True):
        deliver(message_build(to="ventes@guichet.test"), sales)
    [ack] = mail.outbox
    assert ack.reply_to == ["ventes@guichet.test"]
    assert ack.from_email.endswith("<ventes@guichet.test>")


def test_no_acknowledgement_for_an_automatic_message(mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(message_build(headers={"Auto-Submitted": "auto-generated"}), mailbox)
    assert mail.outbox == []


def test_send_failure_is_recorded_and_retried_until_it_fails_for_good(
    email_case, agent, settings, monkeypatch
):
    settings.GUICHET_TASK_MAX_ATTEMPTS = 2
    contact = contact_add(actor=agent, case=email_case, kind=ContactKind.REPLY, body_text="x")
    from guichet.channels.email.services import outbound_reply_queue

    outbound = outbound_reply_queue(contact=contact)
    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        lambda self, messages: (_ for _ in ()).throw(ConnectionRefusedError("smtp down")),
    )
    with pytest.raises(ConnectionRefusedError):
        outbound_send(outbound_id=outbound.pk)
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts) == (OutboundState.QUEUED, 1)
    assert "smtp down" in outbound.error
    with pytest.raises(ConnectionRefusedError):
        outbound_send(outbound_id=outbound.pk)
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.FAILED


def test_sending_twice_sends_once(email_case, agent):
    contact = contact_add(actor=agent, case=email_case, kind=ContactKind.REPLY, body_text="x")
    from guichet.channels.email.services import outbound_reply_queue

    outbound = outbound_reply_queue(contact=contact)
    outbound_send(outbound_id=outbound.pk)
    outbound_send(outbound_id=outbound.pk)
    assert len(mail.outbox) == 1
    assert outbound_reply_queue(contact=contact) is None  # queued once per contact
