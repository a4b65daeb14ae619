"""The reactivity page for supervisors: attainment, response-time distribution, cases at risk."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from guichet.core.errors import ValidationFailed
from guichet.sla import reports
from guichet.sla.choices import TargetKind


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_GET
@login_required
def reactivity(request: HttpRequest) -> HttpResponse:
    if not request.user.sees_all_teams:
        raise PermissionDenied
    by = request.GET.get("by", "team")
    if by not in reports.GROUPS:
        by = "team"
    error = ""
    try:
        filters = reports.ReportFilters.build(
            since=_date(request.GET.get("since")), until=_date(request.GET.get("until"))
        )
    except ValidationFailed as exc:
        error = exc.message
        filters = reports.ReportFilters.build()
    rows = reports.attainment(filters=filters, by=by)
    context = {
        "by": by,
        "groups": list(reports.GROUPS),
        "filters": filters,
        "error": error,
        "rows": rows,
        "distributions": [
            reports.distribution(filters=filters, target=kind) for kind in TargetKind.values
        ],
        "at_risk": reports.at_risk_now(user=request.user, limit=50),
        "min_sample": reports.MIN_SAMPLE,
        "kinds": dict(TargetKind.choices),
    }
    return render(request, "sla/reactivity.html", context)
