"""Complaint deadlines: the regulatory profile's defaults, the firm's overrides, and the one
function that turns "N working days" into an instant.

REQ-LEG-06 (profiles), REQ-LEG-07 (clocks start at receipt), REQ-CMP-05 (pre-set deadlines per
stage). `working_days_due` is the only place that knows about calendars: it counts with the
pure functions of `guichet.sla.businesstime` on the schedule `_schedule()` returns (the SLA app's
default calendar).
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.apps import apps
from django.conf import settings

from guichet.quality.choices import CountingMode, RegulatoryProfile
from guichet.sla.businesstime import Schedule, working_days_add

P = RegulatoryProfile


@dataclass(frozen=True)
class Targets:
    """Effective deadlines. `answer_days` and `answer_months` are alternatives (one is None)."""

    acknowledge_days: int
    assess_days: int
    answer_days: int | None
    answer_months: int | None
    holding_answer_days: int | None
    mediation_months: int
    counting_mode: str


# Defaults per profile (STANDARDS.md §5.3). "none": ISO 10002 asks for an immediate
# acknowledgement; two working days and one month for the answer are the firm's own promise.
PROFILE_DEFAULTS: dict[str, dict] = {
    P.NONE: {
        "acknowledge_days": 2,
        "assess_days": 5,
        "answer_days": None,
        "answer_months": 1,
        "holding_answer_days": None,
        "counting_mode": CountingMode.OUVRES,
    },
    # ACPR 2022-R-01: acknowledge ≤ 10 working days (jours ouvrables), answer ≤ 2 months.
    P.ACPR: {
        "acknowledge_days": 10,
        "assess_days": 10,
        "answer_days": None,
        "answer_months": 2,
        "holding_answer_days": None,
        "counting_mode": CountingMode.OUVRABLES,
    },
    # CMF L133-45: answer ≤ 15 working days; ≤ 35 with a holding reply giving reasons.
    P.PAYMENT: {
        "acknowledge_days": 2,
        "assess_days": 5,
        "answer_days": 15,
        "answer_months": None,
        "holding_answer_days": 35,
        "counting_mode": CountingMode.OUVRES,
    },
    # Energy: the national mediator may be asked two months after the written complaint.
    P.ENERGY: {
        "acknowledge_days": 10,
        "assess_days": 10,
        "answer_days": None,
        "answer_months": 2,
        "holding_answer_days": None,
        "counting_mode": CountingMode.OUVRABLES,
    },
}


def targets_for(policy) -> Targets:
    """The profile's defaults with the policy row's overrides on top."""
    defaults = PROFILE_DEFAULTS.get(policy.regulatory_profile, PROFILE_DEFAULTS[P.NONE])
    answer_days, answer_months = defaults["answer_days"], defaults["answer_months"]
    if policy.answer_days is not None:
        answer_days, answer_months = policy.answer_days, None
    elif policy.answer_months is not None:
        answer_days, answer_months = None, policy.answer_months
    return Targets(
        acknowledge_days=_pick(policy.acknowledge_days, defaults["acknowledge_days"]),
        assess_days=_pick(policy.assess_days, defaults["assess_days"]),
        answer_days=answer_days,
        answer_months=answer_months,
        holding_answer_days=_pick(policy.holding_answer_days, defaults["holding_answer_days"]),
        mediation_months=policy.mediation_months,
        counting_mode=policy.counting_mode or defaults["counting_mode"],
    )


def _pick(value, default):
    return default if value is None else value


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _schedule() -> Schedule:
    """The business calendar complaint deadlines count on: the SLA app's "default" calendar
    (opening days, holidays, closures) when installed, else France's public holidays with
    Monday–Friday opening. The only place to change if complaints get a calendar per team."""
    if apps.is_installed("guichet.sla"):
        from guichet.sla.models import DEFAULT_CALENDAR, Calendar
        from guichet.sla.schedules import calendar_schedule

        calendar = (
            Calendar.objects.prefetch_related("opening_hours", "exceptions")
            .filter(name=DEFAULT_CALENDAR)
            .first()
        )
        if calendar is not None:
            return calendar_schedule(calendar)
    return _schedule_cached(settings.TIME_ZONE, date.today().year)


@functools.lru_cache(maxsize=4)
def _schedule_cached(tz_name: str, year: int) -> Schedule:
    tz = ZoneInfo(tz_name)
    years = range(year - 10, year + 6)
    weekday = ((9 * 60, 18 * 60),)
    return Schedule(
        tz=tz,
        weekly=(weekday,) * 5 + ((), ()),
        holidays=frozenset(holidays.country_holidays("FR", years=years).keys()),
    )


def _end_of_day(day: date) -> datetime:
    """A deadline "within N days" runs to the end of the Nth day, local time."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=_tz())


def working_days_due(start: datetime, days: int, *, mode: str) -> datetime:
    """The end of the `days`-th working day after `start` (the day of receipt does not count)."""
    local_day = start.astimezone(_tz()).date()
    return _end_of_day(working_days_add(_schedule(), local_day, days, mode=mode))


def months_due(start: datetime, months: int) -> datetime:
    """Same day `months` later (clamped to the month's last day), end of that day."""
    local_day = start.astimezone(_tz()).date()
    month_index = local_day.month - 1 + months
    year, month = local_day.year + month_index // 12, month_index % 12 + 1
    day = min(local_day.day, calendar.monthrange(year, month)[1])
    return _end_of_day(date(year, month, day))


@dataclass(frozen=True)
class Deadlines:
    acknowledge: datetime
    assess: datetime
    answer: datetime


def deadlines_compute(
    *, targets: Targets, received_at: datetime, holding_reply: bool = False
) -> Deadlines:
    mode = targets.counting_mode
    if holding_reply and targets.holding_answer_days is not None:
        answer = working_days_due(received_at, targets.holding_answer_days, mode=mode)
    elif targets.answer_days is not None:
        answer = working_days_due(received_at, targets.answer_days, mode=mode)
    else:
        answer = months_due(received_at, targets.answer_months or 1)
    return Deadlines(
        acknowledge=working_days_due(received_at, targets.acknowledge_days, mode=mode),
        assess=working_days_due(received_at, targets.assess_days, mode=mode),
        answer=answer,
    )


def mediation_due(*, targets: Targets, written_at: datetime) -> datetime:
    """From when an unresolved complaint entitles the customer to the mediator's details."""
    return months_due(written_at, targets.mediation_months)


def mediation_deadline(written_at: datetime) -> datetime:
    """L612-2 4°: the mediator may be asked up to one year after the written complaint."""
    return months_due(written_at, 12)


def duration_days(start: datetime | None, end: datetime | None) -> float | None:
    """Calendar days between two step times, for the register (None if a step is missing)."""
    if start is None or end is None:
        return None
    return round((end - start) / timedelta(days=1), 1)
