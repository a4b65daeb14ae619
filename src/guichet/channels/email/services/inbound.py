"""Inbound mail: store first, then process.

`inbound_store` commits the raw bytes before the caller acknowledges the message to the sending
server or the IMAP mailbox. `inbound_process` then does everything else in ONE transaction that
also flips the row to `processed`: a crash before the commit leaves the row `received` (it is
picked up again), a crash after it leaves nothing to redo. A message that cannot be processed
goes to the quarantine with its error, for an administrator to retry or turn into a case.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
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
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.cases.choices import CaseStatus, Channel, ContactKind
from guichet.cases.models import Case, Contact
from guichet.cases.services import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY,
    MAX_SUBJECT,
    NewAttachment,
    case_open,
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
    raw_content_hash,
    raw_message_id,
    text_trim_quoted,
)
from guichet.channels.email.threads import (
    ThreadedBy,
    subject_reference_re,
    thread_find,
)
from guichet.core.errors import ApplicationError, ValidationFailed
from guichet.core.hooks import hooks_captured, hooks_replay
from guichet.core.html import text_to_html
from guichet.customers.services import customer_get_or_create_by_email

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
        found = InboundMessage.objects.filter(message_id=message_id).first()
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
    *, limit: int | None = None, before_batch: Callable[[], None] | None = None
) -> PendingResult:
    """Process every stored message still `received` (oldest first), in batches. One failing
    message never stops the ones behind it: it is quarantined alone."""
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
            try:
                states = inbound_process_batch(inbound_ids=queued[position : position + BATCH_MAX])
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


def inbound_process_batch(*, inbound_ids: list[int]) -> list[str]:
    """Process these stored messages in order in ONE transaction, each in its own savepoint, and
    return their states. It may stop early (time budget): the states returned are those of the
    first len(result) ids; the rest stay `received`. A message that fails is rolled back to its
    savepoint (its contact, case and hooks with it) and quarantined; the others commit. A
    database error (OperationalError) rolls the whole batch back and is raised: nothing of it
    is half done."""
    from guichet.channels.email.services.outbound import outbound_send_collected

    deadline = time.monotonic() + BATCH_SECONDS
    states: list[str] = []
    events: list[tuple[str, dict]] = []
    with transaction.atomic(), outbound_send_collected():
        rows = {
            row.pk: row
            for row in InboundMessage.objects.select_for_update(of=("self",))
            .select_related("mailbox", "mailbox__team", "mailbox__default_category")
            .filter(pk__in=inbound_ids)
        }
        for inbound_id in inbound_ids:
            if states and time.monotonic() > deadline:
                break
            inbound = rows.get(inbound_id)
            if inbound is None:  # deleted meanwhile (retention): nothing to do
                states.append(InboundState.IGNORED)
                continue
            if inbound.state != InboundState.RECEIVED:
                states.append(inbound.state)
                continue
            try:
                with hooks_captured() as emitted, transaction.atomic():
                    _process(inbound)
                events.extend(emitted)  # a rolled-back message's events are dropped with it
            except (OperationalError, InterfaceError):
                raise
            except Exception as exc:
                _quarantine(inbound_id, exc)
                inbound.state = InboundState.QUARANTINED
            states.append(inbound.state)
        if events:
            _hooks_hand_over(events)
    return states


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
    inbound.state = state
    inbound.error = reason
    inbound.processed_at = timezone.now()
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


def contact_external_id(inbound: InboundMessage) -> str:
    """The contact's idempotency key: the Message-ID, or the content hash when there is none."""
    return inbound.message_id or f"sha256:{inbound.content_hash}"


def _process(inbound: InboundMessage) -> None:
    raw = bytes(inbound.raw)
    parsed = message_parse(raw)
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
    if Contact.objects.filter(channel=Channel.EMAIL, external_id=external_id).exists():
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
        contact = Contact.objects.get(channel=Channel.EMAIL, external_id=external_id)
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
    if Contact.objects.filter(channel=Channel.EMAIL, external_id=external_id).exists():
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
    inbound.contact = Contact.objects.get(channel=Channel.EMAIL, external_id=external_id)
    inbound.threaded_by = ThreadedBy.MANUAL
    inbound.sender = parsed.from_address[:255]
    inbound.subject = parsed.subject[:255]
    _finish(inbound, InboundState.PROCESSED)
    return case
