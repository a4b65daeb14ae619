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


def edit(client, macro, **data):
    return client.post(URL, {"macro": macro.pk, "action": "edit", **data})


def test_agent_edits_the_text_of_a_team_macro(agent, agent_client, team):
    macro = macro_create(actor=agent, team=team, name="Relance", body="Bonjour")
    response = edit(agent_client, macro, name="Relance douce", body="Bonjour {{ case.reference }}")
    assert response.status_code == 303
    macro.refresh_from_db()
    assert (macro.name, macro.body) == ("Relance douce", "Bonjour {{ case.reference }}")


def test_edit_form_is_offered_with_the_current_text(agent, agent_client, team):
    macro = macro_create(actor=agent, team=team, name="Relance", body="Texte actuel")
    body = agent_client.get(URL).content.decode()
    assert f'id="macro-{macro.pk}-body"' in body
    assert "Texte actuel</textarea>" in body


def test_edit_with_an_unknown_placeholder_is_refused_next_to_the_macro(agent, agent_client, team):
    macro = macro_create(actor=agent, team=team, name="Relance", body="Bonjour")
    response = edit(agent_client, macro, name="Relance", body="{{ agent.password }}")
    assert response.status_code == 422
    assert "agent.password" in response.content.decode()
    macro.refresh_from_db()
    assert macro.body == "Bonjour"


def test_agent_of_another_team_cannot_edit(outsider, agent, team):
    macro = macro_create(actor=agent, team=team, name="Équipe", body="x")
    assert edit(logged_in(outsider), macro, name="Piratée", body="y").status_code == 404
    macro.refresh_from_db()
    assert macro.body == "x"


def test_agent_cannot_edit_a_shared_macro_but_a_supervisor_can(agent, supervisor):
    shared = macro_create(actor=supervisor, team=None, name="Commune", body="x")
    # the agent uses it, but may not change it: no edit form, and a forged POST is refused
    agent_client = logged_in(agent)
    assert f'id="macro-{shared.pk}-body"' not in agent_client.get(URL).content.decode()
    assert edit(agent_client, shared, name="Commune", body="changée").status_code == 403
    shared.refresh_from_db()
    assert shared.body == "x"
    assert edit(logged_in(supervisor), shared, name="Commune", body="changée").status_code == 303
    shared.refresh_from_db()
    assert shared.body == "changée"
