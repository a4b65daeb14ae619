"""Outbound mail: agents' public replies and acknowledgements of new email cases.

Each message is first a row (`OutboundMessage`, state queued) with its Message-ID, so that an
answer threads back even before the message has left; a background task sends it with retries
and records sent / failed with the reason. From is the mailbox's own address with a person's
first name, Reply-To the same mailbox: never a no-reply address.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.headerregistry import Address
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from guichet.cases.choices import Channel, ContactKind
from guichet.cases.models import Case, Contact
from guichet.channels.email.choices import InboundState, OutboundKind, OutboundState
from guichet.channels.email.models import InboundMessage, Mailbox, OutboundMessage
from guichet.channels.email.services.mailboxes import mailbox_default
from guichet.channels.email.threads import subject_normalise, subject_reference_re

logger = logging.getLogger(__name__)

MAX_REFERENCES = 10


def _case_mailbox(case: Case) -> Mailbox:
    """The mailbox the customer wrote to first; else their team's; else the support address."""
    inbound = (
        InboundMessage.objects.filter(case=case, mailbox__enabled=True)
        .select_related("mailbox")
        .order_by("received_at", "id")
        .first()
    )
    if inbound is not None and inbound.mailbox is not None:
        return inbound.mailbox
    if case.team_id:
        mailbox = Mailbox.objects.filter(team_id=case.team_id, enabled=True).first()
        if mailbox is not None:
            return mailbox
    return mailbox_default()


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1] or "guichet.localhost"


def _thread_ids(case: Case) -> tuple[str, list[str]]:
    """In-Reply-To (the customer's latest message, else our latest) and References (the first
    message of the thread and the most recent ones, oldest first)."""
    inbound = list(
        InboundMessage.objects.filter(case=case, state=InboundState.PROCESSED)
        .exclude(message_id="")
        .values_list("received_at", "message_id")
    )
    outbound = list(
        OutboundMessage.objects.filter(case=case).values_list("created_at", "message_id")
    )
    ordered = [mid for _at, mid in sorted(inbound + outbound)]
    unique = list(dict.fromkeys(ordered))
    references = unique[:1] + unique[1:][-(MAX_REFERENCES - 1) :] if unique else []
    in_reply_to = max(inbound)[1] if inbound else (unique[-1] if unique else "")
    return in_reply_to, references


def _reply_subject(case: Case) -> str:
    # The case subject without its own Re:/reference, so the thread does not grow "Re: Re:".
    base = " ".join(subject_reference_re().sub(" ", case.subject).split())
    base = re.sub(r"^\s*((re|fwd?|tr)\s*:\s*)+", "", base, flags=re.I) or case.subject
    return f"Re: {base} [{case.reference}]"


def _sender(mailbox: Mailbox, first_name: str, team_name: str) -> str:
    label = mailbox.display_name or team_name or ""
    name = " – ".join(p for p in (first_name, label) if p)
    # Unencoded here (readable in the admin); Django encodes it for the wire.
    return str(Address(display_name=name, addr_spec=mailbox.address)) if name else mailbox.address


def _queue(
    *,
    case: Case,
    contact: Contact | None,
    kind: str,
    to: str,
    subject: str,
    body_text: str,
    first_name: str,
    mailbox: Mailbox | None = None,
    thread: tuple[str, list[str]] | None = None,
) -> OutboundMessage:
    outbound = _outbound_build(
        case=case,
        contact=contact,
        kind=kind,
        to=to,
        subject=subject,
        body_text=body_text,
        first_name=first_name,
        mailbox=mailbox,
        thread=thread,
    )
    outbound.save(force_insert=True)
    collected = _send_collector.get()
    if collected is not None:
        collected.append(outbound.pk)
        return outbound
    from guichet.channels.email.tasks import outbound_send_task

    transaction.on_commit(lambda: outbound_send_task.enqueue(outbound.pk), robust=True)
    return outbound


def _outbound_build(
    *,
    case: Case,
    contact: Contact | None,
    kind: str,
    to: str,
    subject: str,
    body_text: str,
    first_name: str,
    mailbox: Mailbox | None = None,
    thread: tuple[str, list[str]] | None = None,
) -> OutboundMessage:
    mailbox = mailbox or _case_mailbox(case)
    in_reply_to, references = thread if thread is not None else _thread_ids(case)
    return OutboundMessage(
        case=case,
        contact=contact,
        kind=kind,
        message_id=make_msgid(idstring=case.reference.lower(), domain=_domain(mailbox.address)),
        in_reply_to=in_reply_to,
        references=" ".join(references),
        from_address=_sender(mailbox, first_name, case.team.name if case.team else ""),
        reply_to=mailbox.address,
        to_address=to,
        subject=subject[:300],
        body_text=body_text,
        created_at=timezone.now(),
    )


_send_collector: ContextVar[list[int] | None] = ContextVar("guichet_outbound_send", default=None)


@contextmanager
def outbound_send_collected() -> Iterator[None]:
    """Inside this block (a batch of inbound mail in one transaction), the sending tasks of the
    messages queued are enqueued together after the commit, in one transaction of their own,
    instead of one commit per task."""
    token = _send_collector.set([])
    try:
        yield
        collected = _send_collector.get() or []
    finally:
        _send_collector.reset(token)
    if not collected:
        return
    if settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        # On the database queue, ONE task written in the batch's own transaction: it commits
        # with the messages (a crash cannot lose an acknowledgement between the two), and the
        # worker fans it out into one retrying sending task per message.
        from guichet.channels.email.tasks import outbound_send_many_task

        outbound_send_many_task.enqueue(collected)
        return
    transaction.on_commit(lambda: outbound_send_enqueue(collected), robust=True)


def outbound_send_enqueue(outbound_ids: list[int]) -> None:
    from guichet.channels.email.tasks import outbound_send_task

    # A message whose savepoint was rolled back (quarantined) left no row: nothing to send.
    existing = set(OutboundMessage.objects.filter(pk__in=outbound_ids).values_list("pk", flat=True))
    with transaction.atomic():
        for outbound_id in outbound_ids:
            if outbound_id in existing:
                outbound_send_task.enqueue(outbound_id)


@transaction.atomic
def outbound_reply_queue(*, contact: Contact) -> OutboundMessage | None:
    """An agent's public reply on an email case becomes a threaded email to the customer."""
    if contact.kind != ContactKind.REPLY or contact.channel != Channel.EMAIL:
        return None
    if OutboundMessage.objects.filter(contact=contact).exists():
        return None  # already queued: the hook may run twice
    case = Case.objects.select_related("customer", "team", "owner").get(pk=contact.case_id)
    if not case.customer.email:
        return None
    author = contact.author_user
    first_name = (author.first_name or author.display_name) if author else ""
    with translation.override(case.customer.language or settings.LANGUAGE_CODE):
        body = render_to_string(
            "email_channel/reply.txt", {"case": case, "contact": contact, "author": author}
        )
    return _queue(
        case=case,
        contact=contact,
        kind=OutboundKind.REPLY,
        to=case.customer.email,
        subject=_reply_subject(case),
        body_text=body,
        first_name=first_name,
    )


def _acknowledgement_context(case: Case) -> dict:
    # The same template and context as other channels' acknowledgements (cases app), including
    # what higher apps add to it (the portal's follow link, the committed delay).
    from guichet.cases import tasks as case_tasks

    context = {"case": case, "base_url": settings.GUICHET_BASE_URL, "channel": Channel.EMAIL}
    for provider in getattr(case_tasks, "_acknowledgement_context_providers", []):
        try:
            context.update(provider(case))
        except Exception:
            logger.exception("acknowledgement context provider failed for case %s", case.pk)
    return context


def _acknowledgement_render(case: Case) -> tuple[str, str]:
    case = Case.objects.select_related("customer", "team", "owner").get(pk=case.pk)
    with translation.override(case.customer.language or settings.LANGUAGE_CODE):
        context = _acknowledgement_context(case)
        subject = render_to_string("cases/email/acknowledgement_subject.txt", context).strip()
        body = render_to_string("cases/email/acknowledgement.txt", context)
    return " ".join(subject.split())[:300], body


def outbound_acknowledgement_queue(
    *, case: Case, inbound: InboundMessage, to: str
) -> OutboundMessage | None:
    """Tell the customer their email is received: reference, who answers, threaded to it.

    Only the row (with its Message-ID) is written while the email is taken in; the text is
    rendered when the message is sent, by the worker, so the intake stays fast and the
    acknowledgement names whoever owns the case by then."""
    owner = case.owner
    return _queue(
        case=case,
        contact=None,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        to=to,
        subject="",
        body_text="",
        first_name=(owner.first_name or owner.display_name) if owner else "",
        # A new case: its whole thread is the one message being acknowledged.
        mailbox=inbound.mailbox if inbound.mailbox and inbound.mailbox.enabled else None,
        thread=(inbound.message_id, [inbound.message_id]) if inbound.message_id else None,
    )


def outbound_acknowledgements_queue(
    *, items: list[tuple[Case, InboundMessage, str]]
) -> list[OutboundMessage]:
    """`outbound_acknowledgement_queue` for many (case, inbound, to) at once: one insert. The
    sending tasks follow the same way (the batch's collector, else after the commit)."""
    rows = [
        _acknowledgement_build(case=case, inbound=inbound, to=to) for case, inbound, to in items
    ]
    if not rows:
        return []
    OutboundMessage.objects.bulk_create(rows)
    collected = _send_collector.get()
    if collected is not None:
        collected.extend(row.pk for row in rows)
    else:
        transaction.on_commit(lambda: outbound_send_enqueue([row.pk for row in rows]), robust=True)
    return rows


def _acknowledgement_build(*, case: Case, inbound: InboundMessage, to: str) -> OutboundMessage:
    owner = case.owner
    return _outbound_build(
        case=case,
        contact=None,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        to=to,
        subject="",
        body_text="",
        first_name=(owner.first_name or owner.display_name) if owner else "",
        mailbox=inbound.mailbox if inbound.mailbox and inbound.mailbox.enabled else None,
        thread=(inbound.message_id, [inbound.message_id]) if inbound.message_id else None,
    )


def outbound_send(*, outbound_id: int) -> OutboundMessage:
    """Send one queued message. On failure the error is recorded and the exception re-raised
    for the task's retry; after the last attempt the message is marked failed."""
    outbound = OutboundMessage.objects.select_related("contact").get(pk=outbound_id)
    if outbound.state != OutboundState.QUEUED:
        return outbound
    if outbound.kind == OutboundKind.ACKNOWLEDGEMENT and not outbound.body_text:
        outbound.subject, outbound.body_text = _acknowledgement_render(outbound.case)
        OutboundMessage.objects.filter(pk=outbound.pk).update(
            subject=outbound.subject, body_text=outbound.body_text
        )
    headers = {
        "Message-ID": outbound.message_id,
        "X-Guichet-Case": outbound.case.reference,
    }
    if outbound.in_reply_to:
        headers["In-Reply-To"] = outbound.in_reply_to
    if outbound.references:
        headers["References"] = outbound.references
    if outbound.kind == OutboundKind.ACKNOWLEDGEMENT:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: their robots must not answer
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body_text,
        from_email=outbound.from_address,
        to=[outbound.to_address],
        reply_to=[outbound.reply_to],
        headers=headers,
    )
    contact = outbound.contact
    if contact is not None:
        for attachment in contact.attachments.all():
            with attachment.file.open("rb") as fh:
                message.attach(attachment.filename, fh.read(), attachment.content_type)
    try:
        message.send()
    except Exception as exc:
        attempts = outbound.attempts + 1
        final = attempts >= settings.GUICHET_TASK_MAX_ATTEMPTS
        OutboundMessage.objects.filter(pk=outbound.pk).update(
            attempts=F("attempts") + 1,
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
            state=OutboundState.FAILED if final else OutboundState.QUEUED,
        )
        raise
    OutboundMessage.objects.filter(pk=outbound.pk).update(
        state=OutboundState.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, error=""
    )
    outbound.refresh_from_db()
    return outbound


__all__ = [
    "outbound_acknowledgement_queue",
    "outbound_reply_queue",
    "outbound_send",
    "subject_normalise",
]
