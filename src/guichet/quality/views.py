"""Pages under /quality/: the complaint register and file, causes, corrective actions, reviews.

Quality managers (supervisors, administrators) see everything; an agent sees and works the
complaints of cases it may see and its own reviews; customers get "not found" (their complaint's
status is shown by the portal through `selectors.complaint_status_for_customer`)."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.accounts.models import User
from guichet.cases.access import case_get_for_user
from guichet.cases.choices import AGENT_RESPONSE_KINDS
from guichet.cases.models import Category, Contact
from guichet.core.errors import ApplicationError, NotFound, PermissionDenied
from guichet.quality import flows, selectors, services
from guichet.quality.access import (
    complaint_get_for_user,
    quality_manager_required,
    review_get_for_user,
    review_queryset_for_user,
)
from guichet.quality.api import register_response
from guichet.quality.choices import (
    ActionStatus,
    ClosureReason,
    ComplaintStatus,
    Level,
    ReviewStatus,
)
from guichet.quality.detection import complaint_keywords
from guichet.quality.models import (
    Complaint,
    CorrectiveAction,
    ReviewSample,
    RootCause,
    Scorecard,
)
from guichet.quality.services import Mark

S = ComplaintStatus
PAGE_SIZE = 100


def _error_page(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    return render(request, "quality/error.html", {"error": exc}, status=exc.status)


def staff_page(view):
    """Signed-in staff only (customers: 404); application errors become their status code."""

    @functools.wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_agent:
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return _error_page(request, exc)

    return wrapped


def manager_page(view):
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        quality_manager_required(request.user)
        return view(request, *args, **kwargs)

    return staff_page(wrapped)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 2**63 else None


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
    first = Contact.objects.filter(case=case).order_by("created_at", "pk").first()
    context = {
        "case": case,
        "keywords": complaint_keywords(first.body_text if first else ""),
        "form": request.POST,
    }
    if request.method == "POST":
        try:
            complaint = services.complaint_open(
                actor=request.user,
                case=case,
                remedy_sought=request.POST.get("remedy_sought", ""),
                description=request.POST.get("description", ""),
                first_written_at=_aware(request.POST.get("first_written_at")),
                source="suggested" if request.POST.get("suggested") else "agent",
            )
        except ApplicationError as exc:
            if exc.status != 422:
                raise
            context["error"] = exc
            return render(request, "quality/complaint_new.html", context, status=422)
        messages.success(request, _("Complaint %(ref)s opened.") % {"ref": complaint.reference})
        return redirect("quality:complaint", reference=complaint.reference)
    return render(request, "quality/complaint_new.html", context)


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
        "now": timezone.now(),
    }


@require_GET
@staff_page
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = complaint_get_for_user(user=request.user, reference=reference)
    return render(request, "quality/complaint.html", _complaint_context(request, complaint))


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


# ---- causes and corrective actions -----------------------------------------------------------


@require_GET
@manager_page
def causes(request: HttpRequest) -> HttpResponse:
    end = _date(request.GET.get("to")) or timezone.localdate()
    start = _date(request.GET.get("from")) or end - timedelta(days=89)
    if start > end:
        start, end = end, start
    context = {
        "start": start,
        "end": end,
        "top": selectors.root_causes_top(start=start, end=end, limit=20),
        "detail": selectors.root_causes_top(start=start, end=end, limit=50, top_level=False),
        "tree": selectors.root_cause_tree(),
    }
    return render(request, "quality/causes.html", context)


def _action_form_values(post) -> dict:
    owner = User.objects.filter(pk=_int(post.get("owner"))).first()
    return {
        "title": post.get("title", ""),
        "owner": owner,
        "due_date": _date(post.get("due_date")),
        "description": post.get("description", ""),
        "root_cause": _cause(post.get("root_cause")),
    }


def _references(text: str, user: User) -> list[Complaint]:
    refs = [r for r in text.replace(",", " ").split() if r]
    return [complaint_get_for_user(user=user, reference=r) for r in refs[:200]]


@manager_page
def actions(request: HttpRequest) -> HttpResponse:
    context = {
        "actions": CorrectiveAction.objects.select_related("owner", "root_cause").prefetch_related(
            "complaints"
        ),
        "staff": User.objects.filter(
            is_active=True, role__in=("agent", "supervisor", "administrator")
        ),
        "causes": RootCause.objects.select_related("parent"),
        "form": request.POST,
        "today": timezone.localdate(),
    }
    if request.method == "POST":
        try:
            values = _action_form_values(request.POST)
            services.action_create(
                actor=request.user,
                complaints=_references(request.POST.get("complaints", ""), request.user),
                **values,
            )
        except ApplicationError as exc:
            context["error"] = exc
            return render(request, "quality/actions.html", context, status=exc.status)
        messages.success(request, _("Corrective action created."))
        return redirect("quality:actions")
    return render(request, "quality/actions.html", context)


@manager_page
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = CorrectiveAction.objects.filter(pk=pk if pk < 2**63 else 0).first()
    if action is None:
        raise Http404
    context = {"action": action, "statuses": ActionStatus.choices, "form": request.POST}
    if request.method == "POST":
        try:
            post = request.POST
            links = _references(post.get("complaints", ""), request.user)
            if links:
                services.action_link_complaints(actor=request.user, action=action, complaints=links)
            services.action_update(
                actor=request.user,
                action=action,
                status=post.get("status") or None,
                effect_measured=post.get("effect_measured"),
                due_date=_date(post.get("due_date")),
            )
        except ApplicationError as exc:
            context["error"] = exc
            return render(request, "quality/action.html", context, status=exc.status)
        messages.success(request, _("Saved."))
        return redirect("quality:action", pk=action.pk)
    return render(request, "quality/action.html", context)


# ---- reviews ---------------------------------------------------------------------------------


@require_GET
@staff_page
def reviews(request: HttpRequest) -> HttpResponse:
    qs = review_queryset_for_user(user=request.user).select_related(
        "case", "agent", "reviewer", "scorecard"
    )
    agent = _int(request.GET.get("agent"))
    if agent and request.user.sees_all_teams:
        qs = qs.filter(agent_id=agent)
    context = {
        "reviews": qs.order_by("-created_at", "-pk")[:200],
        "is_manager": request.user.sees_all_teams,
        "pending": qs.filter(status=ReviewStatus.SUBMITTED, agent=request.user).count(),
    }
    if request.user.sees_all_teams:
        week = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
        context["samples"] = ReviewSample.objects.filter(
            week__gte=week - timedelta(days=7), review__isnull=True
        ).select_related("agent", "case")[:100]
    return render(request, "quality/reviews.html", context)


@manager_page
def review_new(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    case = case_get_for_user(user=request.user, reference=data.get("case", ""))
    contacts = (
        Contact.objects.filter(case=case).select_related("author_user").order_by("created_at", "pk")
    )
    agent_ids = {
        c.author_user_id for c in contacts if c.author_user_id and c.kind in AGENT_RESPONSE_KINDS
    }
    if case.owner_id:
        agent_ids.add(case.owner_id)
    agents = User.objects.filter(pk__in=agent_ids, is_active=True).exclude(pk=request.user.pk)
    scorecards = Scorecard.objects.filter(is_active=True).prefetch_related("criteria")
    scorecard = scorecards.filter(pk=_int(data.get("scorecard"))).first() or scorecards.first()
    agent = agents.filter(pk=_int(data.get("agent"))).first() or agents.first()
    context = {
        "case": case,
        "contacts": contacts,
        "agents": agents,
        "agent": agent,
        "scorecards": scorecards,
        "scorecard": scorecard,
        "criteria": _criteria(scorecard),
        "form": request.POST,
    }
    if request.method == "POST":
        if agent is None or scorecard is None:
            raise PermissionDenied(_("Choose an agent and a scorecard."))
        marks = []
        for criterion in context["criteria"]:
            raw = request.POST.get(f"value_{criterion.pk}", "")
            marks.append(
                Mark(
                    criterion.pk,
                    None if raw in ("", "na") else _score(raw),
                    request.POST.get(f"comment_{criterion.pk}", ""),
                )
            )
        try:
            review = services.review_create(
                reviewer=request.user,
                case=case,
                agent=agent,
                scorecard=scorecard,
                marks=marks,
                comment=request.POST.get("comment", ""),
            )
        except ApplicationError as exc:
            context["error"] = exc
            return render(request, "quality/review_new.html", context, status=exc.status)
        messages.success(request, _("Review saved."))
        return redirect("quality:review", pk=review.pk)
    return render(request, "quality/review_new.html", context)


def _criteria(scorecard: Scorecard | None) -> list:
    criteria = list(scorecard.criteria.all()) if scorecard else []
    for criterion in criteria:
        criterion.scale = range(criterion.scale_max, -1, -1)
    return criteria


def _score(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return -1  # refused by the service with a clear message


@require_GET
@staff_page
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_get_for_user(user=request.user, review_id=pk)
    scores = review.scores.select_related("criterion").order_by(
        "criterion__position", "criterion_id"
    )
    return render(request, "quality/review.html", {"review": review, "scores": scores})


@require_POST
@staff_page
def review_answer(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_get_for_user(user=request.user, review_id=pk)
    comment = request.POST.get("comment", "")
    if request.POST.get("answer") == "dispute":
        services.review_dispute(actor=request.user, review=review, comment=comment)
    else:
        services.review_acknowledge(actor=request.user, review=review, comment=comment)
    messages.success(request, _("Thank you, your answer is recorded."))
    return redirect("quality:review", pk=review.pk)


@require_GET
@manager_page
def calibration(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quality/calibration.html",
        {"calibrations": selectors.calibrations(user=request.user)},
    )


@require_GET
@manager_page
def scores(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group") if request.GET.get("group") in ("agent", "team") else "agent"
    period = request.GET.get("period") if request.GET.get("period") in ("week", "month") else "week"
    end = _date(request.GET.get("to")) or timezone.localdate()
    start = _date(request.GET.get("from")) or end - timedelta(days=83)
    rows = selectors.quality_scores(
        user=request.user, group=group, period=period, start=start, end=end
    )
    return render(
        request,
        "quality/scores.html",
        {
            "rows": rows,
            "group": group,
            "period": period,
            "start": start,
            "end": end,
        },
    )


@require_POST
@manager_page
def samples_draw(request: HttpRequest) -> HttpResponse:
    drawn = services.reviews_sample_week(week=_date(request.POST.get("week")))
    messages.success(request, _("%(n)d cases drawn for review.") % {"n": len(drawn)})
    return redirect("quality:reviews")


@require_POST
@login_required
def customer_answer(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's answer from the portal: accept or refuse the response, or contest a closed
    complaint. Only the complaint's own customer; back to the portal's request page."""
    user = request.user
    if not user.is_customer:
        raise Http404
    try:
        complaint = complaint_get_for_user(user=user, reference=reference)
        decision = request.POST.get("decision", "")
        comment = request.POST.get("comment", "")
        if decision == "contest":
            services.complaint_reopen(actor=user, complaint=complaint, reason=comment)
        else:
            services.complaint_decide(
                actor=user, complaint=complaint, decision=decision, comment=comment
            )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you, your answer is recorded."))
    try:
        target = reverse("portal:request_detail", args=[complaint.case.reference])
    except NoReverseMatch:  # no portal installed
        target = reverse("home")
    return redirect(target + "#complaint")
