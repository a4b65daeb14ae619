from __future__ import annotations

from datetime import date, datetime

from ninja import Schema


class OpeningHoursOut(Schema):
    weekday: int
    start: str
    end: str

    @staticmethod
    def resolve_start(obj) -> str:
        return f"{obj.start:%H:%M}"

    @staticmethod
    def resolve_end(obj) -> str:
        return "24:00" if obj.end.hour == 0 and obj.end.minute == 0 else f"{obj.end:%H:%M}"


class CalendarExceptionOut(Schema):
    date: date
    kind: str
    start: str | None
    end: str | None
    label: str

    @staticmethod
    def resolve_start(obj) -> str | None:
        return f"{obj.start:%H:%M}" if obj.start else None

    @staticmethod
    def resolve_end(obj) -> str | None:
        if obj.end is None:
            return None
        return "24:00" if obj.end.hour == 0 and obj.end.minute == 0 else f"{obj.end:%H:%M}"


class CalendarOut(Schema):
    name: str
    label: str
    time_zone: str
    country: str
    subdivision: str
    opening_hours: list[OpeningHoursOut]
    exceptions: list[CalendarExceptionOut]
    updated_at: datetime

    @staticmethod
    def resolve_opening_hours(obj) -> list:
        return list(obj.opening_hours.all())

    @staticmethod
    def resolve_exceptions(obj) -> list:
        return list(obj.exceptions.all())


class DueOut(Schema):
    calendar: str
    start: datetime
    minutes: int
    due: datetime


class BetweenOut(Schema):
    calendar: str
    start: datetime
    end: datetime
    business_minutes: float
    calendar_minutes: float


class PolicyTargetOut(Schema):
    priority: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None


class PolicyOut(Schema):
    id: int
    name: str
    order: int
    is_default: bool
    is_active: bool
    calendar: str | None
    pause_when_waiting: bool
    conditions: dict
    targets: list[PolicyTargetOut]

    @staticmethod
    def resolve_calendar(obj) -> str | None:
        return obj.calendar.name if obj.calendar_id else None

    @staticmethod
    def resolve_conditions(obj) -> dict:
        return {
            "channel": obj.channel or None,
            "segment": obj.segment or None,
            "organisation": obj.organisation.name if obj.organisation_id else None,
            "category": obj.category.slug if obj.category_id else None,
            "team": obj.team_id,
        }

    @staticmethod
    def resolve_targets(obj) -> list:
        return list(obj.targets.all())


class CountdownOut(Schema):
    state: str
    target: str
    due_at: datetime | None
    business_minutes_left: int | None


class CaseTargetOut(Schema):
    target: str
    run: int
    priority: str
    started_at: datetime
    target_minutes: int | None
    due_at: datetime | None
    breached_at: datetime | None
    ended_at: datetime | None
    state: str
    outcome: str
    paused_since: datetime | None
    business_minutes_spent: float
    calendar_minutes_spent: float
    paused_minutes: float
    paused_business_minutes: float


class CaseClockOut(Schema):
    reference: str
    policy: str | None
    calendar: str | None
    priority: str | None
    paused_since: datetime | None
    countdown: CountdownOut
    targets: list[CaseTargetOut]


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    case: str | None
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_case(obj) -> str | None:
        return obj.case.reference if obj.case_id else None


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread: int


class AttainmentRowOut(Schema):
    group: str | None
    target: str
    met: int
    breached: int
    total: int
    attainment: float | None
    low: float | None
    high: float | None
    enough: bool


class DistributionOut(Schema):
    target: str
    count: int
    business_median_minutes: float | None
    business_p90_minutes: float | None
    calendar_median_minutes: float | None
    calendar_p90_minutes: float | None


class AtRiskOut(Schema):
    reference: str
    subject: str
    target: str
    state: str
    due_at: datetime | None
    owner: str | None
    team: str | None
