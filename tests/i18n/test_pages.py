"""Pages and API answers come out in the visitor's language: French by default and for a French
browser, English for an English one."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db


def test_the_login_page_is_in_french_for_a_french_browser():
    # given a visitor whose browser asks for French
    client = Client(headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    # when they open the login page
    page = client.get("/login/").content.decode()
    # then it speaks French
    assert '<html lang="fr">' in page
    assert "Mot de passe" in page
    assert "Se connecter" in page
    assert "Password" not in page


def test_the_login_page_is_in_english_for_an_english_browser():
    # given a visitor whose browser asks for English
    client = Client(headers={"Accept-Language": "en-GB,en;q=0.9"})
    # when they open the login page
    page = client.get("/login/").content.decode()
    # then it speaks English
    assert '<html lang="en">' in page
    assert "Password" in page
    assert "Mot de passe" not in page


def test_a_browser_that_names_no_language_gets_french_the_default(settings):
    # given the product's default language and a browser that says nothing
    settings.LANGUAGE_CODE = "fr"
    # when it opens the login page
    page = Client().get("/login/").content.decode()
    # then the page is in French
    assert "Mot de passe" in page


def test_the_portal_front_page_is_in_french_for_a_french_browser():
    # given a visitor whose browser asks for French
    client = Client(headers={"Accept-Language": "fr"})
    # when they open the portal
    page = client.get("/portal/").content.decode()
    # then the page, its navigation and its form are in French
    assert '<html lang="fr">' in page
    assert "Service client" in page
    assert "Poser une question" in page
    assert "Votre adresse e-mail" in page
    assert "Envoyer ma demande" in page
    assert "Photos, factures, captures" in page  # worded at display, not at import
    assert "Send my request" not in page


def test_a_visitor_who_chooses_english_on_the_portal_gets_english_despite_a_french_browser():
    # given a French browser
    client = Client(headers={"Accept-Language": "fr"})
    # when the visitor presses "English" in the portal's language switch
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    page = client.get("/portal/").content.decode()
    # then the portal speaks English from then on
    assert "Send my request" in page
    assert "Envoyer ma demande" not in page


def test_an_api_error_reaches_a_french_customer_in_french(customer):
    # given a customer's API client asking for French
    client = bearer_client(customer.user)
    # when they ask for a case that does not exist
    response = client.get("/api/v1/cases/G-999999", headers={"Accept-Language": "fr"})
    # then the error keeps its code and its message is in French
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message"] == "Dossier G-999999 introuvable."


def test_a_refused_api_request_explains_itself_in_french(customer):
    # given a customer's API client asking for French
    client = bearer_client(customer.user)
    # when they try to open a case with an empty subject
    response = client.post(
        "/api/v1/cases",
        {"subject": " ", "body": "Bonjour"},
        content_type="application/json",
        headers={"Accept-Language": "fr"},
    )
    # then the refusal is in French
    assert response.status_code == 422
    assert "Un objet est obligatoire." in response.content.decode()


def test_an_api_error_stays_in_english_for_an_english_client(customer):
    # given a customer's API client asking for English
    client = bearer_client(customer.user)
    # when they ask for a case that does not exist
    response = client.get("/api/v1/cases/G-999999", headers={"Accept-Language": "en"})
    # then the message is the English one
    assert response.json()["message"] == "Case G-999999 not found."
