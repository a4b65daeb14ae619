"""IMAP polling with imap-tools: fetch unseen messages, store each one durably, and only then
flag it seen (or move it to the archive folder) on the server.

A crash between the two steps fetches the message again next time; the store recognises it
(same Message-ID or content), so nothing is duplicated. With `watch`, the poller waits with
IMAP IDLE when the server offers it, else sleeps between polls.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.consts import MailMessageFlags

from guichet.channels.email.choices import InboundSource
from guichet.channels.email.models import ImapSecurity, Mailbox
from guichet.channels.email.services import inbound_process_pending, inbound_store

logger = logging.getLogger(__name__)

FETCH_BULK = 50


class RawMailMessage(MailMessage):
    """imap-tools parses what it fetches; we keep the exact bytes the server gave."""

    def __init__(self, fetch_data: list) -> None:
        self.raw = self._get_message_data_parts(fetch_data)[0]
        super().__init__(fetch_data)


def _client_class(security: str) -> type:
    base = {
        ImapSecurity.SSL: MailBox,
        ImapSecurity.STARTTLS: MailBoxStartTls,
        ImapSecurity.NONE: MailBoxUnencrypted,
    }.get(security, MailBox)
    return type(f"Raw{base.__name__}", (base,), {"email_message_class": RawMailMessage})


def imap_connect(mailbox: Mailbox, *, timeout: float = 30):
    cls = _client_class(mailbox.imap_security)
    default_port = 993 if mailbox.imap_security == ImapSecurity.SSL else 143
    client = cls(mailbox.imap_host, port=mailbox.imap_port or default_port, timeout=timeout)
    return client.login(mailbox.imap_username, mailbox.imap_password, mailbox.imap_folder)


@dataclass(frozen=True)
class PollResult:
    mailbox: str
    stored: int = 0
    duplicates: int = 0
    error: str = ""


def _poll_client(client, mailbox: Mailbox) -> PollResult:
    stored = duplicates = 0
    uids = client.uids(AND(seen=False))
    for start in range(0, len(uids), FETCH_BULK):
        chunk = uids[start : start + FETCH_BULK]
        for message in client.fetch(AND(uid=chunk), mark_seen=False, bulk=True):
            _row, created = inbound_store(
                raw=message.raw, mailbox=mailbox, source=InboundSource.IMAP
            )
            stored += created
            duplicates += not created
            # Only now, with the message committed, does the server learn we have it.
            if mailbox.imap_archive_folder:
                client.move(message.uid, mailbox.imap_archive_folder)
            else:
                client.flag(message.uid, MailMessageFlags.SEEN, True)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_poll_error="")
    return PollResult(mailbox=mailbox.address, stored=stored, duplicates=duplicates)


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """One pass over one mailbox; a failure is recorded on the mailbox and returned, not raised,
    so one broken mailbox does not stop the others."""
    try:
        with imap_connect(mailbox) as client:
            return _poll_client(client, mailbox)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        logger.warning("IMAP poll of %s failed: %s", mailbox.address, error)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=timezone.now(), last_poll_error=error
        )
        return PollResult(mailbox=mailbox.address, error=error)


def imap_mailboxes(address: str | None = None) -> list[Mailbox]:
    qs = Mailbox.objects.filter(enabled=True).exclude(imap_host="").exclude(imap_username="")
    if address:
        qs = qs.filter(address__iexact=address.strip())
    return list(qs.order_by("address"))


def mailboxes_poll(*, address: str | None = None) -> list[PollResult]:
    return [mailbox_poll(mailbox=m) for m in imap_mailboxes(address)]


def mailbox_watch(
    *, mailbox: Mailbox, stop: threading.Event, interval: float | None = None
) -> None:
    """Poll, then wait for news with IDLE (or sleep), until `stop` is set. Reconnects after
    an error with a pause, and processes what it stored after each pass."""
    interval = interval or settings.GUICHET_EMAIL_POLL_SECONDS
    while not stop.is_set():
        try:
            close_old_connections()
            with imap_connect(mailbox) as client:
                while not stop.is_set():
                    result = _poll_client(client, mailbox)
                    if result.stored:
                        inbound_process_pending()
                    if "IDLE" in client.client.capabilities:
                        # Short IDLE rounds so that `stop` is noticed; servers end IDLE at 29 min.
                        client.idle.wait(timeout=min(interval, 25 * 60))
                    else:
                        stop.wait(interval)
        except Exception as exc:
            logger.warning("IMAP watch of %s: %s; reconnecting", mailbox.address, exc)
            Mailbox.objects.filter(pk=mailbox.pk).update(
                last_poll_error=f"{exc.__class__.__name__}: {exc}"[:2000]
            )
            stop.wait(min(interval, 30))
