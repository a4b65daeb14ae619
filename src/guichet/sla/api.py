"""/api/v1/sla: calendars and policies (agents), a case's clocks (agents who may see the case),
one's notifications, and the reactivity report (supervisors and administrators)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from guichet.accounts.models import User
from guichet.cases.access import agent_required
from guichet.core.errors import PermissionDenied, ValidationFailed
from guichet.sla import reports, selectors, services
from guichet.sla.businesstime import NeverOpen, business_time_add, business_time_between
from guichet.sla.schedules import calendar_schedule
from guichet.sla.schemas import (
    AtRiskOut,
    AttainmentRowOut,
    BetweenOut,
    CalendarOut,
    CaseClockOut,
    DistributionOut,
    DueOut,
    NotificationOut,
    NotificationPage,
    PolicyOut,
)

router = Router()


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _overseer_required(user: User) -> None:
    if not user.sees_all_teams:
        raise PermissionDenied(_("Only supervisors and administrators see this report."))


def _aware(value: datetime, tz) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


@router.get("/calendars", response=list[CalendarOut], summary="Business calendars")
def list_calendars(request: HttpRequest):
    agent_required(request.auth)
    return list(selectors.calendar_list())


@router.get("/calendars/{name}", response=CalendarOut, summary="One business calendar")
def get_calendar(request: HttpRequest, name: str):
    agent_required(request.auth)
    return selectors.calendar_get(name=name)


@router.get("/calendars/{name}/due", response=DueOut, summary="N business minutes after start")
def calendar_due(
    request: HttpRequest, name: str, start: datetime, minutes: int = Query(..., ge=0, le=5_256_000)
):
    agent_required(request.auth)
    schedule = calendar_schedule(selectors.calendar_get(name=name))
    start = _aware(start, schedule.tz)
    try:
        due = business_time_add(schedule, start, timedelta(minutes=minutes))
    except NeverOpen as exc:
        raise _invalid("minutes", str(exc)) from exc
    return {"calendar": name, "start": start, "minutes": minutes, "due": due}


@router.get(
    "/calendars/{name}/between", response=BetweenOut, summary="Business minutes between instants"
)
def calendar_between(request: HttpRequest, name: str, start: datetime, end: datetime):
    agent_required(request.auth)
    schedule = calendar_schedule(selectors.calendar_get(name=name))
    start, end = _aware(start, schedule.tz), _aware(end, schedule.tz)
    if end < start:
        raise _invalid("end", _("The end is before the start."))
    if end - start > timedelta(days=3660):
        raise _invalid("end", _("At most ten years."))
    return {
        "calendar": name,
        "start": start,
        "end": end,
        "business_minutes": business_time_between(schedule, start, end).total_seconds() / 60,
        "calendar_minutes": (end - start).total_seconds() / 60,
    }


@router.get("/policies", response=list[PolicyOut], summary="Service policies, in matching order")
def list_policies(request: HttpRequest):
    agent_required(request.auth)
    return list(selectors.policy_list())


@router.get("/cases/{reference}", response=CaseClockOut, summary="A case's service clocks")
def case_clocks(request: HttpRequest, reference: str):
    user: User = request.auth
    agent_required(user)
    now = timezone.now()
    case, clock, views = selectors.case_clock_detail(user=user, reference=reference, now=now)
    countdown = selectors.clock_countdown(clock, now=now)
    return {
        "reference": case.reference,
        "policy": clock.policy.name if clock and clock.policy_id else None,
        "calendar": clock.calendar.name if clock and clock.calendar_id else None,
        "priority": clock.priority if clock else None,
        "paused_since": clock.paused_since if clock else None,
        "countdown": {
            "state": countdown.state,
            "target": countdown.kind,
            "due_at": countdown.due_at,
            "business_minutes_left": countdown.minutes_left,
        },
        "targets": [
            {
                "target": v.target.kind,
                "run": v.target.seq,
                "priority": v.target.priority,
                "started_at": v.target.started_at,
                "target_minutes": v.target.target_minutes,
                "due_at": v.target.due_at,
                "breached_at": v.target.breached_at,
                "ended_at": v.target.ended_at,
                "state": v.state,
                "outcome": v.target.outcome,
                "paused_since": v.target.paused_since,
                "business_minutes_spent": round(v.spent.total_seconds() / 60, 2),
                "calendar_minutes_spent": round(v.calendar_spent.total_seconds() / 60, 2),
                "paused_minutes": round(v.paused.total_seconds() / 60, 2),
                "paused_business_minutes": round(v.paused_business.total_seconds() / 60, 2),
            }
            for v in views
        ],
    }


@router.get("/notifications", response=NotificationPage, summary="My notifications, newest first")
def list_notifications(
    request: HttpRequest, unread: bool = False, limit: int = Query(50, ge=1, le=200)
):
    qs = selectors.notification_list(user=request.auth, unread_only=unread)
    return {
        "items": list(qs[:limit]),
        "unread": selectors.notification_list(user=request.auth, unread_only=True).count(),
    }


@router.post(
    "/notifications/{notification_id}/read", response=NotificationOut, summary="Mark as read"
)
def read_notification(request: HttpRequest, notification_id: int):
    return services.notification_mark_read(user=request.auth, notification_id=notification_id)


@router.post("/notifications/read", response=dict, summary="Mark all my notifications as read")
def read_all_notifications(request: HttpRequest):
    return {"updated": services.notifications_mark_all_read(user=request.auth)}


class ReportQuery(Schema):
    since: date | None = Field(None, description="First week (any day of it); default 12 weeks ago")
    until: date | None = Field(None, description="Last week (any day of it); default this week")
    by: str = Field("all", description="all, team, channel, priority or week")
    team: int | None = None
    channel: str | None = None
    priority: str | None = None


def _filters(query: ReportQuery) -> reports.ReportFilters:
    return reports.ReportFilters.build(
        since=query.since,
        until=query.until,
        team=query.team,
        channel=query.channel,
        priority=query.priority,
    )


@router.get(
    "/report/attainment", response=list[AttainmentRowOut], summary="Target attainment (supervisors)"
)
def report_attainment(request: HttpRequest, query: Query[ReportQuery]):
    _overseer_required(request.auth)
    rows = reports.attainment(filters=_filters(query), by=query.by)
    return [
        {
            "group": r.group,
            "target": r.target,
            "met": r.met,
            "breached": r.breached,
            "total": r.total,
            "attainment": r.attainment,
            "low": r.low,
            "high": r.high,
            "enough": r.enough,
        }
        for r in rows
    ]


@router.get("/report/attainment.csv", summary="Target attainment as CSV (supervisors)")
def report_attainment_csv(request: HttpRequest, query: Query[ReportQuery]):
    _overseer_required(request.auth)
    rows = reports.attainment(filters=_filters(query), by=query.by)
    response = HttpResponse(reports.attainment_csv(rows, by=query.by), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="reactivity-{query.by}.csv"'
    return response


@router.get(
    "/report/distribution", response=list[DistributionOut], summary="Median and 90th percentile"
)
def report_distribution(request: HttpRequest, query: Query[ReportQuery]):
    _overseer_required(request.auth)
    filters = _filters(query)
    result = []
    for kind in ("first_response", "next_response", "resolution"):
        d = reports.distribution(filters=filters, target=kind)
        result.append(
            {
                "target": d.target,
                "count": d.count,
                "business_median_minutes": d.business_median,
                "business_p90_minutes": d.business_p90,
                "calendar_median_minutes": d.calendar_median,
                "calendar_p90_minutes": d.calendar_p90,
            }
        )
    return result


@router.get("/at-risk", response=list[AtRiskOut], summary="Cases at risk or overdue now")
def at_risk(request: HttpRequest, limit: int = Query(100, ge=1, le=500)):
    agent_required(request.auth)
    return [
        {
            "reference": item.target.case.reference,
            "subject": item.target.case.subject,
            "target": item.target.kind,
            "state": item.state,
            "due_at": item.target.due_at,
            "owner": item.target.case.owner.display_name if item.target.case.owner_id else None,
            "team": item.target.case.team.name if item.target.case.team_id else None,
        }
        for item in reports.at_risk_now(user=request.auth, limit=limit)
    ]
