"""The JSON API: one NinjaAPI, bearer-token or session authentication, one error shape."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from guichet.accounts.services import api_token_authenticate
from guichet.cases.api import router as cases_router
from guichet.core.errors import ApplicationError
from guichet.customers.api import router as customers_router
from guichet.surveys.api import barometer_router, surveys_router

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


class ActiveSession(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


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
)
api.add_router("/cases", cases_router, tags=["cases"])
api.add_router("/customers", customers_router, tags=["customers"])
api.add_router("/barometer", barometer_router, tags=["barometer"])
api.add_router("/surveys", surveys_router, tags=["surveys"])


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


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        details.append({"field": ".".join(loc) or "body", "message": err.get("msg", "")})
    return _error(request, 422, "Invalid input.", "validation_error", details)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "Authentication required.", "unauthorized")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc), "http_error")
