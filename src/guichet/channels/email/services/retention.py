"""Retention of raw inbound mail: the bytes as they arrived are needed while a message may be
processed again (received, quarantined) and for a while after, to look into a complaint about
what was sent. After GUICHET_EMAIL_RAW_RETENTION_DAYS they are deleted from processed and
ignored messages; the contact, its text, HTML and attachments stay with the case, and the row
keeps its hash and Message-ID so a redelivery is still recognised. Quarantined messages are kept
whole: an administrator has not decided yet."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from guichet.channels.email.choices import InboundState
from guichet.channels.email.models import InboundMessage

PURGE_BATCH = 500


def inbound_raw_purge(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the raw bytes of processed and ignored messages received more than `days` ago (the
    setting by default; 0 keeps everything). Returns how many were emptied. Batched: each batch
    is its own short transaction, so the intake is never held up for long."""
    days = settings.GUICHET_EMAIL_RAW_RETENTION_DAYS if days is None else days
    if days <= 0:
        return 0
    now = now or timezone.now()
    due = InboundMessage.objects.filter(
        state__in=(InboundState.PROCESSED, InboundState.IGNORED),
        received_at__lt=now - timedelta(days=days),
        raw_deleted_at__isnull=True,
    )
    emptied = 0
    while True:
        ids = list(due.order_by("id").values_list("id", flat=True)[:PURGE_BATCH])
        if not ids:
            return emptied
        with transaction.atomic():
            emptied += InboundMessage.objects.filter(
                pk__in=ids,
                state__in=(InboundState.PROCESSED, InboundState.IGNORED),
                raw_deleted_at__isnull=True,
            ).update(raw=b"", raw_deleted_at=now)
