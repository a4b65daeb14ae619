"""Retention of raw inbound mail: old processed and ignored messages lose their raw bytes, the
quarantine and the pending queue keep them, and a redelivery is still recognised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.channels.email.choices import InboundSource, InboundState
from guichet.channels.email.models import InboundMessage
from guichet.channels.email.services import inbound_raw_purge, inbound_store
from guichet.core.recurring import recurring_jobs
from tests.email_channel.conftest import deliver, message_build

pytestmark = pytest.mark.django_db


def _age(inbound: InboundMessage, days: int) -> None:
    InboundMessage.objects.filter(pk=inbound.pk).update(
        received_at=timezone.now() - timedelta(days=days)
    )


def _stored(subject: str, state: str, mailbox) -> InboundMessage:
    row, _ = inbound_store(
        raw=bytes(message_build(subject=subject)), mailbox=mailbox, source=InboundSource.LMTP
    )
    InboundMessage.objects.filter(pk=row.pk).update(state=state)
    return row


def test_old_processed_and_ignored_messages_lose_their_raw_bytes_only(mailbox, settings):
    settings.GUICHET_EMAIL_RAW_RETENTION_DAYS = 30
    # Given old messages in every state, and a recent processed one
    old_processed = deliver(message_build(subject="Ancien"), mailbox)
    old_ignored = deliver(
        message_build(subject="Absent", headers={"Auto-Submitted": "auto-replied"}), mailbox
    )
    old_quarantined = _stored("En quarantaine", InboundState.QUARANTINED, mailbox)
    old_pending = _stored("En attente", InboundState.RECEIVED, mailbox)
    recent = deliver(message_build(subject="Récent"), mailbox)
    for row in (old_processed, old_ignored, old_quarantined, old_pending):
        _age(row, 31)
    _age(recent, 29)
    # When the retention job runs
    assert inbound_raw_purge() == 2
    # Then only the old processed and ignored messages lost their bytes
    emptied = {
        m.subject or m.pk: bytes(m.raw) == b"" and m.raw_deleted_at is not None
        for m in InboundMessage.objects.all()
    }
    assert emptied[old_processed.subject] and emptied[old_ignored.subject]
    assert not emptied[recent.subject]
    for kept in (old_quarantined, old_pending):
        kept.refresh_from_db()
        assert bytes(kept.raw) and kept.raw_deleted_at is None
    # And the case keeps its contact's text
    assert old_processed.contact.body_text.startswith("Bonjour")
    # And running it again changes nothing
    assert inbound_raw_purge() == 0


def test_a_message_redelivered_after_its_bytes_were_deleted_is_still_a_duplicate(mailbox):
    msg = message_build(subject="Doublon tardif")
    first = deliver(msg, mailbox)
    _age(first, 400)
    assert inbound_raw_purge(days=365) == 1
    again, created = inbound_store(raw=bytes(msg), mailbox=mailbox, source=InboundSource.LMTP)
    assert (again.pk, created) == (first.pk, False)


def test_zero_days_keeps_everything(mailbox, settings):
    settings.GUICHET_EMAIL_RAW_RETENTION_DAYS = 0
    _age(deliver(message_build(), mailbox), 3650)
    assert inbound_raw_purge() == 0
    assert InboundMessage.objects.get().raw_deleted_at is None


def test_retention_is_a_nightly_recurring_job(mailbox, settings):
    settings.GUICHET_EMAIL_RAW_RETENTION_DAYS = 10
    job = recurring_jobs()["email.raw_retention"]
    now = timezone.now()
    assert timedelta(0) < job.next_run(now) - now <= timedelta(days=1)
    _age(deliver(message_build(), mailbox), 11)
    job.run()
    assert InboundMessage.objects.get().raw_deleted_at is not None
