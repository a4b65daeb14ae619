"""Macros: restricted placeholder substitution, per-team access, API."""

from __future__ import annotations

import pytest

from guichet.accounts.services import team_create
from guichet.core.errors import NotFound, PermissionDenied, ValidationFailed
from guichet.knowledge.models import Macro
from guichet.knowledge.placeholders import placeholders_fill, placeholders_unknown
from guichet.knowledge.selectors import macro_get_for_user, macro_list_for_user, macro_render
from guichet.knowledge.services import macro_create, macro_update
from tests.conftest import bearer_client
from tests.workspace.conftest import case_new

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer, team, agent):
    return case_new(customer=customer, team=team, owner=agent, subject="Colis abîmé")


@pytest.fixture
def billing(db):
    return team_create(name="Facturation")


def test_placeholders_are_filled_from_the_case_and_the_agent(case, agent):
    text = (
        "Bonjour {{ customer.first_name }}, votre dossier {{case.reference}} "
        "({{ case.subject }}) est suivi par {{ agent.first_name }} ({{ team.name }})."
    )
    assert placeholders_fill(text, case=case, agent=agent) == (
        f"Bonjour Marie, votre dossier {case.reference} (Colis abîmé) est suivi par "
        "Camille (Service client)."
    )


def test_template_syntax_is_left_as_typed_and_never_evaluated(case, agent):
    # given text that Django's template engine would evaluate
    text = "{{ case.customer.user.password }} {% debug %} {{ settings.SECRET_KEY }} {{ 7|add:1 }}"
    # when it is filled, then none of it is interpreted
    assert placeholders_fill(text, case=case, agent=agent) == text


def test_values_are_not_filled_twice(customer, case, agent):
    # given a customer whose name itself looks like a placeholder
    customer.name = "{{ case.reference }}"
    customer.save()
    case.refresh_from_db()
    # when filled, the name is inserted as text, not substituted again
    assert (
        placeholders_fill("{{ customer.name }}", case=case, agent=agent) == "{{ case.reference }}"
    )


def test_unknown_placeholders_are_listed():
    assert placeholders_unknown("{{ case.reference }} {{ case.owner.email }} {{ x }}") == [
        "case.owner.email",
        "x",
    ]


def test_a_macro_with_an_unknown_placeholder_is_refused(agent, team):
    with pytest.raises(ValidationFailed) as error:
        macro_create(actor=agent, team=team, name="Bad", body="{{ customer.password }}")
    assert "customer.password" in error.value.message


def test_agent_creates_a_macro_for_their_team(agent, team):
    macro = macro_create(actor=agent, team=team, name=" Accusé  réception ", body="Bonjour")
    assert (macro.name, macro.team, macro.created_by) == ("Accusé réception", team, agent)


def test_agent_cannot_create_for_another_team_or_for_everyone(agent, billing):
    with pytest.raises(PermissionDenied):
        macro_create(actor=agent, team=billing, name="X", body="Y")
    with pytest.raises(PermissionDenied):
        macro_create(actor=agent, team=None, name="X", body="Y")


def test_supervisor_creates_a_shared_macro(supervisor):
    assert macro_create(actor=supervisor, name="Merci", body="Merci !").team is None


def test_customer_cannot_create_macros(customer_user, team):
    with pytest.raises(PermissionDenied):
        macro_create(actor=customer_user, team=team, name="X", body="Y")


def test_names_are_unique_per_team(agent, team):
    macro_create(actor=agent, team=team, name="Relance", body="a")
    with pytest.raises(ValidationFailed):
        macro_create(actor=agent, team=team, name="relance", body="b")


def test_agents_see_shared_and_their_teams_macros_only(agent, supervisor, team, billing):
    shared = macro_create(actor=supervisor, name="Partagée", body="a")
    own = macro_create(actor=supervisor, team=team, name="Équipe", body="b")
    other = macro_create(actor=supervisor, team=billing, name="Autre", body="c")
    inactive = macro_create(actor=supervisor, team=team, name="Vieille", body="d")
    macro_update(actor=supervisor, macro=inactive, is_active=False)
    assert set(macro_list_for_user(user=agent)) == {shared, own}
    assert set(macro_list_for_user(user=supervisor)) == {shared, own, other}
    with pytest.raises(NotFound):
        macro_get_for_user(user=agent, macro_id=other.pk)


def test_customers_see_no_macros(customer_user, supervisor):
    macro_create(actor=supervisor, name="Partagée", body="a")
    assert list(macro_list_for_user(user=customer_user)) == []


def test_agent_cannot_move_their_macro_to_another_team(agent, team, billing):
    macro = macro_create(actor=agent, team=team, name="A", body="b")
    with pytest.raises(PermissionDenied):
        macro_update(actor=agent, macro=macro, team=billing)
    macro.refresh_from_db()
    assert macro.team == team


def test_macro_render_uses_the_case(agent, team, case):
    macro = macro_create(actor=agent, team=team, name="A", body="Dossier {{ case.reference }}")
    assert macro_render(macro=macro, case=case, agent=agent) == f"Dossier {case.reference}"


def test_api_lists_renders_and_creates(agent, team, case):
    api = bearer_client(agent)
    created = api.post(
        "/api/v1/macros",
        {"name": "Bonjour", "body": "Bonjour {{ customer.first_name }}", "team_id": team.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    macro_id = created.json()["id"]
    assert [m["name"] for m in api.get("/api/v1/macros").json()] == ["Bonjour"]
    rendered = api.get(f"/api/v1/macros/{macro_id}/render", {"case": case.reference})
    assert rendered.json() == {"body": "Bonjour Marie"}


def test_api_render_for_a_case_outside_the_team_is_404(agent, supervisor, billing, customer):
    foreign = case_new(customer=customer, team=billing)
    macro = macro_create(actor=supervisor, name="Partagée", body="x")
    response = bearer_client(agent).get(
        f"/api/v1/macros/{macro.pk}/render", {"case": foreign.reference}
    )
    assert response.status_code == 404


def test_api_refuses_customers(customer_user):
    assert bearer_client(customer_user).get("/api/v1/macros").status_code == 403


def test_api_unknown_placeholder_is_422(agent, team):
    response = bearer_client(agent).post(
        "/api/v1/macros",
        {"name": "X", "body": "{{ case.owner.password }}", "team_id": team.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert Macro.objects.count() == 0
