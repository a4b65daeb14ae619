"""Agents' proximity pages: the day plan of callbacks, logging a call, booking a callback,
absences, and for supervisors the advisors of customers and the bulk reassignment.

Thin: every write goes through a service, cases are reached through guichet.cases.access."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.accounts.models import User
from guichet.cases.access import case_get_for_user
from guichet.cases.choices import Direction
from guichet.core.errors import ApplicationError, NotFound, PermissionDenied
from guichet.customers.models import Customer
from guichet.customers.selectors import customer_get_for_user
from guichet.proximity import selectors
from guichet.proximity.access import callback_get_for_user, overseer_required
from guichet.proximity.choices import AbsenceKind, CallbackSource, CallOutcome
from guichet.proximity.forms import AbsenceForm, AttemptForm, slot_choices, slot_parse
from guichet.proximity.models import Absence
from guichet.proximity.services.absences import absence_create, absence_delete
from guichet.proximity.services.callbacks import callback_attempt, callback_request
from guichet.proximity.services.calls import call_log, duration_parse
from guichet.proximity.services.referents import (
    assignment_current,
    referent_assign,
    referents_reassign,
)
from guichet.workspace.views import agent_view


def _error_text(exc: ApplicationError) -> str:
    details = exc.details if isinstance(exc.details, list) else []
    extra = [str(d.get("message")) for d in details if isinstance(d, dict) and d.get("message")]
    return " ".join(dict.fromkeys([exc.message, *extra]))


def _subject(request: HttpRequest) -> tuple[Any, Customer | None]:
    """The case (?case=REF) or customer (?customer=ID) a form is about, through the access
    functions: a case the agent may not see is a 404."""
    reference = request.GET.get("case") or request.POST.get("case") or ""
    customer_id = request.GET.get("customer") or request.POST.get("customer") or ""
    if reference:
        case = case_get_for_user(user=request.user, reference=reference)
        return case, case.customer
    if customer_id.isdigit():
        return None, customer_get_for_user(user=request.user, customer_id=int(customer_id))
    return None, None


# --- Day plan ---------------------------------------------------------------------------------


@agent_view
@require_http_methods(["GET"])
def day_plan(request: HttpRequest) -> HttpResponse:
    owner = request.user
    agent_id = request.GET.get("agent", "")
    if agent_id.isdigit() and int(agent_id) != request.user.pk:
        overseer_required(request.user)
        owner = User.objects.filter(pk=int(agent_id), is_active=True).first()
        if owner is None:
            raise NotFound(_("Agent not found."))
    plan = selectors.day_plan(user=request.user, owner=owner)
    context = {
        "plan": plan,
        "owner": owner,
        "outcomes": CallOutcome.choices,
        "now": timezone.now(),
        "agents": selectors.staff_list() if request.user.sees_all_teams else [],
        "absences": selectors.absences_upcoming(agent=owner),
    }
    return render(request, "proximity/day_plan.html", context)


@agent_view
@require_POST
def callback_attempt_view(request: HttpRequest, callback_id: int) -> HttpResponse:
    callback = callback_get_for_user(user=request.user, callback_id=callback_id)
    form = AttemptForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("Choose an outcome."), code="invalid")
        attempt = callback_attempt(
            actor=request.user,
            callback=callback,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            duration_seconds=duration_parse(form.cleaned_data["duration"]),
        )
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("Call recorded: %(outcome)s.") % {"outcome": CallOutcome(attempt.outcome).label},
        )
    return HttpResponseRedirect(reverse("proximity:day_plan"), status=303)


# --- Logging a call -----------------------------------------------------------------------------


@agent_view
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    """Log a call in a few keystrokes: direction, duration, outcome, notes; on the case named
    in ?case=, or as a new case of the customer in ?customer=."""
    case, customer = _subject(request)
    errors: list[str] = []
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            with transaction.atomic():
                contact = call_log(
                    actor=request.user,
                    case=case,
                    customer=customer,
                    direction=request.POST.get("direction", ""),
                    subject=request.POST.get("subject", ""),
                    notes=request.POST.get("notes", ""),
                    duration_seconds=duration_parse(request.POST.get("duration", "")),
                    outcome=request.POST.get("outcome", CallOutcome.REACHED),
                    resolve=bool(request.POST.get("resolve")),
                )
        except ApplicationError as exc:
            errors.append(_error_text(exc))
        else:
            messages.success(request, _("Call logged."))
            return HttpResponseRedirect(
                reverse("workspace:case", args=[contact.case.reference]), status=303
            )
    context = {
        "case": case,
        "customer": customer,
        "errors": errors,
        "values": values,
        "outcomes": CallOutcome.choices,
        "directions": [(Direction.INBOUND, _("Inbound")), (Direction.OUTBOUND, _("Outbound"))],
    }
    return render(request, "proximity/call_new.html", context, status=422 if errors else 200)


# --- Booking a callback for a customer -----------------------------------------------------


@agent_view
@require_http_methods(["GET", "POST"])
def callback_new(request: HttpRequest) -> HttpResponse:
    case, customer = _subject(request)
    if customer is None:
        raise NotFound(_("Choose a case or a customer first."))
    team = case.team if case is not None else None
    slots = selectors.callback_slots(team=team)
    errors: list[str] = []
    if request.method == "POST":
        owner = None
        owner_id = request.POST.get("owner", "")
        if owner_id.isdigit():
            owner = User.objects.filter(pk=int(owner_id), is_active=True).first()
        try:
            callback = callback_request(
                actor=request.user,
                customer=customer,
                case=case,
                phone=request.POST.get("phone", ""),
                slot_start=slot_parse(request.POST.get("slot", "")),
                topic=request.POST.get("topic", ""),
                owner=owner,
                source=CallbackSource.AGENT,
            )
        except ApplicationError as exc:
            errors.append(_error_text(exc))
        else:
            messages.success(
                request,
                _("Callback booked for %(name)s.") % {"name": callback.owner.display_name},
            )
            target = (
                reverse("workspace:case", args=[callback.case.reference])
                if callback.case
                else reverse("proximity:day_plan")
            )
            return HttpResponseRedirect(target, status=303)
    context = {
        "case": case,
        "customer": customer,
        "slots": slot_choices(slots),
        "errors": errors,
        "values": request.POST if request.method == "POST" else {"phone": customer.phone},
        "agents": selectors.staff_list(),
        "referent": assignment_current(customer),
    }
    return render(request, "proximity/callback_new.html", context, status=422 if errors else 200)


# --- Absences -----------------------------------------------------------------------------------


def _day_bounds(first, last) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


@agent_view
@require_http_methods(["GET", "POST"])
def absences(request: HttpRequest) -> HttpResponse:
    """My absences (supervisors: anyone's), whole days in the site's time zone."""
    form = AbsenceForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST":
        agent = request.user
        agent_id = request.POST.get("agent", "")
        if agent_id.isdigit() and int(agent_id) != request.user.pk:
            agent = User.objects.filter(pk=int(agent_id)).first() or request.user
        if form.is_valid():
            start, end = _day_bounds(form.cleaned_data["first_day"], form.cleaned_data["last_day"])
            try:
                absence_create(
                    actor=request.user,
                    agent=agent,
                    kind=form.cleaned_data["kind"],
                    starts_at=start,
                    ends_at=end,
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                errors.append(_error_text(exc))
            else:
                messages.success(request, _("Absence recorded."))
                return HttpResponseRedirect(reverse("proximity:absences"), status=303)
        else:
            errors.append(_("Give a kind, a first day and a last day."))
    rows = Absence.objects.select_related("agent").filter(ends_at__gt=timezone.now())
    if not request.user.sees_all_teams:
        rows = rows.filter(agent=request.user)
    context = {
        "form": form,
        "errors": errors,
        "rows": rows.order_by("starts_at")[:200],
        "kinds": AbsenceKind.choices,
        "agents": selectors.staff_list() if request.user.sees_all_teams else [],
    }
    return render(request, "proximity/absences.html", context, status=422 if errors else 200)


@agent_view
@require_POST
def absence_remove(request: HttpRequest, absence_id: int) -> HttpResponse:
    try:
        absence_delete(actor=request.user, absence_id=absence_id)
    except PermissionDenied:
        raise
    messages.success(request, _("Absence removed."))
    return HttpResponseRedirect(reverse("proximity:absences"), status=303)


# --- Advisors (supervisors) -------------------------------------------------------------------


@agent_view
@require_http_methods(["GET", "POST"])
def referents(request: HttpRequest) -> HttpResponse:
    """Name a customer's advisor and deputy; reassign everyone's customers when someone
    leaves, with a message to the customers concerned."""
    overseer_required(request.user)
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            with transaction.atomic():
                message = _referents_post(request, action)
        except ApplicationError as exc:
            errors.append(_error_text(exc))
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("proximity:referents"), status=303)
    agent_id = request.GET.get("agent", "")
    context = {
        "errors": errors,
        "values": request.POST if request.method == "POST" else {},
        "agents": selectors.staff_list(),
        "rows": selectors.referent_assignments(
            referent_id=int(agent_id) if agent_id.isdigit() else None
        )[:300],
        "loads": selectors.referent_loads(),
    }
    return render(request, "proximity/referents.html", context, status=422 if errors else 200)


def _agent_from(request: HttpRequest, name: str, *, required: bool) -> User | None:
    value = request.POST.get(name, "")
    user = User.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if user is None and required:
        raise ApplicationError(_("Choose an agent."), code="invalid")
    return user


def _referents_post(request: HttpRequest, action: str) -> str:
    if action == "assign":
        customer_id = request.POST.get("customer", "")
        if not customer_id.isdigit():
            raise ApplicationError(_("Give the customer's number."), code="invalid")
        customer = customer_get_for_user(user=request.user, customer_id=int(customer_id))
        referent_assign(
            actor=request.user,
            customer=customer,
            referent=_agent_from(request, "referent", required=True),
            deputy=_agent_from(request, "deputy", required=False),
        )
        return _("Advisor saved.")
    if action == "reassign":
        outcome = referents_reassign(
            actor=request.user,
            leaving=_agent_from(request, "leaving", required=True),
            to=_agent_from(request, "to", required=False),
            message=request.POST.get("message", ""),
            move_cases=bool(request.POST.get("move_cases")),
        )
        return _(
            "%(n)d customers have a new advisor (%(told)d told by email), %(d)d a new deputy, "
            "%(c)d open cases moved."
        ) % {
            "n": outcome.referents_changed,
            "told": outcome.customers_told,
            "d": outcome.deputies_changed,
            "c": outcome.cases_moved,
        }
    raise ApplicationError(_("Unknown action."), code="invalid")
