"""Warnings before a due time and escalations after a breach.

Alerts are not found by scanning cases: each clock keeps its next alert time, and one task per
time slot (`AlertSlot`, `run_after`) reads the clocks whose alert is due then (an index range).
An alert is sent once (keyed by target, run, rule and due time) and written in the timeline
("sla_warning" / "sla_breached"); a task for a time that no longer matches does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import EventKind
from guichet.cases.events import event_record
from guichet.cases.models import Case, CaseEvent
from guichet.sla.businesstime import (
    Schedule,
    business_time_add,
    business_time_subtract,
)
from guichet.sla.choices import AT_RISK_SHARE, AlertMoment, NotificationKind, Outcome, Recipient
from guichet.sla.clocks import RunResult
from guichet.sla.models import AlertSlot, CaseClock, CaseTarget, EscalationRule, Notification
from guichet.sla.selectors import sla_context_load

logger = logging.getLogger(__name__)


ALERT_KINDS = (EventKind.SLA_WARNING, EventKind.SLA_BREACHED)


def alert_key(run: RunResult | CaseTarget, rule: EscalationRule, due: datetime) -> str:
    return f"{run.kind}:{run.seq}:{rule.pk}:{due.astimezone(UTC).isoformat()}"


def rule_applies(rule: EscalationRule, kind: str, policy_id: int | None) -> bool:
    return (not rule.target_kind or rule.target_kind == kind) and (
        rule.policy_id is None or rule.policy_id == policy_id
    )


def alert_fire_at(
    rule: EscalationRule, *, due: datetime, target_minutes: int, schedule: Schedule
) -> datetime:
    if rule.moment == AlertMoment.BEFORE_DUE:
        margin = min(rule.minutes, target_minutes * AT_RISK_SHARE)
        return business_time_subtract(schedule, due, timedelta(minutes=margin))
    return business_time_add(schedule, due, timedelta(minutes=rule.minutes))


def next_alert_at(
    runs: Iterable[Any],  # RunResult-like: kind, seq, due_at, target_minutes
    rules: list[EscalationRule],
    policy_id: int | None,
    schedule: Schedule,
    sent: set[str],
    now: datetime,
    *,
    history: bool = False,
) -> datetime | None:
    best = None
    for run in runs:
        if run.due_at is None or run.target_minutes is None:
            continue
        for rule in rules:
            if not rule_applies(rule, run.kind, policy_id):
                continue
            if sent and alert_key(run, rule, run.due_at) in sent:
                continue
            if rule.moment == AlertMoment.BEFORE_DUE and run.due_at <= now:
                continue  # too late to warn; the escalation rules take over
            at = alert_fire_at(
                rule, due=run.due_at, target_minutes=run.target_minutes, schedule=schedule
            )
            if history and at < now:
                continue
            best = at if best is None else min(best, at)
    return best


# Alerts due within the same slot are sent by the same task (so at most this late).
ALERT_SLOT = timedelta(minutes=5)


def alert_slot_of(at: datetime) -> datetime:
    """The end of the slot holding `at` (the task runs then, so the alert is never early)."""
    step = int(ALERT_SLOT.total_seconds())
    seconds = int(at.timestamp())
    ceiling = -(-seconds // step) * step
    if ceiling == seconds and at.microsecond:
        ceiling += step
    return datetime.fromtimestamp(ceiling, tz=UTC)


def alerts_schedule(times: set[datetime]) -> int:
    """Queue one task per slot not queued yet (after commit). Returns the slots queued."""
    if not times:
        return 0
    slots = {alert_slot_of(at) for at in times}
    known = set(AlertSlot.objects.filter(run_at__in=slots).values_list("run_at", flat=True))
    new = sorted(slots - known)
    if not new:
        return 0
    AlertSlot.objects.bulk_create([AlertSlot(run_at=at) for at in new], ignore_conflicts=True)
    from guichet.sla.tasks import sla_alerts_due

    def enqueue() -> None:
        if not sla_alerts_due.get_backend().supports_defer:
            logger.info("tasks backend cannot defer: %d alert slot(s) not scheduled", len(new))
            return
        for at in new:
            sla_alerts_due.using(run_after=at).enqueue(at.isoformat())

    transaction.on_commit(enqueue, robust=True)
    return len(new)


def alerts_due(*, at: datetime, now: datetime | None = None) -> int:
    """The task of a slot: every clock whose next alert is due by `at` (an index range on
    `next_alert_at`), each sent by `alerts_send`. Returns notifications sent."""
    now = max(now or timezone.now(), at)
    AlertSlot.objects.filter(run_at__lte=at).delete()
    due = list(
        CaseClock.objects.filter(next_alert_at__lte=at)
        .order_by("next_alert_at")
        .values_list("case_id", "next_alert_at")
    )
    sent = 0
    for case_id, expected in due:
        try:
            sent += alerts_send(case_id=case_id, expected_at=expected, now=now)
        except Exception:  # one case's failure must not hold back the others' alerts
            logger.exception("SLA alerts of case %s failed", case_id)
    return sent


def _recipients(rule: EscalationRule, case: Case) -> list[User]:
    people: list[User | None]
    supervisor = case.team.supervisor if case.team_id and case.team else None
    if rule.recipient == Recipient.OWNER:
        people = [case.owner or supervisor]
    elif rule.recipient == Recipient.TEAM_SUPERVISOR:
        people = [supervisor]
    else:
        people = [rule.user]
    return [p for p in people if p is not None and p.is_active]


def alerts_send(*, case_id: int, expected_at: datetime, now: datetime | None = None) -> int:
    """Send the alerts of a case that are due by now (`expected_at` is the clock's next alert
    time as the caller read it). Does nothing when the clock has moved on since. Returns the
    notifications sent."""
    from guichet.sla.services.sync import clock_sync  # sync schedules alerts: import late

    now = now or timezone.now()
    sent_count = 0
    with transaction.atomic():
        clock = (
            CaseClock.objects.select_for_update(of=("self",))
            .select_related("case__owner", "case__team__supervisor", "calendar")
            .filter(case_id=case_id)
            .first()
        )
        if clock is None or clock.next_alert_at != expected_at:
            return 0
        case = clock.case
        context = sla_context_load()
        schedule = context.schedule_for(clock.calendar)
        sent = set(
            CaseEvent.objects.filter(case=case, kind__in=ALERT_KINDS).values_list(
                "data__key", flat=True
            )
        )
        running = CaseTarget.objects.filter(
            case=case, outcome=Outcome.OPEN, due_at__isnull=False, target_minutes__isnull=False
        )
        for target in running:
            for rule in context.rules:
                if not rule_applies(rule, target.kind, clock.policy_id):
                    continue
                key = alert_key(target, rule, target.due_at)
                if key in sent:
                    continue
                fire_at = alert_fire_at(
                    rule, due=target.due_at, target_minutes=target.target_minutes, schedule=schedule
                )
                if fire_at > now:
                    continue
                if rule.moment == AlertMoment.BEFORE_DUE and target.due_at <= now:
                    continue
                sent_count += _alert_deliver(case, target, rule, key, now)
                sent.add(key)
    clock_sync(case_id=case_id, now=now)
    return sent_count


def _alert_deliver(
    case: Case, target: CaseTarget, rule: EscalationRule, key: str, now: datetime
) -> int:
    breach = rule.moment == AlertMoment.AFTER_BREACH
    people = _recipients(rule, case)
    created = 0
    for person in people:
        message = _alert_message(case, target, breach=breach, language=person.language)
        if rule.in_app:
            _, new = Notification.objects.get_or_create(
                recipient=person,
                key=f"sla:{case.pk}:{key}",
                defaults={
                    "case": case,
                    "kind": NotificationKind.SLA_BREACH if breach else NotificationKind.SLA_WARNING,
                    "message": message[:500],
                    "created_at": now,
                },
            )
            created += int(new)
        if rule.email and person.email:
            _email_on_commit(person, case, target, message, breach=breach)
    event_record(
        case=case,
        kind=EventKind.SLA_BREACHED if breach else EventKind.SLA_WARNING,
        actor=None,
        at=now,
        key=key,
        target=target.kind,
        seq=target.seq,
        due=target.due_at.isoformat(),
        rule=rule.name,
        notified=[p.pk for p in people],
    )
    return created


def _kind_label(kind: str) -> str:
    return {
        "first_response": _("first response"),
        "next_response": _("next response"),
        "resolution": _("resolution"),
    }.get(kind, kind)


def _alert_message(case: Case, target: CaseTarget, *, breach: bool, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        due = timezone.localtime(target.due_at).strftime("%Y-%m-%d %H:%M")
        values = {"reference": case.reference, "target": _kind_label(target.kind), "due": due}
        if breach:
            return _("%(reference)s: the %(target)s target was missed (due %(due)s).") % values
        return _("%(reference)s: the %(target)s is due at %(due)s.") % values


def case_url(case: Case) -> str:
    try:
        path = reverse("workspace:case", kwargs={"reference": case.reference})
    except NoReverseMatch:
        path = f"/api/v1/cases/{case.reference}"
    return f"{settings.GUICHET_BASE_URL}{path}"


def _email_on_commit(
    person: User, case: Case, target: CaseTarget, message: str, *, breach: bool
) -> None:
    def send() -> None:
        with translation.override(person.language or settings.LANGUAGE_CODE):
            context = {
                "case": case,
                "message": message,
                "breach": breach,
                "url": case_url(case),
                "person": person,
            }
            subject = render_to_string("sla/email/alert_subject.txt", context).strip()
            body = render_to_string("sla/email/alert.txt", context)
        EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
            headers={"Auto-Submitted": "auto-generated"},
        ).send()

    transaction.on_commit(send, robust=True)
