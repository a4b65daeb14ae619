"""Inbound mail: store first, then process.

`inbound_store` commits the raw bytes before the caller acknowledges the message to the sending
server or the IMAP mailbox. `inbound_process` then does everything else in ONE transaction that
also flips the row to `processed`: a crash before the commit leaves the row `received` (it is
picked up again), a crash after it leaves nothing to redo. A message that cannot be processed
goes to the quarantine with its error, for an administrator to retry or turn into a case.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Count, F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.cases.choices import CaseStatus, Channel, ContactKind
from guichet.cases.models import Case, Contact
from guichet.cases.services import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY,
    MAX_SUBJECT,
    CaseRequest,
    FollowingMessage,
    NewAttachment,
    case_open,
    case_open_many,
    contact_add,
)
from guichet.channels.email.choices import (
    ClosedCasePolicy,
    InboundState,
    MessageClass,
    OutboundState,
)
from guichet.channels.email.models import (
    BouncingAddress,
    InboundMessage,
    Mailbox,
    OutboundMessage,
)
from guichet.channels.email.parsing import (
    ParsedMessage,
    bytes_decode,
    message_parse,
    messages_parse,
    raw_content_hash,
    raw_message_id,
    text_trim_quoted,
)
from guichet.channels.email.threads import (
    ThreadedBy,
    ThreadIndex,
    subject_reference_re,
    thread_find,
)
from guichet.core.errors import ApplicationError, ValidationFailed
from guichet.core.hooks import hooks_captured, hooks_replay
from guichet.core.html import text_to_html
from guichet.customers.services import (
    customer_get_or_create_by_email,
    customers_get_or_create_by_email,
    email_normalise,
)

logger = logging.getLogger(__name__)


class Quarantine(Exception):
    """The message cannot become a contact as it is; an administrator decides."""


def durable_writes() -> None:
    """Make every commit of this connection reach the disk before it returns.

    PostgreSQL does so by default (synchronous_commit=on). Guichet's SQLite runs WAL with
    synchronous=NORMAL, which survives a killed process but not a power cut; the processes that
    acknowledge mail (listener, poller) switch their own connection to FULL."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")


def _existing(content_hash: str, message_id: str) -> InboundMessage | None:
    found = InboundMessage.objects.filter(content_hash=content_hash).first()
    if found is None and message_id:
        found = InboundMessage.objects.filter(message_id=message_id).exclude(message_id="").first()
    return found


def inbound_store(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str,
    envelope_from: str = "",
) -> tuple[InboundMessage, bool]:
    """Commit the raw message; return it and whether it is new. A redelivery (same Message-ID,
    or same content when it has none) returns the row already stored."""
    content_hash = raw_content_hash(raw)
    message_id = raw_message_id(raw)
    found = _existing(content_hash, message_id)
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                mailbox=mailbox,
                source=source,
                raw=raw,
                size=len(raw),
                content_hash=content_hash,
                message_id=message_id,
                envelope_from=(envelope_from or "")[:255],
                received_at=timezone.now(),
            )
    except IntegrityError:
        # Another connection stored the same message between our check and our insert.
        found = _existing(content_hash, message_id)
        if found is None:
            raise
        return found, False
    return row, True


def inbound_store_many(
    *, items: list[tuple[bytes, Mailbox | None, str]], source: str
) -> list[tuple[InboundMessage, bool]]:
    """`inbound_store` for the (raw, mailbox, envelope_from) messages that arrived together:
    the redelivery check reads them all at once, and the new ones are written by one insert.
    Same rows and answers as one call each (a message twice in the list is stored once)."""
    prepared = [
        (raw, mailbox, envelope_from, raw_content_hash(raw), raw_message_id(raw))
        for raw, mailbox, envelope_from in items
    ]
    by_hash: dict[str, InboundMessage] = {}
    by_mid: dict[str, InboundMessage] = {}
    for row in InboundMessage.objects.filter(content_hash__in=[p[3] for p in prepared]).defer(
        "raw"
    ):
        by_hash[row.content_hash] = row
    mids = [p[4] for p in prepared if p[4]]
    if mids:
        for row in (
            InboundMessage.objects.filter(message_id__in=mids).exclude(message_id="").defer("raw")
        ):
            by_mid[row.message_id] = row
    new: list[InboundMessage] = []
    now = timezone.now()
    for raw, mailbox, envelope_from, content_hash, message_id in prepared:
        if content_hash in by_hash or (message_id and message_id in by_mid):
            continue
        row = InboundMessage(
            mailbox=mailbox,
            source=source,
            raw=raw,
            size=len(raw),
            content_hash=content_hash,
            message_id=message_id,
            envelope_from=(envelope_from or "")[:255],
            received_at=now,
        )
        new.append(row)
        by_hash[content_hash] = row
        if message_id:
            by_mid[message_id] = row
    try:
        with transaction.atomic():
            InboundMessage.objects.bulk_create(new)
    except IntegrityError:
        # Another connection stored one of them meanwhile: one by one, as usual.
        return [
            inbound_store(raw=raw, mailbox=mailbox, source=source, envelope_from=envelope_from)
            for raw, mailbox, envelope_from in items
        ]
    fresh = {id(row) for row in new}
    result = []
    for _raw, _mailbox, _from, content_hash, message_id in prepared:
        # As _existing: by content first, then by Message-ID.
        row = by_hash.get(content_hash) or by_mid[message_id]
        result.append((row, id(row) in fresh))
        fresh.discard(id(row))  # a second copy in the list is a redelivery
    return result


# --- Processing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingResult:
    processed: int = 0
    ignored: int = 0
    quarantined: int = 0

    @property
    def total(self) -> int:
        return self.processed + self.ignored + self.quarantined


# A batch shares one transaction (one commit instead of one per message) and each message has
# its own savepoint inside it. The batch is cut short after BATCH_SECONDS so that, on SQLite,
# the listener's store thread never waits long for the write lock it needs to answer 250.
BATCH_MAX = 50
BATCH_SECONDS = 0.3


def inbound_process_pending(
    *,
    limit: int | None = None,
    before_batch: Callable[[], None] | None = None,
    parse_pool: Executor | None = None,
) -> PendingResult:
    """Process every stored message still `received` (oldest first), in batches. One failing
    message never stops the ones behind it: it is quarantined alone.

    `parse_pool` (the listener's helper processes): the next batch is parsed there while this
    one is written. Parsing is pure, and the writing stays here, in order, one batch after the
    other: the same outcome, durability and threading as without it."""
    ahead = _ParseAhead(parse_pool) if parse_pool is not None else None
    counts = {InboundState.PROCESSED: 0, InboundState.IGNORED: 0, InboundState.QUARANTINED: 0}
    last_id = 0
    done = 0
    while limit is None or done < limit:
        queued = list(
            InboundMessage.objects.filter(state=InboundState.RECEIVED, id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:200]
        )
        if not queued:
            break
        if limit is not None:
            queued = queued[: limit - done]
        position = 0
        while position < len(queued):
            if before_batch is not None:
                before_batch()  # the listener lets the intake go first (listener.Processor)
            batch = queued[position : position + BATCH_MAX]
            parsed = None
            if ahead is not None:
                ahead.submit(queued[position + BATCH_MAX : position + 2 * BATCH_MAX])
                parsed = ahead.take(batch)
            try:
                states = inbound_process_batch(inbound_ids=batch, parsed=parsed)
            except (OperationalError, InterfaceError):
                # The database failed under the whole batch (locked, gone…): the first message
                # goes alone through the one-by-one path, which counts its failures; the rest
                # is batched again behind it.
                inbound_id = queued[position]
                try:
                    states = [inbound_process(inbound_id=inbound_id).state]
                except (OperationalError, InterfaceError):
                    logger.exception("inbound email %s left for the next pass", inbound_id)
                    states = [InboundState.RECEIVED]
            for state in states:
                if state in counts:
                    counts[state] += 1
            position += len(states)
        done += len(queued)
        last_id = queued[-1]
    return PendingResult(
        processed=counts[InboundState.PROCESSED],
        ignored=counts[InboundState.IGNORED],
        quarantined=counts[InboundState.QUARANTINED],
    )


class _ParseAhead:
    """Batches being parsed in helper processes, by inbound id."""

    def __init__(self, pool: Executor) -> None:
        self.pool = pool
        self.futures: dict[int, tuple[Future, int]] = {}

    def submit(self, inbound_ids: list[int]) -> None:
        wanted = [i for i in inbound_ids if i not in self.futures]
        if not wanted:
            return
        rows = list(
            InboundMessage.objects.filter(pk__in=wanted, state=InboundState.RECEIVED)
            .order_by("pk")
            .values_list("pk", "raw")
        )
        if not rows:
            return
        try:
            future = self.pool.submit(messages_parse, [bytes(raw) for _pk, raw in rows])
        except Exception:  # the pool is gone (shutting down): parse here
            logger.warning("parsing helper unavailable", exc_info=True)
            return
        for position, (pk, _raw) in enumerate(rows):
            self.futures[pk] = (future, position)

    def take(self, inbound_ids: list[int]) -> dict[int, ParsedMessage | None]:
        self.submit(inbound_ids)
        parsed: dict[int, ParsedMessage | None] = {}
        for inbound_id in inbound_ids:
            entry = self.futures.pop(inbound_id, None)
            if entry is None:
                continue
            future, position = entry
            try:
                parsed[inbound_id] = future.result(timeout=300)[position]
            except Exception:  # a helper died: this message is parsed here
                logger.warning("parsing helper failed", exc_info=True)
        return parsed


def inbound_process_batch(
    *, inbound_ids: list[int], parsed: dict[int, ParsedMessage | None] | None = None
) -> list[str]:
    """Process these stored messages in order in ONE transaction and return their states. It
    may stop early (time budget): the states returned are those of the first len(result) ids;
    the rest stay `received`. A message that fails is rolled back (its contact, case and hooks
    with it) and quarantined; the others commit. A database error (OperationalError) rolls the
    whole batch back and is raised: nothing of it is half done.

    The messages are parsed before the transaction (SQLite's write lock is not held while
    Python decodes mail). The usual ones (a person or a robot writing a new request or a reply,
    `_batchable`) then go through `_process_together`: one savepoint, lookups read for the
    whole batch, new cases opened together (`case_open_many`); if anything in it fails, that
    savepoint is rolled back and each of its messages is processed alone in its own savepoint
    (`_process`), so the failing one is quarantined alone. Bounces, automatic replies and
    unparsable messages always go alone."""
    from guichet.channels.email.services.outbound import outbound_send_collected

    parsed = dict(parsed or {})
    missing = [i for i in inbound_ids if i not in parsed]
    if missing:
        parsed.update(_parse_ahead(missing))
    deadline = time.monotonic() + BATCH_SECONDS
    states: dict[int, str] = {}
    events: list[tuple[str, dict]] = []
    with transaction.atomic(), outbound_send_collected():
        rows = {
            row.pk: row
            for row in InboundMessage.objects.select_for_update(of=("self",))
            .select_related("mailbox", "mailbox__team", "mailbox__default_category")
            .defer("raw")  # read by _parse_ahead already (and again only if parsing failed)
            .filter(pk__in=inbound_ids)
        }
        together: list[tuple[InboundMessage, ParsedMessage]] = []
        alone: list[InboundMessage] = []
        for inbound_id in inbound_ids:
            inbound = rows.get(inbound_id)
            if inbound is None:  # deleted meanwhile (retention): nothing to do
                states[inbound_id] = InboundState.IGNORED
            elif inbound.state != InboundState.RECEIVED:
                states[inbound_id] = inbound.state
            elif _batchable(parsed.get(inbound_id)):
                together.append((inbound, parsed[inbound_id]))
            else:
                alone.append(inbound)
        for inbound in alone:
            if time.monotonic() > deadline and len(states) > 0:
                break
            _process_alone(inbound, events, parsed.get(inbound.pk))
            states[inbound.pk] = inbound.state
        if together:  # quick: not cut by the time budget
            attempts = {inbound.pk: inbound.attempts for inbound, _one in together}
            try:
                with hooks_captured() as emitted, transaction.atomic():
                    _process_together(together)
                events.extend(emitted)
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                logger.info(
                    "inbound batch of %d processed one by one", len(together), exc_info=True
                )
                for inbound, one in together:
                    _reset(inbound, attempts[inbound.pk])
                    _process_alone(inbound, events, one)
            for inbound, _one in together:
                states[inbound.pk] = inbound.state
        if events:
            _hooks_hand_over(events)
    result = []
    for inbound_id in inbound_ids:  # the processed prefix, in order
        if inbound_id not in states:
            break
        result.append(states[inbound_id])
    return result


def _process_alone(
    inbound: InboundMessage, events: list[tuple[str, dict]], parsed: ParsedMessage | None
) -> None:
    try:
        with hooks_captured() as emitted, transaction.atomic():
            _process(inbound, parsed)
        events.extend(emitted)  # a rolled-back message's events are dropped with it
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        _quarantine(inbound.pk, exc)
        inbound.state = InboundState.QUARANTINED


def _reset(inbound: InboundMessage, attempts: int) -> None:
    """Forget what a rolled-back attempt set on the row object (the database has forgotten)."""
    inbound.attempts = attempts
    inbound.state = InboundState.RECEIVED
    inbound.error = ""
    inbound.case = None
    inbound.contact = None
    inbound.threaded_by = ""


def _parse_ahead(inbound_ids: list[int]) -> dict[int, ParsedMessage | None]:
    parsed: dict[int, ParsedMessage | None] = {}
    queued = InboundMessage.objects.filter(pk__in=inbound_ids, state=InboundState.RECEIVED)
    for inbound_id, raw in queued.values_list("pk", "raw"):
        # A message that does not parse is parsed again alone, and quarantined with the error.
        with contextlib.suppress(Exception):
            parsed[inbound_id] = message_parse(bytes(raw))
    return parsed


def _batchable(parsed: ParsedMessage | None) -> bool:
    if parsed is None or not parsed.from_address:
        return False
    if parsed.message_class in (MessageClass.BOUNCE, MessageClass.AUTO_REPLY):
        return False
    # Threading by subject reads each sender's recent cases: not batched.
    return settings.GUICHET_EMAIL_THREAD_SUBJECT_HOURS <= 0


@dataclass
class _NewCase:
    inbound: InboundMessage
    parsed: ParsedMessage
    customer: object
    content: tuple[str, str, list[NewAttachment]]
    threaded_by: str
    follow_up_of: Case | None
    following: list[tuple[InboundMessage, ParsedMessage, tuple[str, str, list[NewAttachment]]]]


def _process_together(items: list[tuple[InboundMessage, ParsedMessage]]) -> None:
    """`_process` for many messages, with the same outcome for each, in a few queries: the
    duplicate check, the rate limit, the customers and the threading lookups are read once for
    all; new cases (and the customer's further messages to them in this batch) are opened by
    `case_open_many`; the rows are updated and the acknowledgements written by one query each.
    Any error escapes: the caller rolls the savepoint back and processes them one by one."""
    from guichet.channels.email.services.outbound import outbound_acknowledgements_queue

    now = timezone.now()
    for inbound, parsed in items:
        inbound.attempts += 1
        inbound.subject = parsed.subject[:255]
        inbound.sender = parsed.from_address[:255]
        inbound.message_class = parsed.message_class
    external_ids = {contact_external_id(inbound) for inbound, _p in items}
    received = set(
        Contact.objects.filter(channel=Channel.EMAIL, external_id__in=external_ids)
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )
    recent = _recent_per_sender({inbound.sender for inbound, _p in items}, now)
    customers = customers_get_or_create_by_email(
        people=[(p.from_address, p.from_name[:200]) for _i, p in items]
    )
    index = ThreadIndex(
        thread_ids={mid for _i, p in items for mid in p.thread_ids},
        subjects=[p.subject for _i, p in items],
    )
    policy = settings.GUICHET_EMAIL_CLOSED_CASE_POLICY
    limit = settings.GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR
    finished: list[InboundMessage] = []
    new_cases: list[_NewCase] = []
    pending: dict[str, _NewCase] = {}  # Message-ID -> the new case it opened or joined
    for inbound, parsed in items:
        external_id = contact_external_id(inbound)
        if external_id in received:
            _finished(inbound, InboundState.IGNORED, _("Already received (same Message-ID)."))
            finished.append(inbound)
            continue
        if limit > 0 and recent.get(inbound.sender, 0) >= limit:
            error = _("More than %(n)d messages from %(sender)s in an hour (mail storm?).") % {
                "n": limit,
                "sender": inbound.sender,
            }
            _quarantine(inbound.pk, Quarantine(error))
            inbound.state = InboundState.QUARANTINED
            continue
        received.add(external_id)
        # Counted now, as its row would be `processed` before the next message's check.
        recent[inbound.sender] = recent.get(inbound.sender, 0) + 1
        customer = customers[email_normalise(parsed.from_address)]
        content = _contact_content(parsed)
        # As `_by_headers`: the nearest Message-ID that is known wins, whether stored or
        # opened earlier in this batch (the batch's rows are not written yet).
        in_batch, nearest = None, None
        for mid in parsed.thread_ids:
            if mid in pending:
                in_batch = pending[mid]
                break
            if mid in index.known:
                nearest = mid
                break
        if in_batch is not None:
            in_batch.following.append((inbound, parsed, content))
            inbound.threaded_by = ThreadedBy.HEADERS
            if inbound.message_id:
                pending[inbound.message_id] = in_batch
            continue
        if nearest is not None:
            match, by = index.case_of(nearest), ThreadedBy.HEADERS
        else:
            match = index.reference_match(parsed.subject, parsed.from_address)
            by = ThreadedBy.REFERENCE
        if match is not None and not (
            match.status == CaseStatus.CLOSED and policy == ClosedCasePolicy.FOLLOW_UP
        ):
            body_text, body_html, attachments = content
            contact = contact_add(
                actor=None,
                case=match,
                kind=ContactKind.CUSTOMER_MESSAGE,
                channel=Channel.EMAIL,
                body_text=body_text,
                body_html=body_html,
                external_id=external_id,
                attachments=attachments,
                at=now,
            )
            inbound.case, inbound.contact, inbound.threaded_by = match, contact, by
            index.remember(inbound.message_id, match.pk)
            _finished(inbound, InboundState.PROCESSED)
            finished.append(inbound)
            continue
        new = _NewCase(
            inbound=inbound,
            parsed=parsed,
            customer=customer,
            content=content,
            threaded_by=ThreadedBy.FOLLOW_UP if match is not None else ThreadedBy.NEW,
            follow_up_of=match,
            following=[],
        )
        new_cases.append(new)
        if inbound.message_id:
            pending[inbound.message_id] = new
    opened = case_open_many(requests=[_case_request(new) for new in new_cases])
    acknowledge: list[tuple[Case, InboundMessage, str]] = []
    for new, done in zip(new_cases, opened, strict=True):
        members = [(new.inbound, new.parsed), *((i, p) for i, p, _c in new.following)]
        for (inbound, _parsed), contact in zip(members, done.contacts, strict=True):
            inbound.case, inbound.contact = done.case, contact
            if inbound is new.inbound:
                inbound.threaded_by = new.threaded_by
            _finished(inbound, InboundState.PROCESSED)
            finished.append(inbound)
        if new.parsed.message_class == MessageClass.PERSON:
            acknowledge.append((done.case, new.inbound, new.parsed.from_address))
    if acknowledge:
        bouncing = set(
            BouncingAddress.objects.alias(address_ci=Lower("address"))
            .filter(address_ci__in=[to.lower() for _c, _i, to in acknowledge])
            .annotate(address_lower=Lower("address"))
            .values_list("address_lower", flat=True)
        )
        outbound_acknowledgements_queue(
            items=[item for item in acknowledge if item[2].lower() not in bouncing]
        )
    if finished:
        _rows_save(finished)


def _rows_save(rows: list[InboundMessage]) -> None:
    """What `_finish` saves, for many rows: the same UPDATE per row, sent at once
    (executemany). Django's bulk_update builds one CASE per column and row, which for 50 rows
    cost more Python than the whole rest of the batch."""
    meta = InboundMessage._meta
    fields = [meta.get_field(name) for name in _PROCESSED_FIELDS]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608  (names from the model; values are parameters)
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(meta.pk.column),
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _finished(inbound: InboundMessage, state: str, reason: str = "") -> None:
    """`_finish` without the write: the caller saves the rows together."""
    inbound.state = state
    inbound.error = reason
    inbound.processed_at = timezone.now()


def _recent_per_sender(senders: set[str], now: datetime) -> dict[str, int]:
    """As `_rate_limit_check`, for every sender of a batch in one query."""
    if settings.GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR <= 0 or not senders:
        return {}
    return dict(
        InboundMessage.objects.filter(
            sender__in=senders,
            state=InboundState.PROCESSED,
            received_at__gte=now - timedelta(hours=1),
        )
        .values("sender")
        .annotate(n=Count("id"))
        .values_list("sender", "n")
    )


def _case_request(new: _NewCase) -> CaseRequest:
    body_text, body_html, attachments = new.content
    mailbox = new.inbound.mailbox
    now = timezone.now()
    return CaseRequest(
        customer=new.customer,
        subject=_case_subject(new.parsed.subject),
        body_text=body_text,
        body_html=body_html,
        channel=Channel.EMAIL,
        category=mailbox.default_category if mailbox else None,
        team=mailbox.team if mailbox else None,
        external_id=contact_external_id(new.inbound),
        attachments=attachments,
        at=now,
        follow_up_of=new.follow_up_of,
        following=[
            FollowingMessage(
                body_text=text,
                body_html=html,
                external_id=contact_external_id(inbound),
                attachments=files,
                at=now,
            )
            for inbound, _parsed, (text, html, files) in new.following
        ],
    )


def _hooks_hand_over(events: list[tuple[str, dict]]) -> None:
    """On the database task queue, the batch's events become one task written in the batch's
    own transaction: both commit or neither, so a crash cannot lose the other apps' reactions
    (plain after-commit callbacks could be). Elsewhere they run after the commit, as usual."""
    from guichet.channels.email.tasks import inbound_hooks_replay_task

    if settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        try:
            serialisable = json.loads(json.dumps(events))
        except (TypeError, ValueError):
            serialisable = None
        if serialisable is not None:
            inbound_hooks_replay_task.enqueue(serialisable)
            return
    transaction.on_commit(lambda: hooks_replay(events), robust=True)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ApplicationError):
        details = (
            "; ".join(d.get("message", "") for d in exc.details if isinstance(d, dict))
            if isinstance(exc.details, list)
            else ""
        )
        return f"{exc.message} {details}".strip()
    if isinstance(exc, Quarantine):
        return str(exc)
    return f"{exc.__class__.__name__}: {exc}"[:2000]


def inbound_process(*, inbound_id: int) -> InboundMessage:
    """Turn one stored message into a contact (new case or existing one), or ignore it (bounce,
    automatic reply, duplicate), or quarantine it with the reason."""
    try:
        with transaction.atomic():
            inbound = (
                InboundMessage.objects.select_for_update(of=("self",))
                .select_related("mailbox", "mailbox__team", "mailbox__default_category")
                .get(pk=inbound_id)
            )
            if inbound.state != InboundState.RECEIVED:
                return inbound
            _process(inbound)
            return inbound
    except (OperationalError, InterfaceError) as exc:
        # The database itself failed (locked, gone…): the message stays `received` for the next
        # pass; only a failure that repeats DATABASE_FAILURES_MAX times sends it to quarantine.
        _database_failure_note(inbound_id, exc)
        raise
    except Exception as exc:
        _quarantine(inbound_id, exc)
        return InboundMessage.objects.get(pk=inbound_id)


def _quarantine(inbound_id: int, exc: BaseException) -> None:
    if not isinstance(exc, Quarantine | ApplicationError):
        logger.exception("inbound email %s quarantined", inbound_id)
    InboundMessage.objects.filter(pk=inbound_id, state=InboundState.RECEIVED).update(
        state=InboundState.QUARANTINED,
        error=_error_text(exc),
        attempts=F("attempts") + 1,
        processed_at=timezone.now(),
    )


DATABASE_FAILURES_MAX = 5


def _database_failure_note(inbound_id: int, exc: BaseException) -> None:
    try:
        InboundMessage.objects.filter(pk=inbound_id, state=InboundState.RECEIVED).update(
            attempts=F("attempts") + 1, error=_error_text(exc)
        )
        InboundMessage.objects.filter(
            pk=inbound_id, state=InboundState.RECEIVED, attempts__gte=DATABASE_FAILURES_MAX
        ).update(state=InboundState.QUARANTINED, processed_at=timezone.now())
    except Exception:  # the database is really gone: nothing more to write now
        logger.warning("could not record the failure of inbound email %s", inbound_id)


def _finish(inbound: InboundMessage, state: str, reason: str = "") -> None:
    _finished(inbound, state, reason)
    # Never the raw bytes again: they are written once, when the message arrives.
    inbound.save(update_fields=_PROCESSED_FIELDS)


_PROCESSED_FIELDS = [
    "state",
    "error",
    "processed_at",
    "attempts",
    "subject",
    "sender",
    "message_class",
    "case",
    "contact",
    "threaded_by",
]


def _contacts(external_id: str):
    # `exclude("")` repeats the condition of the partial unique index: without it SQLite does
    # not use the index and reads every contact.
    return Contact.objects.filter(channel=Channel.EMAIL, external_id=external_id).exclude(
        external_id=""
    )


def contact_external_id(inbound: InboundMessage) -> str:
    """The contact's idempotency key: the Message-ID, or the content hash when there is none."""
    return inbound.message_id or f"sha256:{inbound.content_hash}"


def _process(inbound: InboundMessage, parsed: ParsedMessage | None = None) -> None:
    if parsed is None:
        parsed = message_parse(bytes(inbound.raw))
    inbound.attempts += 1
    inbound.subject = parsed.subject[:255]
    inbound.sender = parsed.from_address[:255]
    inbound.message_class = parsed.message_class
    now = timezone.now()

    if parsed.message_class == MessageClass.BOUNCE:
        marked = _bounce_record(parsed, now)
        _finish(
            inbound,
            InboundState.IGNORED,
            _("Delivery failure report for %(addresses)s.")
            % {"addresses": ", ".join(marked) or "?"},
        )
        return
    if parsed.message_class == MessageClass.AUTO_REPLY:
        # Never a contact: an out-of-office answering our reply must not reopen the case.
        _finish(inbound, InboundState.IGNORED, _("Automatic reply."))
        return
    if not parsed.from_address:
        raise Quarantine(_("The message has no sender address."))
    external_id = contact_external_id(inbound)
    if _contacts(external_id).exists():
        _finish(inbound, InboundState.IGNORED, _("Already received (same Message-ID)."))
        return
    _rate_limit_check(inbound, now)

    customer, _created = customer_get_or_create_by_email(
        email=parsed.from_address, name=parsed.from_name[:200]
    )
    match = thread_find(parsed=parsed, customer=customer, now=now)
    body_text, body_html, attachments = _contact_content(parsed)
    mailbox = inbound.mailbox
    policy = settings.GUICHET_EMAIL_CLOSED_CASE_POLICY
    is_new_case = True
    threaded_by = match.by
    if match.case is not None and not (
        match.case.status == CaseStatus.CLOSED and policy == ClosedCasePolicy.FOLLOW_UP
    ):
        contact = contact_add(
            actor=None,
            case=match.case,
            kind=ContactKind.CUSTOMER_MESSAGE,
            channel=Channel.EMAIL,
            body_text=body_text,
            body_html=body_html,
            external_id=external_id,
            attachments=attachments,
            at=now,
        )
        case = match.case
        is_new_case = False
    else:
        if match.case is not None:
            threaded_by = ThreadedBy.FOLLOW_UP
        case = case_open(
            actor=None,
            customer=customer,
            subject=_case_subject(parsed.subject),
            body_text=body_text,
            body_html=body_html,
            channel=Channel.EMAIL,
            category=mailbox.default_category if mailbox else None,
            team=mailbox.team if mailbox else None,
            external_id=external_id,
            attachments=attachments,
            at=now,
            follow_up_of=match.case,
        )
        contact = _contacts(external_id).get()
    inbound.case = case
    inbound.contact = contact
    inbound.threaded_by = threaded_by
    _finish(inbound, InboundState.PROCESSED)
    if is_new_case:
        _acknowledge(inbound=inbound, case=case, parsed=parsed)


def _acknowledge(*, inbound: InboundMessage, case: Case, parsed: ParsedMessage) -> None:
    """Only a person gets an acknowledgement: never an automatic sender, a list, or an address
    known to bounce (RFC 3834 §2)."""
    from guichet.channels.email.services.outbound import outbound_acknowledgement_queue

    if parsed.message_class != MessageClass.PERSON:
        return
    if BouncingAddress.objects.filter(address__iexact=parsed.from_address).exists():
        return
    outbound_acknowledgement_queue(case=case, inbound=inbound, to=parsed.from_address)


def _case_subject(subject: str) -> str:
    subject = " ".join(subject_reference_re().sub(" ", subject or "").split())
    subject = subject or _("(no subject)")
    return subject[:MAX_SUBJECT]


def _rate_limit_check(inbound: InboundMessage, now: datetime) -> None:
    limit = settings.GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR
    if limit <= 0:
        return
    recent = InboundMessage.objects.filter(
        sender=inbound.sender,
        state=InboundState.PROCESSED,
        received_at__gte=now - timedelta(hours=1),
    ).count()
    if recent >= limit:
        raise Quarantine(
            _("More than %(n)d messages from %(sender)s in an hour (mail storm?).")
            % {"n": limit, "sender": inbound.sender}
        )


def _contact_content(parsed: ParsedMessage) -> tuple[str, str, list[NewAttachment]]:
    """What the agent sees (the new text, quoted history trimmed), the full message as sanitised
    HTML (nothing is lost: the raw message is kept too), and the attachments within limits."""
    limit = min(settings.GUICHET_EMAIL_MAX_ATTACHMENT_MB * 1024 * 1024, MAX_ATTACHMENT_BYTES)
    attachments: list[NewAttachment] = []
    notes: list[str] = []
    for item in parsed.attachments:
        if not item.content:
            continue
        if len(item.content) > limit:
            notes.append(
                _(
                    "[The attachment “%(name)s” (%(size)d MB) was not kept: the limit is "
                    "%(limit)d MB. It remains in the original message.]"
                )
                % {
                    "name": item.filename,
                    "size": len(item.content) // (1024 * 1024),
                    "limit": limit // (1024 * 1024),
                }
            )
            continue
        attachments.append(
            NewAttachment(
                filename=item.filename, content=item.content, content_type=item.content_type
            )
        )
    full_text = parsed.text.strip()
    shown = text_trim_quoted(full_text) if full_text else ""
    if not shown:
        shown = _("(no text; see the attachments)") if attachments else _("(empty message)")
    if notes:
        shown = shown + "\n\n" + "\n".join(notes)
    if len(shown) > MAX_BODY:
        shown = shown[: MAX_BODY - 100] + "\n\n" + _("[Truncated: the full text is kept.]")
    if parsed.html and len(parsed.html) <= MAX_BODY * 2:
        body_html = parsed.html
    else:
        body_html = text_to_html(full_text[: MAX_BODY - 100] or shown)
    return shown, body_html, attachments


def _bounce_record(parsed: ParsedMessage, now: datetime) -> list[str]:
    """Mark the failing addresses, and the outbound message that bounced, if we know it."""
    failed = {b.address: b.diagnostic or b.status for b in parsed.bounced}
    outbound = None
    if parsed.bounced_message_id:
        outbound = OutboundMessage.objects.filter(message_id=parsed.bounced_message_id).first()
    if outbound is not None:
        if not failed:
            failed[outbound.to_address.lower()] = ""
        diagnostic = failed.get(outbound.to_address.lower(), "") or _("Delivery failed.")
        OutboundMessage.objects.filter(pk=outbound.pk).update(
            state=OutboundState.FAILED, error=diagnostic[:2000]
        )
    for address, diagnostic in failed.items():
        updated = BouncingAddress.objects.filter(address__iexact=address).update(
            bounces=F("bounces") + 1, diagnostic=diagnostic[:2000], last_bounced_at=now
        )
        if not updated:
            BouncingAddress.objects.create(
                address=address[:254],
                diagnostic=diagnostic[:2000],
                first_bounced_at=now,
                last_bounced_at=now,
            )
    return sorted(failed)


# --- The quarantine ------------------------------------------------------------------------------


def inbound_retry(*, inbound: InboundMessage) -> InboundMessage:
    """Put a quarantined (or stuck) message back in the queue and process it now."""
    InboundMessage.objects.filter(
        pk=inbound.pk, state__in=(InboundState.QUARANTINED, InboundState.RECEIVED)
    ).update(state=InboundState.RECEIVED, error="")
    return inbound_process(inbound_id=inbound.pk)


@transaction.atomic
def inbound_to_case(*, inbound: InboundMessage) -> Case:
    """An administrator's decision: make a new case of a quarantined message as it is, without
    the noise rules, the rate limit or threading."""
    inbound = InboundMessage.objects.select_for_update(of=("self",)).get(pk=inbound.pk)
    if inbound.state == InboundState.PROCESSED and inbound.case_id:
        return inbound.case  # type: ignore[return-value]
    raw = bytes(inbound.raw)
    try:
        parsed = message_parse(raw)
        body_text, body_html, attachments = _contact_content(parsed)
    except Exception as exc:
        logger.warning("inbound email %s turned into a case unparsed: %s", inbound.pk, exc)
        parsed = ParsedMessage(subject=inbound.subject, from_address=inbound.sender)
        body_text = bytes_decode(raw, "utf-8")[: MAX_BODY - 100]
        body_html, attachments = "", []
    if not parsed.from_address:
        raise ValidationFailed(
            _("This message has no usable sender address; open the case by hand.")
        )
    customer, _created = customer_get_or_create_by_email(
        email=parsed.from_address, name=parsed.from_name[:200]
    )
    external_id = contact_external_id(inbound)
    if _contacts(external_id).exists():
        external_id = f"manual:{hashlib.sha256(external_id.encode()).hexdigest()}"
    case = case_open(
        actor=None,
        customer=customer,
        subject=_case_subject(parsed.subject),
        body_text=body_text,
        body_html=body_html,
        channel=Channel.EMAIL,
        category=inbound.mailbox.default_category if inbound.mailbox else None,
        team=inbound.mailbox.team if inbound.mailbox else None,
        external_id=external_id,
        attachments=attachments,
        at=timezone.now(),
    )
    inbound.case = case
    inbound.contact = _contacts(external_id).get()
    inbound.threaded_by = ThreadedBy.MANUAL
    inbound.sender = parsed.from_address[:255]
    inbound.subject = parsed.subject[:255]
    _finish(inbound, InboundState.PROCESSED)
    return case
