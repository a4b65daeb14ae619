"""The JSON API: one NinjaAPI, bearer-token or session authentication, one error shape."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from guichet.accounts.services import api_token_authenticate
from guichet.cases.api import router as cases_router
from guichet.core.errors import ApplicationError
from guichet.customers.api import router as customers_router
from guichet.knowledge.api import router as macros_router
from guichet.proximity.api import (
    absences_router,
    advisor_router,
    callbacks_router,
    calls_router,
    effort_router,
    numbers_router,
    referents_router,
)
from guichet.quality.api import complaints_router, reviews_router
from guichet.sla.api import router as sla_router
from guichet.surveys.api import barometer_router, surveys_router

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


class ActiveSession(SessionAuth):
    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie: not a browser call, so no CSRF check (an API client with a bad
        # token gets 401, not "CSRF check failed").
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def _without_nul(value: Any) -> Any:
    """NUL characters mean nothing in text and PostgreSQL refuses them: drop them on the way in."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


class CleanParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        return _without_nul(super().parse_body(request))

    def parse_querydict(self, data, list_fields, request: HttpRequest) -> Any:
        return _without_nul(super().parse_querydict(data, list_fields, request))


api = NinjaAPI(
    title="Guichet API",
    version="1",
    description=(
        "Cases, contacts and customers of Guichet. Authenticate with `Authorization: Bearer "
        "<token>` (create one with `guichet token create EMAIL`) or a browser session. Errors "
        'are `{"message", "code", "details"}`.'
    ),
    auth=[BearerToken(), ActiveSession()],
    urls_namespace="api",
    parser=CleanParser(),
)
api.add_router("/cases", cases_router, tags=["cases"])
api.add_router("/customers", customers_router, tags=["customers"])
api.add_router("/macros", macros_router, tags=["macros"])
api.add_router("/barometer", barometer_router, tags=["barometer"])
api.add_router("/surveys", surveys_router, tags=["surveys"])
api.add_router("/complaints", complaints_router, tags=["complaints"])
api.add_router("/reviews", reviews_router, tags=["reviews"])
api.add_router("/callbacks", callbacks_router, tags=["proximity"])
api.add_router("/calls", calls_router, tags=["proximity"])
api.add_router("/referents", referents_router, tags=["proximity"])
api.add_router("/absences", absences_router, tags=["proximity"])
api.add_router("/contact-numbers", numbers_router, tags=["proximity"])
api.add_router("/advisor", advisor_router, tags=["proximity"])
api.add_router("/effort", effort_router, tags=["proximity"])
api.add_router("/sla", sla_router, tags=["service targets"])


def _error(
    request: HttpRequest, status: int, message: str, code: str, details=None
) -> HttpResponse:
    return api.create_response(
        request,
        {"message": message, "code": code, "details": details if details is not None else {}},
        status=status,
    )


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.code, exc.details)


_SOURCES = ("body", "query", "path", "header", "cookie", "form", "file")
_PARAM_NAMES = ("payload", "query", "data", "filters")
_TYPE_TAGS = ("int", "str", "float", "bool", "list", "dict", "none", "nullable", "json-or-python")


def _field_of(loc: tuple | list) -> str:
    """The field a pydantic error is about, as a client would name it ("customer.email"):
    without ninja's source and parameter names, nor pydantic's union-member tags
    ("owner.int", "owner.literal['me']" are both about "owner")."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
        if parts and parts[0] in _PARAM_NAMES:
            parts = parts[1:]
    parts = [p for p in parts if p not in _TYPE_TAGS and "[" not in p and "-" not in p]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    messages: dict[str, list[str]] = {}
    for err in exc.errors:
        field = _field_of(err.get("loc", ()))
        message = str(err.get("msg", "")) or _("Invalid value.")
        if message not in messages.setdefault(field, []):
            messages[field].append(message)
    details = [{"field": f, "message": "; ".join(m)} for f, m in messages.items()]
    return _error(request, 422, _("Invalid input."), "validation_error", details)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."), "not_found")


def api_not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any URL under /api/ that no endpoint matches: a 404 in the API's error shape."""
    return JsonResponse(
        {"message": _("No such API endpoint."), "code": "not_found", "details": {}}, status=404
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Authentication required."), "unauthorized")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    if exc.status_code == 403 and "CSRF" in message:
        return _error(
            request, 403, _("CSRF check failed: send the X-CSRFToken header."), "csrf_failed"
        )
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        # Malformed JSON is bad input like any other: 422 naming the body.
        return _error(
            request,
            422,
            _("Invalid input."),
            "validation_error",
            [{"field": "body", "message": _("The request body is not valid JSON.")}],
        )
    return _error(request, exc.status_code, message, "http_error")


class ApiMethodNotAllowedMiddleware:
    """django-ninja answers a method that a path does not take with a plain-text 405; under
    /api/ every answer keeps the one error shape, naming the methods the path does take."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
            message = _("Method %(method)s is not allowed here; allowed: %(allowed)s.") % {
                "method": request.method,
                "allowed": ", ".join(allowed) or "-",
            }
            replaced = JsonResponse(
                {"message": message, "code": "method_not_allowed", "details": {"allowed": allowed}},
                status=405,
            )
            if allowed:
                replaced["Allow"] = ", ".join(allowed)
            return replaced
        return response
