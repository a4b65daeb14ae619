"""The API documents itself: OpenAPI schema and interactive docs."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

EXPECTED = {
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/{reference}": {"get", "patch"},
    "/api/v1/cases/{reference}/contacts": {"post"},
    "/api/v1/cases/{reference}/status": {"post"},
    "/api/v1/cases/{reference}/assign": {"post"},
    "/api/v1/cases/{reference}/merge": {"post"},
    "/api/v1/cases/{reference}/events": {"get"},
    "/api/v1/customers": {"get", "post"},
}


@pytest.fixture
def schema() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_openapi_is_served_without_authentication(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Guichet API"


@pytest.mark.parametrize(("path", "methods"), sorted(EXPECTED.items()))
def test_openapi_lists_the_foundation_endpoints(schema, path, methods):
    assert path in schema["paths"], sorted(schema["paths"])
    assert methods <= set(schema["paths"][path])


def test_openapi_declares_bearer_and_session_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    kinds = {(s["type"], s.get("scheme") or s.get("in")) for s in schemes.values()}
    assert ("http", "bearer") in kinds
    assert ("apiKey", "cookie") in kinds


def test_open_case_documents_its_input(schema):
    operation = schema["paths"]["/api/v1/cases"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    case_in = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"subject", "body", "channel", "customer", "priority", "category"} <= set(
        case_in["properties"]
    )
    assert "subject" in case_in["required"]
    assert "201" in operation["responses"]


def test_interactive_docs_answer(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
