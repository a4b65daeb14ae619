"""Interaction reviews: lists, the review form, answers, calibration, scores, sampling."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.accounts.models import User
from guichet.cases.access import case_get_for_user
from guichet.cases.choices import AGENT_RESPONSE_KINDS
from guichet.cases.models import Contact
from guichet.core.errors import ApplicationError, PermissionDenied
from guichet.quality import selectors, services
from guichet.quality.access import (
    review_get_for_user,
    review_queryset_for_user,
)
from guichet.quality.choices import (
    ReviewStatus,
)
from guichet.quality.models import (
    ReviewSample,
    Scorecard,
)
from guichet.quality.services import Mark
from guichet.quality.views.common import _date, _int, manager_page, staff_page

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
    # The team's own scorecards and the shared ones, for the case's channel or any channel.
    scorecards = (
        Scorecard.objects.filter(is_active=True)
        .filter(Q(team__isnull=True) | Q(team_id=case.team_id))
        .filter(Q(channel="") | Q(channel=case.channel))
        .prefetch_related("criteria")
    )
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
