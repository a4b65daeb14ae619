"""The SMTP/LMTP listener (aiosmtpd) that a mail server or MX delivers to.

- RCPT for an address that is not an enabled mailbox: 550, the sender's server bounces it.
- DATA: the raw message is committed to the database (durable_writes; several messages that
  arrive together share one commit) BEFORE we answer 250;
  any failure to store answers 451 so the sender's server tries again later.
- Processing (parsing, threading, cases) runs after the answer, in a worker thread; what it has
  not done when the process dies is still `received` and is done at the next start.

Database work never runs on the event loop: one thread stores, another processes, each with its
own connection (SQLite serialises the two writers with its busy timeout).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connection, transaction

from guichet.channels.email.choices import InboundSource
from guichet.channels.email.models import Mailbox
from guichet.channels.email.services import (
    durable_writes,
    inbound_process_pending,
    inbound_store_many,
    mailbox_for_address,
)

logger = logging.getLogger(__name__)

RECIPIENT_CACHE_SECONDS = 30


class Processor(threading.Thread):
    """Drains the `received` queue whenever woken, and every `interval` seconds anyway."""

    # Acceptance first: SQLite has one writer, and a sender's server waits for our 250 while a
    # processing batch holds the write lock. A batch starts when the intake has been quiet for
    # INTAKE_QUIET seconds, or after INTAKE_MAX_DEFER seconds anyway (processing never starves:
    # a batch of 50 now holds the lock for a few tens of milliseconds, its parsing done before).
    INTAKE_QUIET = 0.05
    INTAKE_MAX_DEFER = 0.25

    def __init__(self, interval: float = 30.0) -> None:
        super().__init__(name="guichet-mail-processor", daemon=True)
        self.store: GroupStore | None = None
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.interval = interval
        self._passes_begun = 0
        self._passes = 0
        self._passed = threading.Condition()

    def run(self) -> None:
        pool = _parse_pool()
        try:
            while not self.stopping.is_set():
                with self._passed:
                    self._passes_begun += 1
                try:
                    close_old_connections()
                    inbound_process_pending(before_batch=self._yield_to_intake, parse_pool=pool)
                except Exception:  # stay alive; the rows wait for the next pass
                    logger.exception("processing inbound mail failed")
                    time.sleep(1)
                with self._passed:
                    self._passes += 1
                    self._passed.notify_all()
                self.wake.wait(self.interval)
                self.wake.clear()
        finally:
            connection.close()
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def _yield_to_intake(self) -> None:
        store = self.store
        if store is None:
            return
        deadline = time.monotonic() + self.INTAKE_MAX_DEFER
        while time.monotonic() < deadline and not self.stopping.is_set():
            if time.monotonic() - store.last_activity >= self.INTAKE_QUIET:
                return
            time.sleep(self.INTAKE_QUIET / 5)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until a whole pass has started and ended after this call: everything stored
        before it is then processed (used by tests and benchmarks)."""
        with self._passed:
            wanted = self._passes_begun + 1
            self.wake.set()
            return self._passed.wait_for(lambda: self._passes >= wanted, timeout)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


def _parse_pool() -> ProcessPoolExecutor | None:
    """Helper processes that parse the next batch while this process writes the current one:
    parsing is CPU work that the listener's threads would otherwise share (one interpreter
    lock) with answering the sending servers. Started fresh (spawn), they hold no database
    connection and no thread of ours."""
    size = settings.GUICHET_EMAIL_PARSE_PROCESSES
    if size <= 0:
        return None
    try:
        return ProcessPoolExecutor(max_workers=size, mp_context=get_context("spawn"))
    except (OSError, ValueError):
        logger.warning("no parsing helper process; parsing in the listener", exc_info=True)
        return None


class GroupStore(threading.Thread):
    """Commits incoming messages in small groups: one transaction, one fsync, for everything
    that arrived while the previous commit was on its way to the disk (group commit). No
    message is answered before the commit that holds it has returned."""

    MAX_BATCH = 64

    def __init__(self, source: str) -> None:
        super().__init__(name="guichet-mail-store", daemon=True)
        self.source = source
        self.items: queue.Queue = queue.Queue()
        self.last_activity = 0.0  # time.monotonic() of the last message taken or stored

    def submit(self, raw: bytes, mailbox_id: int, envelope_from: str) -> Future:
        future: Future = Future()
        self.items.put((raw, mailbox_id, envelope_from, future))
        return future

    def stop(self) -> None:
        self.items.put(None)
        self.join(timeout=30)

    def run(self) -> None:
        close_old_connections()
        durable_writes()
        try:
            stopping = False
            while not stopping:
                first = self.items.get()
                if first is None:
                    break
                self.last_activity = time.monotonic()
                batch = [first]
                while len(batch) < self.MAX_BATCH:
                    try:
                        item = self.items.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stopping = True
                        break
                    batch.append(item)
                self._store(batch)
                self.last_activity = time.monotonic()
        finally:
            connection.close()

    def _store(self, batch: list) -> None:
        try:
            with transaction.atomic():
                rows = inbound_store_many(
                    items=[
                        (raw, Mailbox(pk=mailbox_id), envelope_from)
                        for raw, mailbox_id, envelope_from, _future in batch
                    ],
                    source=self.source,
                )
            stored = [row.pk for row, _created in rows]
        except Exception as exc:
            if len(batch) > 1:  # one bad message must not fail its neighbours: one by one
                for item in batch:
                    self._store([item])
                return
            logger.exception("could not store an inbound message")
            batch[0][3].set_exception(exc)
            return
        for item, pk in zip(batch, stored, strict=True):
            item[3].set_result(pk)


class MailHandler:
    """aiosmtpd hooks. `lmtp` changes only the answer to DATA: one line per recipient."""

    def __init__(self, *, lmtp: bool, processor: Processor | None) -> None:
        self.lmtp = lmtp
        self.processor = processor
        self.source = InboundSource.LMTP if lmtp else InboundSource.SMTP
        self._store = GroupStore(self.source)
        self._store.start()
        if processor is not None:
            processor.store = self._store
        self._lookup = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guichet-rcpt")
        self._recipients: dict[str, tuple[float, int | None]] = {}

    def close(self) -> None:
        self._store.stop()
        self._lookup.submit(lambda: connection.close()).result()
        self._lookup.shutdown(wait=True)

    async def _run(self, func, *args):
        return await asyncio.get_running_loop().run_in_executor(self._lookup, func, *args)

    def _mailbox_id(self, address: str) -> int | None:
        key = address.strip().lower()
        cached = self._recipients.get(key)
        now = time.monotonic()
        if cached and now - cached[0] < RECIPIENT_CACHE_SECONDS:
            return cached[1]
        mailbox = mailbox_for_address(key)
        self._recipients[key] = (now, mailbox.pk if mailbox else None)
        return mailbox.pk if mailbox else None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options
    ) -> str:
        try:
            mailbox_id = await self._run(self._mailbox_id, address)
        except Exception:
            logger.exception("recipient check failed")
            return "451 4.3.0 Temporary failure, please try again later"
        if mailbox_id is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        if not hasattr(envelope, "mailbox_id"):
            envelope.mailbox_id = mailbox_id  # type: ignore[attr-defined]
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            inbound_id = await asyncio.wrap_future(
                self._store.submit(bytes(raw), envelope.mailbox_id, envelope.mail_from or "")
            )
        except Exception:
            logger.exception("could not store an inbound message")
            status = "451 4.3.0 Could not store the message, please try again later"
            return "\r\n".join([status] * len(envelope.rcpt_tos)) if self.lmtp else status
        if self.processor is not None:
            self.processor.wake.set()
        ok = f"250 2.0.0 Stored as #{inbound_id}"
        return "\r\n".join([ok] * len(envelope.rcpt_tos)) if self.lmtp else ok


class MailController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP when asked."""

    def __init__(self, handler: MailHandler, *, lmtp: bool, **kwargs) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self):
        cls = LMTP if self.lmtp else SMTP
        return cls(self.handler, **self.SMTP_kwargs)


class MailServer:
    """The listener with its processor; `start()` returns once it accepts connections."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 2525, lmtp: bool = False) -> None:
        self.processor = Processor()
        self.handler = MailHandler(lmtp=lmtp, processor=self.processor)
        self.controller = MailController(
            self.handler,
            lmtp=lmtp,
            hostname=host,
            port=port,
            data_size_limit=settings.GUICHET_EMAIL_MAX_MESSAGE_MB * 1024 * 1024,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="Guichet",
        )

    def start(self) -> None:
        self.processor.start()
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        self.handler.close()
        self.processor.stop()
        self.processor.join(timeout=30)
