"""Every answer under /api/ keeps the one error shape, in the caller's language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("delete", "/api/v1/cases", {"GET", "POST"}),
        ("put", "/api/v1/barometer", {"GET"}),
    ],
)
def test_a_method_the_path_does_not_take_is_a_json_405(agent_api, method, url, allowed):
    response = getattr(agent_api, method)(url)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "code", "details"}
    assert body["code"] == "method_not_allowed"
    assert set(body["details"]["allowed"]) == allowed
    assert method.upper() in body["message"]
    assert {m.strip() for m in response["Allow"].split(",")} == allowed


def test_a_405_outside_the_api_is_left_alone(client):
    # The portal's sign-out takes POST only; an HTML page keeps Django's own answer.
    response = client.get("/portal/sign-out/")
    assert response.status_code == 405
    assert not response["Content-Type"].startswith("application/json")


def test_api_errors_follow_accept_language(agent_api):
    french = agent_api.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="fr")
    english = agent_api.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")
    assert french.status_code == english.status_code == 404
    assert english.json()["message"] == "No such API endpoint."
    assert french.json()["message"] == "Ce point d’accès de l’API n’existe pas."


def test_validation_message_is_translated(agent_api):
    response = agent_api.post(
        "/api/v1/cases", data="{not json", content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )  # fmt: skip
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Données invalides."
    assert body["details"] == [
        {"field": "body", "message": "Le corps de la requête n’est pas du JSON valide."}
    ]


def test_method_not_allowed_in_french(agent_api):
    response = agent_api.delete("/api/v1/cases", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["message"].startswith("La méthode DELETE n’est pas acceptée ici")
