"""Callbacks: a promise to call a customer within a slot, owned by a named agent.

Booked from the portal, from a link in an email or by an agent; the slot lies inside the team's
business calendar. A reminder goes to the owner GUICHET_CALLBACK_REMIND_MINUTES before the slot,
an escalation to the team's supervisor when the slot (or a retry's due time) passes with no
call. Both are django-tasks scheduled with `run_after`, and idempotent: each carries the due
time it was scheduled for and does nothing if the callback has moved on since."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import Team, User
from guichet.cases.choices import ACTIVE_STATUSES, Channel, ContactKind, Direction
from guichet.cases.models import Case
from guichet.cases.services import case_open, case_route_owner, contact_add
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from guichet.customers.models import Customer
from guichet.proximity.choices import (
    RETRY_OUTCOMES,
    CallbackSource,
    CallbackStatus,
    CallOutcome,
)
from guichet.proximity.models import Callback, CallbackAttempt
from guichet.proximity.selectors import callback_slots, team_schedule
from guichet.proximity.services.absences import absent_ids
from guichet.proximity.services.routing import route_for_customer
from guichet.sla.businesstime import business_time_add

logger = logging.getLogger(__name__)
PHONE_CHARACTERS = set("+0123456789 .-()/")


def _field_error(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field_name, "message": message}])


def phone_clean(phone: str) -> str:
    phone = " ".join((phone or "").split())
    digits = sum(c.isdigit() for c in phone)
    if not phone or set(phone) - PHONE_CHARACTERS or not 6 <= digits <= 20:
        raise _field_error("phone", _("Enter a phone number (digits, spaces and + only)."))
    return phone


def _default_team() -> Team | None:
    return Team.objects.filter(is_default=True).first()


def slot_check(*, team: Team | None, slot_start: datetime, now: datetime) -> datetime:
    """The end of the slot starting at `slot_start`, if it is one of the slots on offer."""
    if slot_start is None or timezone.is_naive(slot_start):
        raise _field_error("slot_start", _("Choose a time slot."))
    for start, end in callback_slots(team=team, now=now):
        if start == slot_start:
            return end
    raise _field_error(
        "slot_start", _("This time slot is not available: choose one inside our opening hours.")
    )


def _owner_for(customer: Customer, team: Team | None, at: datetime) -> tuple[User, Team | None]:
    """The advisor if present at the slot, else the deputy, else the least-loaded colleague."""
    decision = route_for_customer(customer=customer, team=team, at=at)
    if decision is not None and decision.owner is not None:
        return decision.owner, decision.team or team
    owner = case_route_owner(team=team)
    if owner is None:
        raise Conflict(_("Nobody can take callbacks for this team at the moment."), code="no_agent")
    return owner, team


def _slot_words(start: datetime, end: datetime) -> str:
    start, end = timezone.localtime(start), timezone.localtime(end)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


@transaction.atomic
def callback_request(
    *,
    actor: User | None,
    customer: Customer,
    phone: str,
    slot_start: datetime,
    source: str,
    case: Case | None = None,
    topic: str = "",
    owner: User | None = None,
    at: datetime | None = None,
) -> Callback:
    """Book a callback. A customer (signed in, or holding an email link: `actor` None) books for
    themself; an agent for any customer. Without a case, one is opened so that the request
    counts like any contact; with one, the request joins its conversation."""
    at = at or timezone.now()
    if source not in CallbackSource.values:
        raise _field_error("source", _("Unknown source."))
    phone = phone_clean(phone or customer.phone)
    topic = " ".join((topic or "").split())[:250]
    is_agent = actor is not None and actor.is_agent
    if actor is not None and not is_agent:
        if customer.user_id != actor.pk:
            raise PermissionDenied(_("You can only ask to be called back yourself."))
        owner = None
    if not is_agent:
        owner = None
    if case is not None:
        if case.customer_id != customer.pk:
            raise _field_error("case", _("This request belongs to another customer."))
        if Callback.objects.filter(case=case, status=CallbackStatus.SCHEDULED).exists():
            raise Conflict(
                _("A callback is already booked for this request."), code="callback_exists"
            )
    team = (case.team if case is not None else None) or _default_team()
    slot_end = slot_check(team=team, slot_start=slot_start, now=at)
    if owner is not None:
        if not owner.is_agent:
            raise _field_error("owner", _("A callback can only be owned by an active agent."))
    else:
        owner, team = _owner_for(customer, team, slot_start)
    words = _("Please call me back on %(phone)s, %(slot)s.") % {
        "phone": phone,
        "slot": _slot_words(slot_start, slot_end),
    }
    body = f"{topic}\n\n{words}" if topic else words
    channel = Channel.PHONE if is_agent else Channel.PORTAL
    if case is None:
        case = case_open(
            actor=actor,
            customer=customer,
            subject=topic or _("Callback request"),
            body_text=body,
            channel=channel,
            at=at,
        )
    elif is_agent:
        contact_add(
            actor=actor,
            case=case,
            kind=ContactKind.NOTE,
            body_text=_("Callback booked for %(slot)s on %(phone)s, owner %(owner)s.")
            % {"slot": _slot_words(slot_start, slot_end), "phone": phone, "owner": owner},
            at=at,
        )
    else:
        contact_add(
            actor=actor,
            case=case,
            kind=ContactKind.CUSTOMER_MESSAGE,
            body_text=body,
            channel=channel,
            at=at,
        )
    callback = Callback.objects.create(
        customer=customer,
        case=case,
        team=team,
        owner=owner,
        phone=phone,
        topic=topic,
        source=source,
        slot_start=slot_start,
        slot_end=slot_end,
        due_at=slot_end,
        created_by=actor,
        created_at=at,
    )
    _schedule_reminder(callback)
    _schedule_escalation(callback)
    _confirm_to_customer(callback)
    return callback


# --- Attempts -----------------------------------------------------------------------------------


def _lock(callback: Callback) -> Callback:
    return (
        Callback.objects.select_for_update(of=("self",))
        .select_related("customer", "case", "owner", "team")
        .get(pk=callback.pk)
    )


@transaction.atomic
def callback_attempt(
    *,
    actor: User,
    callback: Callback,
    outcome: str,
    note: str = "",
    duration_seconds: int | None = None,
    at: datetime | None = None,
) -> CallbackAttempt:
    """Record a call made for a callback. Reached: a "call" contact on the case (a response in
    every metric) and the callback is done. Voicemail or no answer: an internal note, and the
    next attempt is due GUICHET_CALLBACK_RETRY_MINUTES business minutes later, up to
    GUICHET_CALLBACK_MAX_ATTEMPTS. Wrong number: the callback fails and the customer is asked
    by email for the right number."""
    if not actor.is_agent:
        raise PermissionDenied(_("Only agents record calls."))
    at = at or timezone.now()
    if outcome not in CallOutcome.values:
        raise _field_error("outcome", _("Unknown outcome."))
    if duration_seconds is not None and not 0 <= duration_seconds <= 24 * 3600:
        raise _field_error("duration_seconds", _("Enter a duration in seconds, up to a day."))
    callback = _lock(callback)
    if callback.status != CallbackStatus.SCHEDULED:
        raise Conflict(_("This callback is already finished."), code="callback_finished")
    note = (note or "").strip()
    contact = None
    case = callback.case
    callback.attempts += 1
    if callback.first_attempt_at is None:
        callback.first_attempt_at = at
    if outcome == CallOutcome.REACHED:
        if case is not None:
            contact = contact_add(
                actor=actor,
                case=case,
                kind=ContactKind.CALL,
                channel=Channel.PHONE,
                direction=Direction.OUTBOUND,
                duration_seconds=duration_seconds,
                body_text=note or _("Called back as promised."),
                at=at,
            )
        callback.status = CallbackStatus.DONE
        callback.finished_at = at
    else:
        label = CallOutcome(outcome).label
        if case is not None:
            contact_add(
                actor=actor,
                case=case,
                kind=ContactKind.NOTE,
                body_text=_("Callback attempt %(n)d: %(outcome)s. %(note)s")
                % {"n": callback.attempts, "outcome": label, "note": note},
                at=at,
            )
        if outcome in RETRY_OUTCOMES and callback.attempts < settings.GUICHET_CALLBACK_MAX_ATTEMPTS:
            schedule = team_schedule(callback.team)
            retry = timedelta(minutes=settings.GUICHET_CALLBACK_RETRY_MINUTES)
            callback.due_at = business_time_add(schedule, at, retry)
            _schedule_escalation(callback)
        else:
            callback.status = CallbackStatus.FAILED
            callback.finished_at = at
            if outcome == CallOutcome.WRONG_NUMBER:
                _tell_customer(callback, "proximity/email/callback_wrong_number.txt")
    callback.save()
    return CallbackAttempt.objects.create(
        callback=callback,
        agent=actor,
        outcome=outcome,
        note=note,
        duration_seconds=duration_seconds,
        contact=contact,
        at=at,
    )


@transaction.atomic
def callback_cancel(
    *, actor: User, callback: Callback, reason: str = "", at: datetime | None = None
) -> Callback:
    at = at or timezone.now()
    callback = _lock(callback)
    if not actor.is_agent and callback.customer.user_id != actor.pk:
        raise PermissionDenied(_("You can only cancel your own callbacks."))
    if callback.status != CallbackStatus.SCHEDULED:
        raise Conflict(_("This callback is already finished."), code="callback_finished")
    callback.status = CallbackStatus.CANCELLED
    callback.finished_at = at
    callback.save(update_fields=["status", "finished_at"])
    if callback.case is not None:
        contact_add(
            actor=actor if actor.is_agent else None,
            case=callback.case,
            kind=ContactKind.NOTE,
            body_text=_("Callback of %(slot)s cancelled. %(reason)s")
            % {"slot": _slot_words(callback.slot_start, callback.slot_end), "reason": reason},
            at=at,
        )
    return callback


# --- Reminders and escalations ----------------------------------------------------------------


def remind_at(callback: Callback) -> datetime:
    return callback.slot_start - timedelta(minutes=settings.GUICHET_CALLBACK_REMIND_MINUTES)


def _enqueue(task, callback_id: int, expected: datetime, run_after: datetime) -> None:
    def enqueue() -> None:
        if not task.get_backend().supports_defer:
            logger.info("tasks backend cannot defer: callback %s not scheduled", callback_id)
            return
        task.using(run_after=run_after).enqueue(callback_id, expected.isoformat())

    transaction.on_commit(enqueue, robust=True)


def _schedule_reminder(callback: Callback) -> None:
    from guichet.proximity.tasks import callback_remind_task

    _enqueue(callback_remind_task, callback.pk, callback.slot_start, remind_at(callback))


def _schedule_escalation(callback: Callback) -> None:
    from guichet.proximity.tasks import callback_escalate_task

    _enqueue(callback_escalate_task, callback.pk, callback.due_at, callback.due_at)


def _mail(to: str, language: str, template: str, context: dict) -> None:
    def send() -> None:
        with translation.override(language or settings.LANGUAGE_CODE):
            text = render_to_string(template, context)
        subject, _sep, body = text.partition("\n\n")
        EmailMessage(
            subject=" ".join(subject.split())[:200],
            body=body.strip() + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            reply_to=[settings.GUICHET_SUPPORT_EMAIL],
        ).send()

    transaction.on_commit(send, robust=True)


def _context(callback: Callback) -> dict:
    from guichet.proximity.selectors import advisor_card

    return {
        "callback": callback,
        "customer": callback.customer,
        "advisor": advisor_card(callback.owner),
        "base_url": settings.GUICHET_BASE_URL,
        "slot_start": timezone.localtime(callback.slot_start),
        "slot_end": timezone.localtime(callback.slot_end),
        "due_at": timezone.localtime(callback.due_at),
    }


def _confirm_to_customer(callback: Callback) -> None:
    _tell_customer(callback, "proximity/email/callback_booked.txt")


def _tell_customer(callback: Callback, template: str) -> None:
    customer = callback.customer
    if customer.email:
        _mail(customer.email, customer.language, template, _context(callback))


def callback_remind(*, callback_id: int, expected_slot: datetime, now: datetime | None = None):
    """Remind the owner before the slot; once, and only if nobody has called yet."""
    now = now or timezone.now()
    with transaction.atomic():
        callback = (
            Callback.objects.select_for_update(of=("self",))
            .select_related("owner", "customer", "case")
            .filter(pk=callback_id)
            .first()
        )
        if (
            callback is None
            or callback.status != CallbackStatus.SCHEDULED
            or callback.slot_start != expected_slot
            or callback.reminded_at is not None
            or callback.attempts
            or now < remind_at(callback)
        ):
            return False
        callback.reminded_at = now
        callback.save(update_fields=["reminded_at"])
        if callback.owner.email:
            _mail(
                callback.owner.email,
                callback.owner.language,
                "proximity/email/callback_reminder.txt",
                _context(callback) | {"url": _plan_url()},
            )
    return True


def _plan_url() -> str:
    from django.urls import reverse

    return f"{settings.GUICHET_BASE_URL}{reverse('proximity:day_plan')}"


def _supervisors(callback: Callback) -> list[User]:
    teams = [callback.team] if callback.team_id else list(callback.owner.teams.all())
    people = [t.supervisor for t in teams if t is not None and t.supervisor_id]
    return [p for p in people if p is not None and p.is_active]


def callback_escalate(
    *, callback_id: int, expected_due: datetime, now: datetime | None = None
) -> bool:
    """The slot (or the retry's due time) passed with no call: tell the team's supervisor and
    the owner, note it on the case, and hand the callback to someone present if its owner is
    away. Once per due time."""
    now = now or timezone.now()
    with transaction.atomic():
        callback = (
            Callback.objects.select_for_update(of=("self",))
            .select_related("owner", "customer", "case", "team")
            .filter(pk=callback_id)
            .first()
        )
        if (
            callback is None
            or callback.status != CallbackStatus.SCHEDULED
            or callback.due_at != expected_due
            or now < callback.due_at
            or (callback.escalated_at is not None and callback.escalated_at >= callback.due_at)
        ):
            return False
        previous_owner = callback.owner
        if absent_ids(agent_ids=[previous_owner.pk], at=now):
            owner, team = _owner_for(callback.customer, callback.team, now)
            callback.owner, callback.team = owner, team or callback.team
        callback.escalated_at = now
        callback.save(update_fields=["escalated_at", "owner", "team"])
        if callback.case is not None and callback.case.status in ACTIVE_STATUSES:
            contact_add(
                actor=None,
                case=callback.case,
                kind=ContactKind.NOTE,
                body_text=_("Callback slot %(slot)s missed: escalated to the supervisor.")
                % {"slot": _slot_words(callback.slot_start, callback.slot_end)},
                at=now,
            )
        people = {p.pk: p for p in [*_supervisors(callback), previous_owner, callback.owner]}
        for person in people.values():
            if person.email and person.is_active:
                _mail(
                    person.email,
                    person.language,
                    "proximity/email/callback_missed.txt",
                    _context(callback) | {"url": _plan_url(), "previous_owner": previous_owner},
                )
    return True


def callbacks_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Send reminders and escalations that are due (a safety net beside the scheduled tasks,
    e.g. after the task queue was down): `guichet proximity sweep`."""
    now = now or timezone.now()
    reminded = escalated = 0
    scheduled = Callback.objects.filter(status=CallbackStatus.SCHEDULED)
    cutoff = now + timedelta(minutes=settings.GUICHET_CALLBACK_REMIND_MINUTES)
    for callback in scheduled.filter(reminded_at__isnull=True, attempts=0, slot_start__lte=cutoff):
        reminded += int(
            callback_remind(callback_id=callback.pk, expected_slot=callback.slot_start, now=now)
        )
    for callback in scheduled.filter(due_at__lte=now):
        escalated += int(
            callback_escalate(callback_id=callback.pk, expected_due=callback.due_at, now=now)
        )
    return reminded, escalated
