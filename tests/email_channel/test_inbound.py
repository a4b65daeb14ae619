"""Inbound processing: a message becomes a case or a contact exactly once, nothing is lost,
noise never triggers an acknowledgement."""

from __future__ import annotations

import base64

import pytest

from guichet.cases.choices import CaseStatus, Channel, ContactKind
from guichet.cases.models import Attachment, Case, Contact
from guichet.channels.email.choices import (
    InboundSource,
    InboundState,
    MessageClass,
    OutboundKind,
    OutboundState,
)
from guichet.channels.email.models import BouncingAddress, InboundMessage, OutboundMessage
from guichet.channels.email.services import inbound as inbound_module
from guichet.channels.email.services import (
    inbound_process_pending,
    inbound_retry,
    inbound_store,
    inbound_to_case,
    outbound_send,
)
from guichet.customers.models import Customer
from tests.email_channel.conftest import deliver, message_build
from tests.email_channel.test_parsing import dsn

pytestmark = pytest.mark.django_db


# --- A new message -------------------------------------------------------------------------------


def test_new_message_opens_an_email_case_for_a_new_customer(mailbox, agent):
    # Given a message from someone never seen before
    msg = message_build(message_id="<first@example.test>")
    # When it is delivered
    inbound = deliver(msg, mailbox)
    # Then a case is opened on the email channel, for a new customer, in the mailbox's team
    assert inbound.state == InboundState.PROCESSED
    case = inbound.case
    assert case.channel == Channel.EMAIL
    assert case.subject == "Colis non reçu"
    assert case.team == mailbox.team
    assert case.owner == agent  # routed to a named person at once
    assert case.customer.email == "marie.dupont@example.test"
    assert case.customer.name == "Marie Dupont"
    contact = inbound.contact
    assert contact.kind == ContactKind.CUSTOMER_MESSAGE
    assert contact.external_id == "<first@example.test>"
    assert contact.body_text == "Bonjour,\n\nMon colis n'est pas arrivé.\n\nMarie"
    assert inbound.threaded_by == "new"


def test_new_case_takes_the_mailbox_default_category(mailbox, category):
    mailbox.default_category = category
    mailbox.save()
    inbound = deliver(message_build(), mailbox)
    assert inbound.case.category == category


def test_known_customer_writing_from_their_address_is_recognised(mailbox, customer):
    inbound = deliver(message_build(sender="M. Dupont <MARIE.DUPONT@example.test>"), mailbox)
    assert inbound.case.customer == customer
    assert Customer.objects.count() == 1


def test_new_person_gets_an_acknowledgement_threaded_to_their_message(mailbox):
    inbound = deliver(message_build(message_id="<ask@example.test>"), mailbox)
    [ack] = OutboundMessage.objects.filter(case=inbound.case)
    assert ack.kind == OutboundKind.ACKNOWLEDGEMENT
    assert ack.state == OutboundState.QUEUED
    assert ack.to_address == "marie.dupont@example.test"
    assert ack.in_reply_to == "<ask@example.test>"
    # The text is rendered when the worker sends it, not while the mail is taken in.
    sent = outbound_send(outbound_id=ack.pk)
    assert inbound.case.reference in sent.subject
    assert inbound.case.reference in sent.body_text


def test_quoted_history_is_trimmed_for_display_and_kept_in_full(mailbox):
    body = "Merci !\n\nLe lun. 2 juin 2025, Service client a écrit :\n> Votre colis est parti."
    contact = deliver(message_build(body=body), mailbox).contact
    assert contact.body_text == "Merci !"
    assert "Votre colis est parti." in contact.body_html


def test_html_message_is_sanitised_before_it_is_stored(mailbox):
    html = (
        '<p onmouseover="steal()">Bonjour</p><script>fetch("/api")</script>'
        '<iframe src="https://evil.test"></iframe><a href="javascript:alert(1)">x</a>'
        "<style>body{display:none}</style>"
    )
    contact = deliver(message_build(body="Bonjour", html=html), mailbox).contact
    for dangerous in ("<script", "onmouseover", "<iframe", "javascript:", "<style", "fetch("):
        assert dangerous not in contact.body_html
    assert "Bonjour" in contact.body_html


def test_attachments_are_stored_with_the_contact(mailbox):
    msg = message_build()
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="bon.pdf")
    contact = deliver(msg, mailbox).contact
    [attachment] = contact.attachments.all()
    assert attachment.filename == "bon.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.read() == b"%PDF-1.4"


def test_oversized_attachment_is_left_out_with_a_note_and_the_rest_goes_on(mailbox, settings):
    settings.GUICHET_EMAIL_MAX_ATTACHMENT_MB = 1
    msg = message_build()
    msg.add_attachment(
        b"x" * (1024 * 1024 + 1), maintype="video", subtype="mp4", filename="big.mp4"
    )
    msg.add_attachment(b"small", maintype="text", subtype="plain", filename="ok.txt")
    inbound = deliver(msg, mailbox)
    assert inbound.state == InboundState.PROCESSED
    assert [a.filename for a in inbound.contact.attachments.all()] == ["ok.txt"]
    assert "big.mp4" in inbound.contact.body_text


def test_message_with_only_an_attachment_still_becomes_a_case(mailbox):
    msg = message_build(body="")
    msg.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="photo.png")
    inbound = deliver(msg, mailbox)
    assert inbound.state == InboundState.PROCESSED
    assert inbound.contact.attachments.count() == 1


def test_empty_subject_gets_a_placeholder(mailbox):
    inbound = deliver(message_build(subject=""), mailbox)
    assert inbound.case.subject == "(no subject)"


# --- Idempotency ---------------------------------------------------------------------------------


def test_same_message_delivered_twice_yields_one_contact(mailbox):
    raw = bytes(message_build(message_id="<twice@example.test>"))
    first = deliver(raw, mailbox)
    second = deliver(raw, mailbox)
    assert second.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert Contact.objects.filter(external_id="<twice@example.test>").count() == 1
    assert Case.objects.count() == 1


def test_same_message_id_relayed_with_other_trace_headers_yields_one_contact(mailbox):
    raw = bytes(message_build(message_id="<relay@example.test>"))
    deliver(raw, mailbox)
    deliver(b"Received: from mx2.example.test; Tue, 2 Jun 2026\r\n" + raw, mailbox)
    assert InboundMessage.objects.count() == 1
    assert Contact.objects.count() == 1


def test_message_without_message_id_is_recognised_by_its_content(mailbox):
    raw = bytes(message_build(message_id=""))
    first = deliver(raw, mailbox)
    again = deliver(b"Delivered-To: support@guichet.test\r\n" + raw, mailbox)
    assert again.pk == first.pk
    assert first.contact.external_id == f"sha256:{first.content_hash}"
    assert Contact.objects.count() == 1


def test_store_reports_a_redelivery_as_not_new(mailbox):
    raw = bytes(message_build())
    _row, created = inbound_store(raw=raw, mailbox=mailbox, source=InboundSource.SMTP)
    _same, created_again = inbound_store(raw=raw, mailbox=mailbox, source=InboundSource.IMAP)
    assert (created, created_again) == (True, False)


# --- Durability ----------------------------------------------------------------------------------


def test_message_stored_before_a_crash_is_processed_on_the_next_run(mailbox):
    # Given a message stored (and acknowledged to the sender) but never processed: the process
    # died between the two steps
    raw = bytes(message_build(message_id="<crash@example.test>"))
    row, _created = inbound_store(raw=raw, mailbox=mailbox, source=InboundSource.LMTP)
    assert row.state == InboundState.RECEIVED
    # When the next run processes what is pending, twice
    first = inbound_process_pending()
    second = inbound_process_pending()
    # Then the message became exactly one contact
    assert (first.processed, second.total) == (1, 0)
    assert Contact.objects.filter(external_id="<crash@example.test>").count() == 1


def test_parse_failure_quarantines_with_the_error_and_retry_processes_it(mailbox, monkeypatch):
    # Given a message whose processing fails
    real_parse = inbound_module.message_parse

    def broken(raw):
        raise ValueError("charset table exploded")

    monkeypatch.setattr(inbound_module, "message_parse", broken)
    inbound = deliver(message_build(), mailbox)
    # Then it is quarantined with the error, and nothing half-done remains
    assert inbound.state == InboundState.QUARANTINED
    assert "ValueError: charset table exploded" in inbound.error
    assert inbound.attempts == 1
    assert Case.objects.count() == 0
    # When the cause is fixed and an administrator retries
    monkeypatch.setattr(inbound_module, "message_parse", real_parse)
    retried = inbound_retry(inbound=inbound)
    # Then it is processed, once
    assert retried.state == InboundState.PROCESSED
    assert retried.error == ""
    assert Case.objects.count() == 1


def test_failure_after_the_case_is_written_rolls_everything_back(mailbox, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(inbound_module, "_acknowledge", explode)
    inbound = deliver(message_build(), mailbox)
    assert inbound.state == InboundState.QUARANTINED
    assert Case.objects.count() == 0
    assert Contact.objects.count() == 0


def test_a_failing_message_does_not_stop_the_ones_behind_it(mailbox):
    bad = bytes(message_build(sender="not an address"))
    inbound_store(raw=bad, mailbox=mailbox, source=InboundSource.LMTP)
    for i in range(3):
        inbound_store(
            raw=bytes(message_build(subject=f"Demande {i}")),
            mailbox=mailbox,
            source=InboundSource.LMTP,
        )
    result = inbound_process_pending()
    assert (result.processed, result.quarantined) == (3, 1)
    quarantined = InboundMessage.objects.get(state=InboundState.QUARANTINED)
    assert "sender" in quarantined.error


def test_quarantined_message_can_be_turned_into_a_case_by_hand(mailbox, settings):
    settings.GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR = 1
    deliver(message_build(subject="Un"), mailbox)
    storm = deliver(message_build(subject="Deux"), mailbox)
    assert storm.state == InboundState.QUARANTINED
    case = inbound_to_case(inbound=storm)
    storm.refresh_from_db()
    assert storm.state == InboundState.PROCESSED
    assert storm.threaded_by == "manual"
    assert case.subject == "Deux"


# --- Loops and noise -----------------------------------------------------------------------------


def test_out_of_office_reply_is_ignored_and_does_not_reopen_the_case(mailbox, agent):
    first = deliver(message_build(message_id="<q@example.test>"), mailbox)
    case = first.case
    case.status = CaseStatus.RESOLVED
    case.save()
    auto = deliver(
        message_build(
            subject="Réponse automatique : Colis non reçu",
            in_reply_to="<q@example.test>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        mailbox,
    )
    case.refresh_from_db()
    assert auto.state == InboundState.IGNORED
    assert auto.message_class == MessageClass.AUTO_REPLY
    assert case.status == CaseStatus.RESOLVED
    assert case.contacts.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "bulk"},
        {"List-Id": "<list.example.test>"},
        {"Auto-Submitted": "auto-generated"},
    ],
)
def test_automatic_and_list_mail_opens_a_case_but_gets_no_acknowledgement(mailbox, headers):
    inbound = deliver(message_build(headers=headers), mailbox)
    assert inbound.state == InboundState.PROCESSED
    assert OutboundMessage.objects.count() == 0


def test_bounce_marks_the_address_and_the_bounced_reply_as_failed(mailbox, customer):
    case = deliver(message_build(), mailbox).case
    OutboundMessage.objects.create(
        case=case,
        kind=OutboundKind.REPLY,
        message_id="<g-000001.abc@guichet.test>",
        from_address="support@guichet.test",
        reply_to="support@guichet.test",
        to_address="marie.dupont@example.test",
        subject="Re",
        body_text="x",
        state=OutboundState.SENT,
        created_at=case.created_at,
    )
    bounce = deliver(dsn(), mailbox)
    assert bounce.state == InboundState.IGNORED
    assert bounce.message_class == MessageClass.BOUNCE
    mark = BouncingAddress.objects.get(address="marie.dupont@example.test")
    assert "User unknown" in mark.diagnostic
    failed = OutboundMessage.objects.get(message_id="<g-000001.abc@guichet.test>")
    assert failed.state == OutboundState.FAILED
    assert "User unknown" in failed.error
    assert Case.objects.count() == 1  # a bounce never opens a case


def test_second_bounce_counts_on_the_same_mark(mailbox):
    deliver(dsn(), mailbox)
    deliver(dsn().replace(b"dsn-1@", b"dsn-2@"), mailbox)
    assert BouncingAddress.objects.get().bounces == 2


def test_no_acknowledgement_to_an_address_known_to_bounce(mailbox):
    deliver(dsn(), mailbox)
    inbound = deliver(message_build(), mailbox)
    assert inbound.state == InboundState.PROCESSED
    assert not OutboundMessage.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).exists()


def test_mail_storm_from_one_sender_is_quarantined(mailbox, settings):
    settings.GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR = 3
    states = [deliver(message_build(subject=f"Spam {i}"), mailbox).state for i in range(5)]
    assert states == [InboundState.PROCESSED] * 3 + [InboundState.QUARANTINED] * 2
    assert "mail storm" in InboundMessage.objects.filter(state="quarantined").first().error


def test_rfc2047_attachment_name_is_kept_on_the_stored_attachment(mailbox):
    name = base64.b64encode("état des lieux.pdf".encode()).decode()
    msg = message_build()
    msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="x.pdf")
    raw = bytes(msg).replace(b'filename="x.pdf"', f'filename="=?UTF-8?B?{name}?="'.encode())
    deliver(raw, mailbox)
    assert Attachment.objects.get().filename == "état des lieux.pdf"


def test_database_failure_leaves_the_message_for_the_next_pass_then_quarantines_it(
    mailbox, monkeypatch
):
    from django.db import OperationalError

    # Given one message whose processing meets a database error, and one behind it
    stuck, _ = inbound_store(
        raw=bytes(message_build(subject="Bloqué")), mailbox=mailbox, source=InboundSource.LMTP
    )
    inbound_store(raw=bytes(message_build(subject="Suivant")), mailbox=mailbox, source="lmtp")
    real = inbound_module._finished

    def flaky(inbound, state, reason=""):
        # Both paths (the batch together, a message alone) finish each row through _finished
        if inbound.pk == stuck.pk:
            raise OperationalError("no such table: elsewhere")
        return real(inbound, state, reason)

    monkeypatch.setattr(inbound_module, "_finished", flaky)
    # When a pass runs: the one behind is processed, the stuck one waits
    assert inbound_process_pending().processed == 1
    stuck.refresh_from_db()
    assert (stuck.state, stuck.attempts) == (InboundState.RECEIVED, 1)
    # And when the failure repeats, it ends in the quarantine instead of blocking forever
    for _pass in range(inbound_module.DATABASE_FAILURES_MAX - 1):
        inbound_process_pending()
    stuck.refresh_from_db()
    assert stuck.state == InboundState.QUARANTINED
    assert "no such table" in stuck.error


# --- Batches -------------------------------------------------------------------------------------


def _replay_tasks():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path__endswith="inbound_hooks_replay_task"))


def test_batch_quarantines_only_the_message_that_fails_after_its_case_is_written(
    mailbox, monkeypatch
):
    # Given three stored messages, the second of which fails once its case exists
    for subject in ("Premier", "Deuxième", "Troisième"):
        inbound_store(raw=bytes(message_build(subject=subject)), mailbox=mailbox, source="lmtp")
    real = inbound_module._finished

    def explode_on_second(inbound, state, reason=""):
        # Once its case is written, whether the batch goes together or one by one
        if inbound.subject == "Deuxième" and state == InboundState.PROCESSED:
            assert Case.objects.filter(subject="Deuxième").exists()
            raise RuntimeError("disk full")
        return real(inbound, state, reason)

    monkeypatch.setattr(inbound_module, "_finished", explode_on_second)
    # When one pass processes them as one batch
    result = inbound_process_pending()
    # Then the failing one is quarantined alone: its case is rolled back, the others commit
    assert (result.processed, result.quarantined) == (2, 1)
    assert sorted(Case.objects.values_list("subject", flat=True)) == ["Premier", "Troisième"]
    failed = InboundMessage.objects.get(state=InboundState.QUARANTINED)
    assert failed.subject == "" and "disk full" in failed.error
    # And the other apps are told about the two committed cases only
    events = [event for task in _replay_tasks() for event in task.args_kwargs["args"][0]]
    created = [payload["case_id"] for event, payload in events if event == "case.created"]
    assert sorted(created) == sorted(Case.objects.values_list("pk", flat=True))


def test_batch_hands_the_other_apps_reactions_to_a_task_that_runs_them(mailbox):
    from guichet.channels.email.tasks import inbound_hooks_replay_task
    from guichet.core.hooks import hooks_register, hooks_unregister

    seen: list[int] = []

    def on_case_created(*, case_id, **_payload):
        seen.append(case_id)

    hooks_register("case.created", on_case_created)
    try:
        # Given two messages processed by a pass
        for subject in ("Un", "Deux"):
            inbound_store(raw=bytes(message_build(subject=subject)), mailbox=mailbox, source="lmtp")
        inbound_process_pending()
        # Then the reactions are not run on the intake path but queued in one task
        assert seen == []
        (queued,) = _replay_tasks()
        # When the worker runs it, every committed case's reaction runs
        inbound_hooks_replay_task.call(*queued.args_kwargs["args"])
        assert sorted(seen) == sorted(Case.objects.values_list("pk", flat=True))
    finally:
        hooks_unregister("case.created", on_case_created)


def test_a_failing_reaction_does_not_stop_the_others():
    from guichet.core.hooks import hooks_register, hooks_replay, hooks_unregister

    seen: list[int] = []

    def broken(**_payload):
        raise RuntimeError("boom")

    def works(*, case_id, **_payload):
        seen.append(case_id)

    hooks_register("test.case_opened", broken)
    hooks_register("test.case_opened", works)
    try:
        hooks_replay([("test.case_opened", {"case_id": 1}), ("test.case_opened", {"case_id": 2})])
    finally:
        hooks_unregister("test.case_opened", broken)
        hooks_unregister("test.case_opened", works)
    assert seen == [1, 2]


def test_replay_coalesces_a_case_sync_but_runs_per_contact_callbacks_each_time():
    from guichet.core.hooks import hooks_register, hooks_replay, hooks_unregister

    synced: list[int] = []
    per_contact: list[int] = []
    anything: list[dict] = []

    def sync(*, case_id, **_payload):
        synced.append(case_id)

    def on_contact(*, case_id, contact_id, **_payload):
        per_contact.append(contact_id)

    def takes_all(**payload):
        anything.append(payload)

    for event in ("test.case_opened", "test.contact_added"):
        hooks_register(event, sync)
        hooks_register(event, takes_all)
    hooks_register("test.contact_added", on_contact)
    events = [
        ("test.case_opened", {"case_id": 1}),
        ("test.contact_added", {"case_id": 1, "contact_id": 10}),
        ("test.contact_added", {"case_id": 1, "contact_id": 11}),
        ("test.case_opened", {"case_id": 2}),
    ]
    try:
        hooks_replay(events, coalesce=True)
    finally:
        for event in ("test.case_opened", "test.contact_added"):
            hooks_unregister(event, sync)
            hooks_unregister(event, takes_all)
        hooks_unregister("test.contact_added", on_contact)
    assert synced == [1, 2]
    assert per_contact == [10, 11]
    assert len(anything) == 4
