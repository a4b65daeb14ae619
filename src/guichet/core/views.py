from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from guichet.cases.access import case_queryset_for_user
from guichet.cases.choices import ACTIVE_STATUSES


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and `guichet check`: 200 when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    visible = case_queryset_for_user(user=request.user)
    context = {
        "mine": visible.filter(owner=request.user, status__in=ACTIVE_STATUSES).count(),
        "unassigned": visible.filter(owner__isnull=True, status__in=ACTIVE_STATUSES).count(),
        "open_total": visible.filter(status__in=ACTIVE_STATUSES).count(),
    }
    return render(request, "home.html", context)
