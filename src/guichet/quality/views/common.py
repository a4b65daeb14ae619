"""Decorators and small parsers shared by the quality pages."""

from __future__ import annotations

import functools
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from guichet.core.errors import ApplicationError, NotFound
from guichet.quality.access import (
    quality_manager_required,
)
from guichet.quality.choices import (
    ComplaintStatus,
)

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
