"""One application error type, mapped to one JSON shape: {"message", "code", "details"}."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A rule of the domain was broken; the message is meant for the user (already translated)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.details = details if details is not None else {}


class ValidationFailed(ApplicationError):
    """Input does not satisfy a rule; details name the field."""

    status = 422
    code = "validation_error"


class NotFound(ApplicationError):
    """The object does not exist *or the caller may not know it exists* (no existence leak)."""

    status = 404
    code = "not_found"


class PermissionDenied(ApplicationError):
    """The caller knows the object but may not do this to it."""

    status = 403
    code = "forbidden"


class Conflict(ApplicationError):
    """The request is valid but impossible in the object's current state (e.g. a transition)."""

    status = 409
    code = "conflict"
