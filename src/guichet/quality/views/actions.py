"""Root causes and corrective actions pages (quality managers)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guichet.accounts.models import User
from guichet.core.errors import ApplicationError
from guichet.quality import selectors, services
from guichet.quality.access import (
    complaint_get_for_user,
)
from guichet.quality.choices import (
    ActionStatus,
)
from guichet.quality.models import (
    Complaint,
    CorrectiveAction,
    RootCause,
)
from guichet.quality.views.common import _date, _int, manager_page
from guichet.quality.views.complaints import _cause

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
