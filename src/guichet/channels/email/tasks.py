"""Background work of the email channel: thin, idempotent wrappers taking ids."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from guichet.cases.choices import Channel, ContactKind
from guichet.cases.models import Contact
from guichet.core.hooks import hooks_register
from guichet.core.tasks import retrying_task

logger = logging.getLogger(__name__)


@retrying_task
def outbound_send_task(outbound_id: int) -> str:
    from guichet.channels.email.services import outbound_send

    return outbound_send(outbound_id=outbound_id).state


@task()
def outbound_send_many_task(outbound_ids: list) -> int:
    """The first sending attempt of a batch of inbound mail's acknowledgements, one after the
    other in this one task (the intake writes it in the batch's transaction); a message whose
    attempt fails gets its own retrying task, as if `outbound_send_task` had tried it first."""
    from guichet.channels.email.models import OutboundMessage
    from guichet.channels.email.services import outbound_send

    ids = [int(i) for i in outbound_ids]
    # A message whose savepoint was rolled back (quarantined) left no row: nothing to send.
    existing = set(OutboundMessage.objects.filter(pk__in=ids).values_list("pk", flat=True))
    sent = 0
    for outbound_id in ids:
        if outbound_id not in existing:
            continue
        try:
            outbound_send(outbound_id=outbound_id)
            sent += 1
        except Exception:
            logger.exception("acknowledgement %s not sent (attempt 1)", outbound_id)
            retry = outbound_send_task
            if retry.get_backend().supports_defer:
                retry = retry.using(run_after=timezone.now() + timedelta(seconds=30))
            retry.enqueue(outbound_id, attempt=2)
    return sent


@task()
def inbound_hooks_replay_task(events: list) -> int:
    """The other apps' reactions (service clocks, survey facts, routing follow-ups…) to a batch
    of inbound mail, enqueued in the batch's own transaction: they run exactly when the batch
    committed, off the intake path."""
    from guichet.core.hooks import hooks_replay

    hooks_replay([(event, payload) for event, payload in events], coalesce=True)
    return len(events)


@task()
def mailboxes_poll_task(reschedule: bool = True) -> int:
    """Fetch every IMAP mailbox once, process what is pending, and (by default) come back in
    GUICHET_EMAIL_POLL_SECONDS: the recurring poll, started by `guichet mail poll --schedule`."""
    from guichet.channels.email.imap import mailboxes_poll
    from guichet.channels.email.services import inbound_process_pending

    try:
        stored = sum(result.stored for result in mailboxes_poll())
        inbound_process_pending()
    finally:
        if reschedule:
            mailboxes_poll_schedule(delay_seconds=settings.GUICHET_EMAIL_POLL_SECONDS, force=True)
    return stored


def mailboxes_poll_schedule(*, delay_seconds: int = 0, force: bool = False) -> bool:
    """Enqueue the recurring poll unless one is already waiting (database backend), so running
    `mail poll --schedule` twice does not start two chains."""
    if not force and _poll_waiting():
        return False
    scheduled = mailboxes_poll_task
    if delay_seconds and scheduled.get_backend().supports_defer:
        scheduled = scheduled.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    scheduled.enqueue(reschedule=True)
    return True


def _poll_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover  (another backend: no way to look)
        return False
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        return False
    return DBTaskResult.objects.filter(
        task_path=mailboxes_poll_task.module_path, status__in=("READY", "RUNNING")
    ).exists()


def _on_contact_created(*, case_id: int, contact_id: int) -> None:
    # Most contacts are not email replies: look at two columns before loading anything.
    if not Contact.objects.filter(
        pk=contact_id, kind=ContactKind.REPLY, channel=Channel.EMAIL
    ).exists():
        return
    contact = Contact.objects.select_related("author_user").get(pk=contact_id)
    from guichet.channels.email.services import outbound_reply_queue

    try:
        outbound_reply_queue(contact=contact)
    except Exception:
        logger.exception("could not queue the email for contact %s", contact_id)


hooks_register("contact.created", _on_contact_created)
