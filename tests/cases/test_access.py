"""cases/access.py: the one permission funnel for cases, tested role by role."""

from __future__ import annotations

import pytest

from guichet.accounts.services import user_create
from guichet.cases.access import (
    agent_required,
    case_get_for_user,
    case_queryset_for_user,
    contact_kind_check,
)
from guichet.cases.choices import ContactKind
from guichet.core.errors import NotFound, PermissionDenied
from tests.cases.conftest import case_new

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_case(customer, agent, other_team, billing_agent):
    """A case of the billing team, owned by its agent."""
    return case_new(customer=customer, actor=billing_agent, team=other_team, owner=billing_agent)


@pytest.fixture
def teamless_case(customer, agent):
    case = case_new(customer=customer)
    case.team = None
    case.owner = None
    case.save()
    return case


def _visible(user) -> set[str]:
    return set(case_queryset_for_user(user=user).values_list("reference", flat=True))


# --- customers ----------------------------------------------------------------------------


def test_customer_sees_only_their_cases(case, other_case, customer):
    assert _visible(customer.user) == {case.reference}


def test_customer_gets_their_own_case(case, customer):
    assert case_get_for_user(user=customer.user, reference=case.reference) == case


def test_other_customer_case_is_not_found(case, other_customer):
    with pytest.raises(NotFound):
        case_get_for_user(user=other_customer.user, reference=case.reference)


def test_not_found_says_the_same_for_a_hidden_and_a_missing_case(case, other_customer):
    # given a case of another customer, and a reference that does not exist
    with pytest.raises(NotFound) as hidden:
        case_get_for_user(user=other_customer.user, reference=case.reference)
    missing_ref = "G-999999"
    with pytest.raises(NotFound) as missing:
        case_get_for_user(user=other_customer.user, reference=missing_ref)
    # then the two errors differ only by the reference the caller typed
    assert hidden.value.status == missing.value.status == 404
    assert hidden.value.code == missing.value.code
    assert hidden.value.message.replace(case.reference, "X") == missing.value.message.replace(
        missing_ref, "X"
    )
    assert hidden.value.details == missing.value.details


def test_customer_without_customer_record_sees_nothing(case, db):
    stranger = user_create(email="inconnu@example.test", role="customer")
    assert _visible(stranger) == set()


# --- agents -------------------------------------------------------------------------------


def test_agent_sees_their_team_cases(case, agent):
    assert case.reference in _visible(agent)


def test_agent_does_not_see_another_team_case(billing_case, agent):
    assert billing_case.reference not in _visible(agent)
    with pytest.raises(NotFound):
        case_get_for_user(user=agent, reference=billing_case.reference)


def test_agent_sees_cases_without_a_team(teamless_case, billing_agent):
    assert case_get_for_user(user=billing_agent, reference=teamless_case.reference)


def test_agent_sees_a_case_they_own_in_another_team(customer, agent, billing_agent, other_team):
    # given a case of the billing team owned by an agent who is not in that team (supervisor's
    # decision made directly in the database, e.g. an old assignment)
    case = case_new(customer=customer, actor=billing_agent, team=other_team)
    case.owner = agent
    case.save()
    # then its owner still sees it
    assert case_get_for_user(user=agent, reference=case.reference) == case


def test_agent_of_two_teams_sees_both(case, billing_case, agent, other_team):
    other_team.members.add(agent)
    assert {case.reference, billing_case.reference} <= _visible(agent)


# --- overseers ----------------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["supervisor", "administrator"])
def test_supervisor_and_administrator_see_every_case(
    request, role_fixture, case, other_case, billing_case, teamless_case
):
    user = request.getfixturevalue(role_fixture)
    assert _visible(user) == {
        case.reference,
        other_case.reference,
        billing_case.reference,
        teamless_case.reference,
    }


# --- inactive users -----------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["agent", "supervisor", "customer_user"])
def test_inactive_user_sees_nothing(request, role_fixture, case, other_case, teamless_case):
    user = request.getfixturevalue(role_fixture)
    user.is_active = False
    user.save()
    assert _visible(user) == set()
    with pytest.raises(NotFound):
        case_get_for_user(user=user, reference=case.reference)


# --- reference lookup ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["g-000001", " G-000001 ", "G-000001"])
def test_reference_is_found_whatever_the_case_and_spaces(case, agent, typed):
    assert case.reference == "G-000001"
    assert case_get_for_user(user=agent, reference=typed) == case


@pytest.mark.parametrize("typed", ["", "G-1", "1", "G-000001; DROP TABLE", "%", "_-______"])
def test_odd_references_are_simply_not_found(case, agent, typed):
    with pytest.raises(NotFound):
        case_get_for_user(user=agent, reference=typed)


def test_queryset_narrows_a_given_queryset(case, other_case, customer):
    from guichet.cases.models import Case

    narrowed = case_queryset_for_user(user=customer.user, queryset=Case.objects.filter(pk=case.pk))
    assert list(narrowed) == [case]


# --- what each role may do ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ContactKind.values)
def test_agent_may_add_every_kind(agent, kind):
    contact_kind_check(user=agent, kind=kind)


@pytest.mark.parametrize("kind", sorted(set(ContactKind.values) - {"customer_message"}))
def test_customer_may_only_write_messages(customer_user, kind):
    contact_kind_check(user=customer_user, kind=ContactKind.CUSTOMER_MESSAGE)
    with pytest.raises(PermissionDenied):
        contact_kind_check(user=customer_user, kind=kind)


def test_agent_required_refuses_customers_and_inactive_agents(customer_user, agent):
    agent_required(agent)
    with pytest.raises(PermissionDenied):
        agent_required(customer_user)
    agent.is_active = False
    with pytest.raises(PermissionDenied):
        agent_required(agent)
