"""Reads: which policy and calendar apply to a case, its clocks, the inbox countdown,
notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from guichet.accounts.models import User
from guichet.cases.access import case_get_for_user
from guichet.cases.choices import Priority
from guichet.cases.models import Case
from guichet.core.errors import NotFound
from guichet.sla.businesstime import Schedule, business_time_between
from guichet.sla.choices import Countdown, Outcome, TargetKind
from guichet.sla.clocks import Terms
from guichet.sla.models import (
    DEFAULT_CALENDAR,
    Calendar,
    CaseClock,
    CaseTarget,
    EscalationRule,
    Notification,
    Policy,
    PolicyTarget,
    TeamCalendar,
)
from guichet.sla.schedules import calendar_schedule, default_schedule

# Used only when the default policy row is missing (it is created by a migration).
FALLBACK_MINUTES: dict[str, dict[str, int | None]] = {
    Priority.URGENT: {"first_response": 60, "next_response": 120, "resolution": 480},
    Priority.HIGH: {"first_response": 240, "next_response": 240, "resolution": 960},
    Priority.NORMAL: {"first_response": 480, "next_response": 480, "resolution": 2400},
    Priority.LOW: {"first_response": 960, "next_response": 960, "resolution": 4800},
}


def calendar_get(*, name: str) -> Calendar:
    calendar = (
        Calendar.objects.prefetch_related("opening_hours", "exceptions").filter(name=name).first()
    )
    if calendar is None:
        raise NotFound(f"Calendar {name!r} not found.")
    return calendar


def calendar_list() -> QuerySet[Calendar]:
    return Calendar.objects.prefetch_related("opening_hours", "exceptions").order_by("name")


def policy_list() -> QuerySet[Policy]:
    return (
        Policy.objects.select_related("calendar", "organisation", "category", "team")
        .prefetch_related(Prefetch("targets", queryset=PolicyTarget.objects.order_by("id")))
        .order_by("-is_default", "order", "id")
    )


@dataclass
class SlaContext:
    """Everything clock_sync needs besides the case, loaded once for a batch of cases."""

    policies: list[Policy]
    default_policy: Policy | None
    team_calendars: dict[int, Calendar]
    default_calendar: Calendar | None
    rules: list[EscalationRule]
    _calendars: dict[int, Calendar] = field(default_factory=dict)
    _terms: dict[int | None, Terms] = field(default_factory=dict)

    def policy_for(self, case: Case) -> Policy | None:
        for policy in self.policies:
            if policy_matches(policy, case):
                return policy
        return self.default_policy

    def calendar_for(self, policy: Policy | None, team_id: int | None) -> Calendar | None:
        if policy is not None and policy.calendar_id:
            return self._calendars.get(policy.calendar_id) or policy.calendar
        if team_id is not None and team_id in self.team_calendars:
            return self.team_calendars[team_id]
        return self.default_calendar

    def calendar_by_id(self, calendar_id: int) -> Calendar | None:
        return self._calendars.get(calendar_id)

    def terms_for(self, policy: Policy | None) -> Terms:
        key = policy.pk if policy is not None else None
        if key not in self._terms:
            self._terms[key] = policy_terms(policy)
        return self._terms[key]

    def schedule_for(self, calendar: Calendar | None) -> Schedule:
        return calendar_schedule(calendar) if calendar is not None else default_schedule()


def sla_context_load() -> SlaContext:
    calendars = {
        c.pk: c for c in Calendar.objects.prefetch_related("opening_hours", "exceptions").all()
    }
    policies = list(
        Policy.objects.filter(is_active=True).prefetch_related("targets").order_by("order", "id")
    )
    for policy in policies:
        if policy.calendar_id:
            policy.calendar = calendars[policy.calendar_id]
    default = next((p for p in policies if p.is_default), None)
    default_calendar = next((c for c in calendars.values() if c.name == DEFAULT_CALENDAR), None)
    return SlaContext(
        policies=[p for p in policies if not p.is_default],
        default_policy=default,
        team_calendars={tc.team_id: calendars[tc.calendar_id] for tc in TeamCalendar.objects.all()},
        default_calendar=default_calendar,
        rules=list(EscalationRule.objects.filter(is_active=True).order_by("id")),
        _calendars=calendars,
    )


def policy_matches(policy: Policy, case: Case) -> bool:
    """All the policy's conditions hold; an empty condition holds for every case."""
    customer = case.customer
    organisation = customer.organisation if customer.organisation_id else None
    if policy.channel and policy.channel != case.channel:
        return False
    if policy.segment and policy.segment not in (
        customer.segment,
        organisation.segment if organisation else None,
    ):
        return False
    if policy.organisation_id and policy.organisation_id != customer.organisation_id:
        return False
    if policy.category_id and policy.category_id != case.category_id:
        return False
    return not (policy.team_id and policy.team_id != case.team_id)


def policy_terms(policy: Policy | None) -> Terms:
    if policy is None:
        return Terms(policy_id=None, name="", minutes=FALLBACK_MINUTES)
    minutes = {
        t.priority: {kind: t.minutes(kind) for kind in TargetKind.values}
        for t in policy.targets.all()
    }
    return Terms(
        policy_id=policy.pk,
        name=policy.name,
        minutes=minutes,
        pause_when_waiting=policy.pause_when_waiting,
    )


# --- The inbox countdown ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseCountdown:
    state: str  # Countdown
    kind: str  # TargetKind of the nearest target, "" when none
    due_at: datetime | None
    business_left: timedelta | None  # negative once breached

    @property
    def label(self) -> str:
        return Countdown(self.state).label

    @property
    def minutes_left(self) -> int | None:
        if self.business_left is None:
            return None
        return int(self.business_left.total_seconds() // 60)

    @property
    def minutes_late(self) -> int | None:
        left = self.minutes_left
        return None if left is None else max(0, -left)


def clock_countdown(clock: CaseClock | None, *, now: datetime | None = None) -> CaseCountdown:
    """The state of a case's nearest target: on track, at risk (less than a quarter of the target
    left), breached, paused (waiting on the customer), or none."""
    now = now or timezone.now()
    if clock is None:
        return CaseCountdown(Countdown.NONE, "", None, None)
    if clock.next_due_at is None:
        state = Countdown.PAUSED if clock.paused_since else Countdown.NONE
        return CaseCountdown(state, "", None, None)
    if now >= clock.next_due_at:
        state = Countdown.BREACHED
    elif clock.next_risk_at is not None and now >= clock.next_risk_at:
        state = Countdown.AT_RISK
    else:
        state = Countdown.ON_TRACK
    schedule = calendar_schedule(clock.calendar) if clock.calendar_id else default_schedule()
    left = business_time_between(schedule, now, clock.next_due_at)
    return CaseCountdown(state, clock.next_kind, clock.next_due_at, left)


def case_countdown(case: Case, *, now: datetime | None = None) -> CaseCountdown:
    """For a case from `cases_with_clock` (no query), or any case (one query)."""
    try:
        clock = case.sla_clock
    except CaseClock.DoesNotExist:
        clock = None
    return clock_countdown(clock, now=now)


def case_countdowns(cases, *, now: datetime | None = None) -> dict[int, CaseCountdown]:
    """The countdowns of a page of cases, in one query (for lists rendered in Python)."""
    now = now or timezone.now()
    clocks = CaseClock.objects.filter(case_id__in=[c.pk for c in cases]).select_related("calendar")
    return {clock.case_id: clock_countdown(clock, now=now) for clock in clocks}


def cases_with_clock(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Join the clock (and its calendar) so `case_countdown` costs no query per row."""
    return queryset.select_related("sla_clock", "sla_clock__calendar")


def cases_by_time_left(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Inbox order: nearest due time first; cases with no running target (paused, no target,
    finished) last; oldest first among equals."""
    return cases_with_clock(queryset).order_by(
        F("sla_clock__next_due_at").asc(nulls_last=True), "created_at", "id"
    )


def cases_after_by_time_left(queryset: QuerySet[Case], *, case: Case) -> QuerySet[Case]:
    """The cases after `case` in `cases_by_time_left` order (the inbox's "next case")."""
    try:
        due = case.sla_clock.next_due_at
    except CaseClock.DoesNotExist:
        due = None
    later = Q(created_at__gt=case.created_at) | Q(created_at=case.created_at, id__gt=case.pk)
    no_due = Q(sla_clock__next_due_at__isnull=True)
    if due is None:
        return queryset.filter(no_due & later)
    return queryset.filter(
        Q(sla_clock__next_due_at__gt=due) | (Q(sla_clock__next_due_at=due) & later) | no_due
    )


# --- One case's clocks, for the API -------------------------------------------------------------


@dataclass(frozen=True)
class TargetView:
    target: CaseTarget
    spent: timedelta  # business time counted so far (or at the end)
    calendar_spent: timedelta
    paused: timedelta
    paused_business: timedelta
    state: str  # Outcome, or Countdown for running targets


def case_clock_detail(
    *, user: User, reference: str, now: datetime | None = None
) -> tuple[Case, CaseClock | None, list[TargetView]]:
    now = now or timezone.now()
    case = case_get_for_user(user=user, reference=reference)
    clock = CaseClock.objects.select_related("policy", "calendar").filter(case=case).first()
    schedule = (
        calendar_schedule(clock.calendar) if clock and clock.calendar_id else default_schedule()
    )
    views = []
    for target in CaseTarget.objects.filter(case=case).order_by("started_at", "kind", "seq"):
        views.append(_target_view(target, schedule, now))
    return case, clock, views


def _target_view(target: CaseTarget, schedule: Schedule, now: datetime) -> TargetView:
    paused = timedelta(seconds=target.paused_seconds)
    paused_business = timedelta(seconds=target.paused_business_seconds)
    if target.outcome != Outcome.OPEN:
        return TargetView(
            target,
            timedelta(seconds=target.business_seconds or 0),
            timedelta(seconds=target.calendar_seconds or 0),
            paused,
            paused_business,
            target.outcome,
        )
    # Running: count up to now; a pause under way adds to the paused time, not the spent time.
    until = target.paused_since or now
    if target.paused_since:
        paused += now - target.paused_since
        paused_business += business_time_between(schedule, target.paused_since, now)
    spent = business_time_between(schedule, target.started_at, until) - timedelta(
        seconds=target.paused_business_seconds
    )
    calendar_spent = (until - target.started_at) - timedelta(seconds=target.paused_seconds)
    if target.paused_since:
        state = Countdown.BREACHED if target.breached_at else Countdown.PAUSED
    elif target.due_at is None:
        state = Countdown.NONE
    elif now >= target.due_at:
        state = Countdown.BREACHED
    elif target.risk_at and now >= target.risk_at:
        state = Countdown.AT_RISK
    else:
        state = Countdown.ON_TRACK
    return TargetView(target, spent, calendar_spent, paused, paused_business, state)


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user).select_related("case")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")
