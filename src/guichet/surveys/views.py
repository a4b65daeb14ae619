"""Pages of the surveys app: the customer's survey (no login, token link), the opt-out, and the
barometer for supervisors and directors (page, printable page, CSV, follow-ups)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from guichet.accounts.models import Team, User
from guichet.cases.choices import Channel
from guichet.cases.models import Category
from guichet.core.errors import ApplicationError, Conflict, ValidationFailed
from guichet.surveys import exports, selectors, services
from guichet.surveys.access import barometer_allowed
from guichet.surveys.choices import FIRST_QUESTION, QUESTION_SCALES, YES_NO_KEYS, FollowUpStatus
from guichet.surveys.models import BarometerSubscription, FollowUpTask, SurveyAnswer
from guichet.surveys.tokens import TokenExpired, TokenInvalid, invitation_from_token


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the URL: keep it out of caches, other sites' referrers and search
    engines ("same-origin", not "no-referrer": that would send Origin: null and fail CSRF)."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _bad_link(request: HttpRequest, *, expired: bool) -> HttpResponse:
    response = render(
        request,
        "surveys/link_invalid.html",
        {"expired": expired},
        status=410 if expired else 404,
    )
    return _private(response)


def _language(request: HttpRequest, invitation) -> str:
    """The customer's language, unless they picked another one with the language switch."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return invitation.language


def _questions(invitation, answer: SurveyAnswer | None, language: str) -> list[dict]:
    config = services.survey_config_get()
    items = []
    for question in config.questions.filter(is_active=True).order_by("position", "id"):
        scale = QUESTION_SCALES[question.key]
        current = getattr(answer, question.key, None) if answer else None
        if question.key in YES_NO_KEYS and current is not None:
            current = "yes" if current else "no"
        items.append(
            {
                "key": question.key,
                "text": question.text(language),
                "kind": "yes_no"
                if question.key in YES_NO_KEYS
                else ("text" if scale is None else "scale"),
                "choices": list(range(scale[0], scale[1] + 1)) if scale else [],
                "low": scale[0] if scale else None,
                "high": scale[1] if scale else None,
                "current": "" if current is None else str(current),
                "required": question.required,
            }
        )
    return items


@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the survey with the clicked answer selected and records NOTHING (mail scanners
    open every link); the page's script POSTs that answer at once, with a button as fallback.
    POST records or updates the answers."""
    try:
        invitation = invitation_from_token(token)
    except TokenExpired:
        return _bad_link(request, expired=True)
    except TokenInvalid:
        return _bad_link(request, expired=False)
    language = _language(request, invitation)
    with translation.override(language):
        errors: list[str] = []
        if request.method == "POST":
            try:
                services.answer_record(invitation=invitation, raw=request.POST)
            except (ValidationFailed, Conflict) as exc:
                errors = [d.get("message", "") for d in exc.details] if exc.details else []
                errors = errors or [exc.message]
                if request.headers.get("X-Requested-With") == "fetch":
                    return _private(
                        JsonResponse({"recorded": False, "errors": errors}, status=exc.status)
                    )
            else:
                if request.headers.get("X-Requested-With") == "fetch":
                    return _private(JsonResponse({"recorded": True}))
                return redirect(request.path + "?saved=1")
        answer = SurveyAnswer.objects.filter(invitation=invitation).first()
        questions = _questions(invitation, answer, language)
        clicked = request.GET.get(FIRST_QUESTION, "")
        clicked = clicked if clicked in ("yes", "no") else ""
        if clicked:
            for question in questions:
                if question["key"] == FIRST_QUESTION:
                    question["current"] = clicked
        response = render(
            request,
            "surveys/answer.html",
            {
                "invitation": invitation,
                "case": invitation.case,
                "questions": questions,
                "autosubmit": FIRST_QUESTION if clicked else "",
                "saved": request.GET.get("saved") == "1",
                "answered": answer is not None,
                "errors": errors,
                "opt_out_url": reverse("surveys:opt_out", kwargs={"token": token}),
            },
            status=422 if errors else 200,
        )
    return _private(response)


@csrf_exempt  # RFC 8058 one-click unsubscribe POSTs come from mail clients; the token is the key.
@require_http_methods(["GET", "POST"])
def survey_opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm; POST (the button, or a mail client's one-click) records the opt-out."""
    try:
        invitation = invitation_from_token(token)
    except TokenExpired:
        return _bad_link(request, expired=True)
    except TokenInvalid:
        return _bad_link(request, expired=False)
    with translation.override(_language(request, invitation)):
        done = False
        if request.method == "POST":
            services.survey_opt_out(customer=invitation.customer, source="link")
            done = True
        response = render(request, "surveys/opt_out.html", {"done": done, "token": token})
    return _private(response)


# --- barometer -------------------------------------------------------------------------------


def _barometer_user(request: HttpRequest) -> User:
    if not barometer_allowed(request.user):
        raise DjangoPermissionDenied
    return request.user  # type: ignore[return-value]


def _parse(request: HttpRequest):
    return selectors.barometer_query_parse(request.GET, today=timezone.localdate())


def _filter_choices() -> dict:
    return {
        "channels": list(Channel.choices),
        "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
        "agents": [
            (u.pk, u.display_name)
            for u in User.objects.filter(
                is_active=True, role__in=("agent", "supervisor", "administrator")
            ).order_by("first_name", "last_name", "email")
        ],
        "categories": list(Category.objects.order_by("name").values_list("pk", "name")),
        "periods": [
            ("week", translation.gettext("Week")),
            ("month", translation.gettext("Month")),
            ("quarter", translation.gettext("Quarter")),
            ("custom", translation.gettext("Custom")),
        ],
    }


def _rows(data: dict) -> list[dict]:
    return [
        {
            "name": name,
            "now": data["metrics"][name],
            "previous": data["previous"]["metrics"][name],
            "last_year": data["last_year"]["metrics"][name],
        }
        for name in selectors.METRIC_NAMES
    ]


def _error_page(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return render(request, "surveys/barometer_error.html", {"error": exc}, status=exc.status)


@login_required
@require_http_methods(["GET"])
def barometer_page(request: HttpRequest) -> HttpResponse:
    user = _barometer_user(request)
    try:
        kind, period, filters = _parse(request)
        rating = selectors._int_param(request.GET, "rating")
    except ValidationFailed as exc:
        return _error_page(request, exc)
    data = selectors.barometer(period=period, filters=filters)
    query = request.GET.urlencode()
    context = {
        "data": data,
        "rows": _rows(data),
        "kind": kind,
        "period": period,
        "filters": filters,
        "rating": rating,
        "comments": selectors.barometer_comments(period=period, filters=filters, csat=rating),
        "choices": _filter_choices(),
        "query": query,
        "charts_url": reverse("api:barometer_charts")
        + "?"
        + urlencode(
            {"start": period.start.isoformat(), "end": period.end.isoformat(), **filters.as_query()}
        ),
        "csv_url": reverse("surveys:barometer_csv") + ("?" + query if query else ""),
        "print_url": reverse("surveys:barometer_print") + ("?" + query if query else ""),
        "subscribed": BarometerSubscription.objects.filter(user=user).exists(),
        "open_follow_ups": FollowUpTask.objects.filter(status=FollowUpStatus.OPEN).count(),
        "reference": selectors.REFERENCE_EXPECTATIONS_MET,
        "reference_source": selectors.REFERENCE_SOURCE,
        "chart_labels": {
            "reference": _("National figure: 45 % met (American Express 2012)"),
            "expectations_met": _("Expectations met"),
            "csat": _("CSAT"),
            "fcr": _("First-contact resolution"),
            "frt": _("First response (median, hours)"),
            "answers": _("Answers"),
        },
    }
    return render(request, "surveys/barometer.html", context)


@login_required
@require_http_methods(["GET"])
def barometer_print(request: HttpRequest) -> HttpResponse:
    _barometer_user(request)
    try:
        _kind, period, filters = _parse(request)
    except ValidationFailed as exc:
        return _error_page(request, exc)
    data = selectors.barometer(period=period, filters=filters)
    charts = selectors.barometer_charts(period=period, filters=filters)
    context = {
        "data": data,
        "rows": _rows(data),
        "period": period,
        "filters": filters,
        "trend": [
            {
                "month": month,
                **{name: charts["trend"]["series"][name][i] for name in charts["trend"]["series"]},
            }
            for i, month in enumerate(charts["trend"]["months"])
        ],
        "by_channel": charts["by_channel"],
        "by_team": charts["by_team"],
        "comments": selectors.barometer_comments(period=period, filters=filters),
        "generated_at": timezone.localtime(),
        "reference": selectors.REFERENCE_EXPECTATIONS_MET,
        "reference_source": selectors.REFERENCE_SOURCE,
    }
    return render(request, "surveys/barometer_print.html", context)


@login_required
@require_http_methods(["GET"])
def barometer_csv(request: HttpRequest) -> HttpResponse:
    _barometer_user(request)
    try:
        _kind, period, filters = _parse(request)
    except ValidationFailed as exc:
        return _error_page(request, exc)
    data = selectors.barometer(period=period, filters=filters)
    charts = selectors.barometer_charts(period=period, filters=filters)
    comments = selectors.barometer_comments(period=period, filters=filters, limit=10_000)
    body = exports.csv_text(exports.barometer_rows(data, charts, comments))
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    name = f"barometre-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def barometer_subscription(request: HttpRequest) -> HttpResponse:
    user = _barometer_user(request)
    services.barometer_subscription_set(user=user, subscribed=request.POST.get("subscribe") == "1")
    return redirect(reverse("surveys:barometer") + "?" + urlencode(request.GET))


@login_required
@require_http_methods(["GET"])
def follow_up_list(request: HttpRequest) -> HttpResponse:
    _barometer_user(request)
    status = request.GET.get("status", FollowUpStatus.OPEN)
    if status not in FollowUpStatus.values:
        status = FollowUpStatus.OPEN
    tasks = (
        FollowUpTask.objects.filter(status=status)
        .select_related("case__customer", "answer", "assignee", "team", "done_by")
        .order_by("-created_at")[:200]
    )
    return render(
        request,
        "surveys/follow_ups.html",
        {"tasks": tasks, "status": status, "statuses": FollowUpStatus.choices},
    )


@login_required
@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = _barometer_user(request)
    task = get_object_or_404(FollowUpTask, pk=pk)
    try:
        services.follow_up_complete(actor=user, task=task, note=request.POST.get("note", ""))
    except ApplicationError as exc:
        return _error_page(request, exc)
    return redirect("surveys:follow_ups")
