"""Complaint pages: the quality home, the register (filters, exports, print) and one complaint."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.accounts.models import User
from guichet.cases.access import case_get_for_user
from guichet.cases.models import Category, Contact
from guichet.core.errors import ApplicationError, Conflict, NotFound, ValidationFailed
from guichet.quality import flows, selectors, services
from guichet.quality.access import (
    complaint_get_for_user,
)
from guichet.quality.api import register_response
from guichet.quality.choices import (
    ClosureReason,
    Level,
    MediationStatus,
)
from guichet.quality.detection import complaint_keywords
from guichet.quality.models import (
    Complaint,
    RootCause,
)
from guichet.quality.services.mediation import MEDIATION_NEXT
from guichet.quality.views.common import PAGE_SIZE, S, _date, _int, manager_page, staff_page

# ---- home ------------------------------------------------------------------------------------


@require_GET
@staff_page
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.sees_all_teams:
        return redirect("quality:reviews")
    end = timezone.localdate()
    context = {
        "overview": selectors.complaint_overview(),
        "top_causes": selectors.root_causes_top(start=end - timedelta(days=29), end=end, limit=5),
        "indicators": selectors.complaint_indicators(start=end - timedelta(days=89), end=end),
        "overdue": selectors.complaint_register(
            user=request.user, filters=selectors.RegisterFilters(overdue=True)
        )[:20],
    }
    return render(request, "quality/home.html", context)


# ---- the register ----------------------------------------------------------------------------


def _register_filters(request: HttpRequest) -> selectors.RegisterFilters:
    g = request.GET
    status = g.get("status", "")
    outcome = g.get("outcome", "")
    return selectors.RegisterFilters(
        status=status if status in S.values else "",
        received_from=_date(g.get("from")),
        received_to=_date(g.get("to")),
        category=g.get("category", "")[:100],
        root_cause=_int(g.get("cause")),
        outcome=outcome if outcome in [*ClosureReason.values, "open"] else "",
        overdue=g.get("overdue") == "1",
        q=g.get("q", "")[:30],
    )


def _filter_context(request: HttpRequest) -> dict:
    return {
        "statuses": S.choices,
        "outcomes": [("open", _("Not closed")), *ClosureReason.choices],
        "categories": Category.objects.all(),
        "causes": RootCause.objects.select_related("parent"),
        "params": request.GET,
        "query": request.GET.urlencode(),
    }


@require_GET
@manager_page
def register(request: HttpRequest) -> HttpResponse:
    complaints = selectors.complaint_register(user=request.user, filters=_register_filters(request))
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return register_response(complaints, export)
    page = max(1, _int(request.GET.get("page")) or 1)
    items = list(complaints[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        **_filter_context(request),
        "rows": [(c, selectors.register_row(c)) for c in items[:PAGE_SIZE]],
        "page": page,
        "has_next": len(items) > PAGE_SIZE,
        "base_query": params.urlencode(),
    }
    return render(request, "quality/register.html", context)


@require_GET
@manager_page
def register_print(request: HttpRequest) -> HttpResponse:
    complaints = selectors.complaint_register(user=request.user, filters=_register_filters(request))
    return render(
        request,
        "quality/register_print.html",
        {
            "headers": selectors.register_headers(),
            "table": selectors.register_table(complaints[:5000]),
            "printed_at": timezone.now(),
            "policy": services.policy_get(),
        },
    )


# ---- one complaint ---------------------------------------------------------------------------


@staff_page
def complaint_new(request: HttpRequest) -> HttpResponse:
    reference = request.GET.get("case") or request.POST.get("case") or ""
    case = case_get_for_user(user=request.user, reference=reference)
    existing = Complaint.objects.filter(case=case).first()
    if existing is not None:
        return redirect("quality:complaint", reference=existing.reference)
    # A pending suggestion (the customer said so, or keywords) is what the agent confirms here.
    suggestion = selectors.complaint_suggestion_pending(case)
    if suggestion is not None:
        keywords = suggestion.keywords
    else:
        first = Contact.objects.filter(case=case).order_by("created_at", "pk").first()
        keywords = complaint_keywords(first.body_text if first else "")
    form = request.POST
    if request.method != "POST" and suggestion is not None and suggestion.remedy_sought:
        form = {"remedy_sought": suggestion.remedy_sought}
    context = {"case": case, "keywords": keywords, "suggestion": suggestion, "form": form}
    if request.method == "POST":
        source = "suggested" if request.POST.get("suggested") else "agent"
        if suggestion is not None and suggestion.declared:
            source = "customer"
        try:
            complaint = services.complaint_open(
                actor=request.user,
                case=case,
                remedy_sought=request.POST.get("remedy_sought", ""),
                description=request.POST.get("description", ""),
                first_written_at=_aware(request.POST.get("first_written_at")),
                source=source,
            )
        except ApplicationError as exc:
            if exc.status != 422:
                raise
            context["error"] = exc
            return render(request, "quality/complaint_new.html", context, status=422)
        messages.success(request, _("Complaint %(ref)s opened.") % {"ref": complaint.reference})
        return redirect("quality:complaint", reference=complaint.reference)
    return render(request, "quality/complaint_new.html", context)


@require_POST
@staff_page
def suggestion_dismiss(request: HttpRequest) -> HttpResponse:
    """The case page's "Not a complaint": the suggestion is set aside, the case goes on."""
    case = case_get_for_user(user=request.user, reference=request.POST.get("case") or "")
    try:
        services.complaint_suggestion_dismiss(
            actor=request.user, case=case, note=request.POST.get("note", "")
        )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Noted: this case is not a complaint."))
    try:
        return redirect(reverse("workspace:case", args=[case.reference]))
    except NoReverseMatch:
        return redirect("quality:home")


def _aware(value: str | None):
    day = _date(value)
    if day is None:
        return None
    return datetime.combine(
        day, datetime.min.time().replace(hour=12), tzinfo=timezone.get_current_timezone()
    )


def _complaint_context(request: HttpRequest, complaint: Complaint) -> dict:
    status = complaint.status
    allowed = flows.TRANSITIONS[status]
    return {
        "complaint": complaint,
        "case": complaint.case,
        "steps": selectors.complaint_steps(complaint),
        "customer_view": selectors.complaint_status_for_customer(complaint.case),
        "levels": Level.choices,
        "causes": RootCause.objects.filter(is_active=True).select_related("parent"),
        "closure_reasons": [
            (value, label)
            for value, label in ClosureReason.choices
            if status in flows.CLOSE_FROM[value]
        ],
        "can": {
            "acknowledge": S.ACKNOWLEDGED in allowed,
            "assess": S.ASSESSED in allowed,
            "investigate": S.INVESTIGATING in allowed and status != S.CLOSED,
            "respond": S.RESPONSE_PROPOSED in allowed,
            "decide": status == S.RESPONSE_PROPOSED,
            "close": S.CLOSED in allowed,
            "reopen": status == S.CLOSED,
            "note": status in flows.NOTE_ALLOWED,
            "holding_reply": status in flows.HOLDING_REPLY_ALLOWED
            and complaint.holding_reply_at is None,
        },
        "actions": complaint.actions.all(),
        "staff": User.objects.filter(
            is_active=True, role__in=("agent", "supervisor", "administrator")
        ).order_by("first_name", "email"),
        "mediation_next": [
            (value, MediationStatus(value).label)
            for value in sorted(MEDIATION_NEXT[complaint.mediation_status])
        ],
        "now": timezone.now(),
    }


@require_GET
@staff_page
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = complaint_get_for_user(user=request.user, reference=reference)
    return render(request, "quality/complaint.html", _complaint_context(request, complaint))


def _staff_user(value: str | None) -> User | None:
    pk = _int(value)
    return User.objects.filter(pk=pk).first() if pk else None


def _cause(value: str | None) -> RootCause | None:
    pk = _int(value)
    return RootCause.objects.filter(pk=pk).first() if pk else None


STEP_ACTIONS = {
    "acknowledge": lambda u, c, p: services.complaint_acknowledge(
        actor=u, complaint=c, message=p.get("message", "")
    ),
    "assess": lambda u, c, p: services.complaint_assess(
        actor=u,
        complaint=c,
        severity=p.get("severity", ""),
        impact=p.get("impact", ""),
        urgency=p.get("urgency", ""),
        complexity=p.get("complexity", ""),
        safety_issue=bool(p.get("safety_issue")),
        immediate_action=bool(p.get("immediate_action")),
        note=p.get("note", ""),
    ),
    "investigate": lambda u, c, p: services.complaint_investigate(
        actor=u, complaint=c, note=p.get("note", "")
    ),
    "note": lambda u, c, p: services.complaint_note_add(
        actor=u, complaint=c, note=p.get("note", "")
    ),
    "holding-reply": lambda u, c, p: services.complaint_holding_reply(
        actor=u, complaint=c, message=p.get("message", "")
    ),
    "respond": lambda u, c, p: services.complaint_respond(
        actor=u,
        complaint=c,
        response=p.get("response", ""),
        remedy_offered=p.get("remedy_offered", ""),
        compensation_amount=p.get("compensation_amount") or None,
        root_cause=_cause(p.get("root_cause")),
    ),
    "decide": lambda u, c, p: services.complaint_decide(
        actor=u, complaint=c, decision=p.get("decision", ""), comment=p.get("comment", "")
    ),
    "close": lambda u, c, p: services.complaint_close(
        actor=u,
        complaint=c,
        reason=p.get("reason", ""),
        root_cause=_cause(p.get("root_cause")),
        note=p.get("note", ""),
    ),
    "mediation": lambda u, c, p: services.complaint_mediation_record(
        actor=u, complaint=c, status=p.get("status", ""), note=p.get("note", "")
    ),
    "handler": lambda u, c, p: services.complaint_handler_set(
        actor=u, complaint=c, handler=_staff_user(p.get("handler")), reason=p.get("reason", "")
    ),
    "reopen": lambda u, c, p: services.complaint_reopen(
        actor=u, complaint=c, reason=p.get("reason", "")
    ),
}


@require_POST
@staff_page
def complaint_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    complaint = complaint_get_for_user(user=request.user, reference=reference)
    action = STEP_ACTIONS.get(step)
    if action is None:
        raise Http404
    try:
        action(request.user, complaint, request.POST)
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        context = _complaint_context(request, complaint)
        context["error"] = exc
        return render(request, "quality/complaint.html", context, status=exc.status)
    messages.success(request, _("Saved."))
    return redirect("quality:complaint", reference=complaint.reference)
