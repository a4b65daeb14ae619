"""The macros page: agents add saved replies for their teams, through the knowledge services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guichet.knowledge.models import Macro
from guichet.knowledge.services import macro_create
from tests.workspace.conftest import logged_in

pytestmark = pytest.mark.django_db

URL = "/macros/"


def test_agent_adds_a_macro_for_their_team(agent_client, team):
    response = agent_client.post(
        URL, {"name": "Accusé", "team": team.pk, "body": "Bonjour {{ customer.first_name }}"}
    )
    assert response.status_code == 303
    macro = Macro.objects.get()
    assert (macro.name, macro.team) == ("Accusé", team)


def test_agent_cannot_add_a_macro_for_another_team(outsider, team):
    response = logged_in(outsider).post(URL, {"name": "X", "team": team.pk, "body": "Y"})
    assert response.status_code == 422
    assert not Macro.objects.exists()


def test_unknown_placeholder_is_shown_as_an_error(agent_client, team):
    response = agent_client.post(URL, {"name": "X", "team": team.pk, "body": "{{ case.secret }}"})
    assert response.status_code == 422
    assert "case.secret" in response.content.decode()


def test_agent_deactivates_a_macro(agent, agent_client, team):
    macro = macro_create(actor=agent, team=team, name="Vieille", body="x")
    agent_client.post(URL, {"macro": macro.pk, "active": "0"})
    macro.refresh_from_db()
    assert macro.is_active is False


def test_macro_of_another_team_cannot_be_touched(outsider, agent, team):
    macro = macro_create(actor=agent, team=team, name="Équipe", body="x")
    response = logged_in(outsider).post(URL, {"macro": macro.pk, "active": "0"})
    assert response.status_code == 404
    macro.refresh_from_db()
    assert macro.is_active is True


def test_page_lists_usable_macros(agent, agent_client, team):
    macro_create(actor=agent, team=team, name="Relance", body="x")
    body = agent_client.get(reverse("workspace:macros")).content.decode()
    assert "Relance" in body


def test_customers_cannot_open_the_macros_page(customer):
    assert logged_in(customer.user).get(URL).status_code == 403
