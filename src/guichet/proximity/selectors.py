"""Reads of the proximity app: a customer's advisor as the customer may see them, the team's
business calendar, callback slots, an agent's day plan, contact numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from guichet.accounts.choices import STAFF_ROLES
from guichet.accounts.models import Team, User
from guichet.customers.models import Customer
from guichet.proximity.access import callback_queryset_for_user
from guichet.proximity.choices import CallbackStatus
from guichet.proximity.models import (
    Absence,
    AdvisorProfile,
    Callback,
    ContactNumber,
    HumanRequest,
    ReferentAssignment,
)
from guichet.proximity.services.absences import absent_ids
from guichet.proximity.services.referents import assignment_current
from guichet.sla.businesstime import Schedule
from guichet.sla.models import DEFAULT_CALENDAR, Calendar, TeamCalendar
from guichet.sla.schedules import calendar_schedule, default_schedule

# --- The advisor as a customer sees them ------------------------------------------------------


@dataclass(frozen=True)
class AdvisorCard:
    """Only what a customer may know: a first name, an optional photo, working hours. Built
    from the user but never carrying the surname, the email address or the user itself."""

    agent_id: int
    first_name: str
    working_hours: str
    photo_url: str


def advisor_card(user: User) -> AdvisorCard:
    profile = AdvisorProfile.objects.filter(user=user).first()
    photo_url = ""
    if profile is not None and profile.photo:
        photo_url = reverse("proximity_portal:advisor_photo", args=[user.pk])
    return AdvisorCard(
        agent_id=user.pk,
        first_name=(user.first_name or "").strip(),
        working_hours=profile.working_hours if profile else "",
        photo_url=photo_url,
    )


def customer_advisor(customer: Customer | None) -> AdvisorCard | None:
    """The customer's advisor card; None without an advisor or with one who left."""
    if customer is None:
        return None
    assignment = assignment_current(customer)
    if assignment is None or not assignment.referent.is_active:
        return None
    card = advisor_card(assignment.referent)
    return card if card.first_name else None


def customer_referent(customer: Customer) -> ReferentAssignment | None:
    return assignment_current(customer)


def customer_advisor_for_staff(customer: Customer, *, at: datetime | None = None) -> dict | None:
    """For the workspace customer page: the advisor and deputy (full names: staff only), whether
    they come from the organisation, and who of them is away now; None without an advisor."""
    assignment = assignment_current(customer)
    if assignment is None:
        return None
    away = absent_ids(
        agent_ids=[assignment.referent_id, assignment.deputy_id], at=at or timezone.now()
    )
    return {
        "assignment": assignment,
        "referent": assignment.referent,
        "deputy": assignment.deputy,
        "team": assignment.team,
        "via_organisation": assignment.customer_id is None,
        "referent_away": assignment.referent_id in away,
        "deputy_away": assignment.deputy_id in away,
    }


def advisor_photo_visible(*, user: User, agent_id: int) -> AdvisorProfile | None:
    """An advisor's photo, for staff and for the customers that agent advises."""
    profile = AdvisorProfile.objects.filter(user_id=agent_id).exclude(photo="").first()
    if profile is None or not user.is_authenticated:
        return None
    if user.is_agent:
        return profile
    customer = Customer.objects.filter(user=user).first()
    card = customer_advisor(customer)
    return profile if card is not None and card.agent_id == agent_id else None


# --- Calendars and slots ----------------------------------------------------------------------


def team_schedule(team: Team | None) -> Schedule:
    """The team's business calendar (guichet.sla), else the "default" one."""
    calendar = None
    if team is not None:
        link = TeamCalendar.objects.filter(team=team).select_related("calendar").first()
        calendar = link.calendar if link is not None else None
    if calendar is None:
        calendar = Calendar.objects.filter(name=DEFAULT_CALENDAR).first()
    return calendar_schedule(calendar) if calendar is not None else default_schedule()


def callback_slots(
    *, team: Team | None, now: datetime | None = None, days: int | None = None
) -> list[tuple[datetime, datetime]]:
    """Slots a customer may choose: GUICHET_CALLBACK_SLOT_MINUTES long, inside the opening
    hours of the team's calendar, starting at least GUICHET_CALLBACK_LEAD_MINUTES from now,
    over the next `days` calendar days."""
    now = now or timezone.now()
    days = days if days is not None else settings.GUICHET_CALLBACK_DAYS_AHEAD
    length = timedelta(minutes=settings.GUICHET_CALLBACK_SLOT_MINUTES)
    earliest = now + timedelta(minutes=settings.GUICHET_CALLBACK_LEAD_MINUTES)
    schedule = team_schedule(team)
    first_day = schedule.local_date(now)
    slots: list[tuple[datetime, datetime]] = []
    for offset in range(days + 1):
        for start, end in schedule.intervals_on(first_day + timedelta(days=offset)):
            cursor = start
            while cursor + length <= end:
                if cursor >= earliest:
                    slots.append(
                        (cursor.astimezone(schedule.tz), (cursor + length).astimezone(schedule.tz))
                    )
                cursor += length
    return slots


def slots_by_day(slots: list[tuple[datetime, datetime]]) -> list[tuple[object, list]]:
    days: dict[object, list] = {}
    for start, end in slots:
        days.setdefault(start.date(), []).append((start, end))
    return list(days.items())


# --- Callbacks ----------------------------------------------------------------------------------


def callback_list(
    *, user: User, status: str | None = None, owner_id: int | None = None
) -> QuerySet[Callback]:
    qs = callback_queryset_for_user(user=user).select_related("customer", "case", "owner", "team")
    if status:
        qs = qs.filter(status=status)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs.order_by("due_at", "id")


@dataclass
class DayPlan:
    day: object
    overdue: list[Callback]
    today: list[Callback]
    later: list[Callback]
    finished_today: list[Callback]
    human_requests: list[HumanRequest]


def day_plan(*, user: User, now: datetime | None = None, owner: User | None = None) -> DayPlan:
    """An agent's callbacks: missed ones first, then today's by time, then the next days."""
    now = now or timezone.now()
    owner = owner or user
    local_now = timezone.localtime(now)
    start_of_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = start_of_day + timedelta(days=1)
    mine = callback_list(user=user, owner_id=owner.pk)
    scheduled = list(mine.filter(status=CallbackStatus.SCHEDULED).order_by("due_at", "id")[:200])
    finished = list(
        mine.exclude(status=CallbackStatus.SCHEDULED)
        .filter(finished_at__gte=start_of_day, finished_at__lt=end_of_day)
        .order_by("-finished_at")[:50]
    )
    humans = list(
        HumanRequest.objects.filter(routed_to=owner, handled_at__isnull=True)
        .select_related("case__customer")
        .order_by("requested_at")[:50]
    )
    return DayPlan(
        day=local_now.date(),
        overdue=[c for c in scheduled if c.due_at <= now],
        today=[c for c in scheduled if now < c.due_at and c.slot_start < end_of_day],
        later=[c for c in scheduled if c.slot_start >= end_of_day and c.due_at > now],
        finished_today=finished,
        human_requests=humans,
    )


def customer_open_callbacks(customer: Customer) -> QuerySet[Callback]:
    return Callback.objects.filter(customer=customer, status=CallbackStatus.SCHEDULED).order_by(
        "slot_start"
    )


# --- Contact numbers --------------------------------------------------------------------------


def contact_numbers_shown() -> QuerySet[ContactNumber]:
    return ContactNumber.objects.filter(shown_to_customers=True).order_by("order", "id")


def referent_assignments(*, referent_id: int | None = None) -> QuerySet[ReferentAssignment]:
    qs = ReferentAssignment.objects.filter(ended_at__isnull=True).select_related(
        "customer", "organisation", "referent", "deputy", "team", "rule"
    )
    if referent_id is not None:
        qs = qs.filter(Q(referent_id=referent_id) | Q(deputy_id=referent_id))
    return qs.order_by("id")


def staff_list() -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, role__in=("agent", "supervisor", "administrator")
        ).order_by("first_name", "last_name", "email")
    )


def absences_upcoming(*, agent: User, now: datetime | None = None) -> QuerySet[Absence]:
    now = now or timezone.now()
    return Absence.objects.filter(agent=agent, ends_at__gt=now).order_by("starts_at")[:20]


def referent_loads() -> list[dict]:
    """How many customers (and organisations) each agent advises or deputises: the balance."""
    rows = {
        u.pk: {"agent": u, "referent": 0, "deputy": 0}
        for u in User.objects.filter(is_active=True, role__in=STAFF_ROLES)
    }
    current = ReferentAssignment.objects.filter(ended_at__isnull=True)
    for item in current.values("referent_id").annotate(n=Count("id")):
        if item["referent_id"] in rows:
            rows[item["referent_id"]]["referent"] = item["n"]
    for item in current.exclude(deputy__isnull=True).values("deputy_id").annotate(n=Count("id")):
        if item["deputy_id"] in rows:
            rows[item["deputy_id"]]["deputy"] = item["n"]
    return sorted(rows.values(), key=lambda r: (-r["referent"], r["agent"].display_name))
