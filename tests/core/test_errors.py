"""ApplicationError subclasses carry the status, code and details the API returns."""

from __future__ import annotations

import pytest

from guichet.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (ValidationFailed, 422, "validation_error"),
        (NotFound, 404, "not_found"),
        (PermissionDenied, 403, "forbidden"),
        (Conflict, 409, "conflict"),
    ],
)
def test_each_error_has_its_status_and_default_code(cls, status, code):
    error = cls("Message")
    assert (error.status, error.code, error.message, error.details) == (status, code, "Message", {})
    assert isinstance(error, ApplicationError)


def test_code_and_details_can_be_given():
    error = Conflict("Non", code="invalid_transition", details=[{"field": "status"}])
    assert (error.code, error.details) == ("invalid_transition", [{"field": "status"}])
    assert Conflict.code == "conflict"  # the class default is untouched
