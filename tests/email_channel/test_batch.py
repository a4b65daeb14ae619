"""A batch of inbound mail processed together: same outcome as one message after another."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.cases.models import Case, Contact
from guichet.channels.email.choices import InboundSource, InboundState
from guichet.channels.email.models import BouncingAddress, InboundMessage, OutboundMessage
from guichet.channels.email.services import inbound as inbound_module
from guichet.channels.email.services import (
    inbound_process_batch,
    inbound_process_pending,
    inbound_store,
    inbound_store_many,
)
from guichet.channels.email.threads import ThreadedBy
from guichet.customers.models import Customer
from tests.email_channel.conftest import deliver, message_build

pytestmark = pytest.mark.django_db


def _store(*messages, mailbox) -> list[InboundMessage]:
    return [
        inbound_store(raw=bytes(m), mailbox=mailbox, source=InboundSource.LMTP)[0] for m in messages
    ]


def _row(mid: str) -> InboundMessage:
    return InboundMessage.objects.get(message_id=mid)


def test_two_messages_of_a_new_customer_make_one_customer(mailbox):
    _store(
        message_build(subject="Colis", message_id="<a@x.test>"),
        message_build(subject="Facture", message_id="<b@x.test>"),
        mailbox=mailbox,
    )
    assert inbound_process_pending().processed == 2
    assert Customer.objects.count() == 1
    assert Case.objects.filter(customer=Customer.objects.get()).count() == 2


def test_a_message_and_its_replies_in_one_batch_make_one_case(mailbox):
    # Given a new request, a reply to it and a reply to that reply, stored together
    _store(
        message_build(subject="Colis", message_id="<first@x.test>"),
        message_build(
            subject="Re: Colis", message_id="<second@x.test>", in_reply_to="<first@x.test>"
        ),
        message_build(
            subject="Re: Re: Colis",
            message_id="<third@x.test>",
            in_reply_to="<second@x.test>",
            references="<first@x.test> <second@x.test>",
        ),
        mailbox=mailbox,
    )
    # When one pass processes them as one batch
    assert inbound_process_pending().processed == 3
    # Then one case holds the three contacts, the replies threaded by their headers
    case = Case.objects.get()
    assert Contact.objects.filter(case=case).count() == 3
    assert _row("<first@x.test>").threaded_by == ThreadedBy.NEW
    assert _row("<third@x.test>").threaded_by == ThreadedBy.HEADERS
    assert {_row(m).contact.case_id for m in ("<second@x.test>", "<third@x.test>")} == {case.pk}
    # And only the new case is acknowledged
    assert OutboundMessage.objects.filter(case=case).count() == 1


def test_two_replies_to_a_stored_case_in_one_batch_join_it(mailbox):
    first = deliver(message_build(subject="Colis", message_id="<root@x.test>"), mailbox)
    _store(
        message_build(subject="Re: Colis", message_id="<r1@x.test>", in_reply_to="<root@x.test>"),
        message_build(subject="Re: Colis", message_id="<r2@x.test>", in_reply_to="<root@x.test>"),
        mailbox=mailbox,
    )
    assert inbound_process_pending().processed == 2
    assert Case.objects.count() == 1
    assert Contact.objects.filter(case=first.case).count() == 3
    assert _row("<r2@x.test>").threaded_by == ThreadedBy.HEADERS


def test_a_failing_message_is_quarantined_alone_and_the_rest_land(mailbox, monkeypatch):
    real = inbound_module._contact_content

    def explode(parsed):
        if parsed.subject == "Piégé":
            raise RuntimeError("disk full")
        return real(parsed)

    monkeypatch.setattr(inbound_module, "_contact_content", explode)
    _store(*(message_build(subject=s) for s in ("Premier", "Piégé", "Troisième")), mailbox=mailbox)
    result = inbound_process_pending()
    assert (result.processed, result.quarantined) == (2, 1)
    assert sorted(Case.objects.values_list("subject", flat=True)) == ["Premier", "Troisième"]
    failed = InboundMessage.objects.get(state=InboundState.QUARANTINED)
    assert "disk full" in failed.error and failed.attempts == 1


def test_already_received_and_rate_limited_messages_in_a_batch(mailbox, settings):
    settings.GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR = 1
    # Given a message already a contact whose row is gone (an administrator deleted it), and
    # which arrives again
    first = deliver(message_build(subject="Un", message_id="<dup@x.test>"), mailbox)
    raw = bytes(first.raw)
    InboundMessage.objects.filter(pk=first.pk).delete()
    inbound_store(raw=raw, mailbox=mailbox, source=InboundSource.LMTP)
    # and two more from the same sender: the second is over the limit of one an hour
    _store(message_build(subject="Deux"), message_build(subject="Trois"), mailbox=mailbox)
    result = inbound_process_pending()
    assert (result.processed, result.ignored, result.quarantined) == (1, 1, 1), result
    assert "mail storm" in InboundMessage.objects.get(state=InboundState.QUARANTINED).error


def test_no_acknowledgement_to_a_bouncing_address_in_a_batch(mailbox):
    now = timezone.now()
    BouncingAddress.objects.create(
        address="MARIE.DUPONT@example.test", first_bounced_at=now, last_bounced_at=now
    )
    _store(message_build(subject="Colis"), mailbox=mailbox)
    _store(message_build(subject="Autre", sender="Paul <paul@example.test>"), mailbox=mailbox)
    assert inbound_process_pending().processed == 2
    assert list(OutboundMessage.objects.values_list("to_address", flat=True)) == [
        "paul@example.test"
    ]


def test_queries_per_batch_do_not_grow_with_its_messages(mailbox):
    def cost(n: int, tag: str) -> int:
        rows = _store(
            *(
                message_build(subject=f"{tag} {i}", sender=f"C <{tag}{i}@example.test>")
                for i in range(n)
            ),
            mailbox=mailbox,
        )
        with CaptureQueriesContext(connection) as queries:
            states = inbound_process_batch(inbound_ids=[r.pk for r in rows])
        assert states == [InboundState.PROCESSED] * n
        return len(queries)

    cost(1, "warm")
    assert cost(20, "b") == cost(5, "a")


def test_storing_many_at_once_recognises_redeliveries(mailbox):
    known = message_build(subject="Déjà", message_id="<known@x.test>")
    inbound_store(raw=bytes(known), mailbox=mailbox, source=InboundSource.LMTP)
    twice = bytes(message_build(subject="Deux fois", message_id="<twice@x.test>"))
    result = inbound_store_many(
        items=[(bytes(known), mailbox, ""), (twice, mailbox, ""), (twice, mailbox, "")],
        source=InboundSource.LMTP,
    )
    assert [created for _row, created in result] == [False, True, False]
    assert result[1][0].pk == result[2][0].pk
    assert InboundMessage.objects.count() == 2


def test_acknowledgements_of_a_batch_are_sent_by_one_task_and_a_failure_is_retried_alone(
    mailbox, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from guichet.channels.email import services
    from guichet.channels.email.choices import OutboundState
    from guichet.channels.email.tasks import outbound_send_many_task

    _store(
        message_build(subject="Un", sender="Un <un@example.test>"),
        message_build(subject="Deux", sender="Deux <deux@example.test>"),
        mailbox=mailbox,
    )
    inbound_process_pending()
    # One task for the batch's acknowledgements, written with it
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="outbound_send_many_task")
    ids = queued.args_kwargs["args"][0]
    real = services.outbound_send

    def refused_for_deux(*, outbound_id):
        if OutboundMessage.objects.get(pk=outbound_id).to_address == "deux@example.test":
            raise OSError("connection refused")
        return real(outbound_id=outbound_id)

    monkeypatch.setattr(services, "outbound_send", refused_for_deux)
    assert outbound_send_many_task.call([*ids, 999_999]) == 1
    assert OutboundMessage.objects.get(to_address="un@example.test").state == OutboundState.SENT
    (retry,) = DBTaskResult.objects.filter(task_path__endswith=".outbound_send_task")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
