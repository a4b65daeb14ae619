"""case_assign: assignment, pick-up, transfer (with a reason), moving team; case_change_status."""

from __future__ import annotations

import pytest

from guichet.accounts.services import user_create
from guichet.cases import services
from guichet.cases.choices import CaseStatus, EventKind
from guichet.cases.models import CaseEvent
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.cases.conftest import case_new, counts

pytestmark = pytest.mark.django_db

S = CaseStatus


@pytest.fixture
def unassigned(settings, customer, team, agent, other_agent):
    """A case in the default team with nobody on it yet."""
    settings.GUICHET_AUTO_ASSIGN = False
    return case_new(customer=customer)


def _last_event(case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).latest("id")


def test_picking_up_an_unassigned_case_is_an_assignment(unassigned, agent):
    # when an agent takes an unassigned case of their team, without a reason
    case = services.case_assign(actor=agent, case=unassigned, owner=agent)
    # then they own it, and the timeline says "assigned", not "transferred"
    assert case.owner == agent
    event = _last_event(case)
    assert (event.kind, event.actor, event.data["owner_id"]) == (
        EventKind.ASSIGNED,
        agent,
        agent.pk,
    )
    assert event.data["previous_owner_id"] is None


def test_giving_an_unassigned_case_to_a_colleague_is_an_assignment(unassigned, agent, other_agent):
    case = services.case_assign(actor=agent, case=unassigned, owner=other_agent)
    assert case.owner == other_agent
    assert _last_event(case).kind == EventKind.ASSIGNED


def test_taking_over_a_colleague_case_is_a_transfer_without_a_typed_reason(
    case, agent, other_agent
):
    # given a case owned by a colleague of the same team
    assert case.owner == agent
    # when the other agent takes it over, then no reason need be typed, but it counts as a
    # hand-over in "transfers per case"
    services.case_assign(actor=other_agent, case=case, owner=other_agent)
    event = _last_event(case)
    assert event.kind == EventKind.TRANSFERRED
    assert event.data["reason"] == "taken over"


def test_handing_a_case_to_a_colleague_is_a_transfer_and_needs_a_reason(case, agent, other_agent):
    before = counts()
    # when the owner hands the case over without saying why
    with pytest.raises(ValidationFailed) as caught:
        services.case_assign(actor=agent, case=case, owner=other_agent)
    # then it is refused on the reason field and nothing changed
    assert caught.value.details[0]["field"] == "reason"
    case.refresh_from_db()
    assert case.owner == agent
    assert counts() == before


def test_transfer_with_a_reason_is_recorded(case, agent, other_agent, team):
    case = services.case_assign(
        actor=agent, case=case, owner=other_agent, reason="  Spécialiste remboursements "
    )
    assert case.owner == other_agent
    event = _last_event(case)
    assert event.kind == EventKind.TRANSFERRED
    assert event.data == {
        "owner_id": other_agent.pk,
        "previous_owner_id": agent.pk,
        "team_id": team.pk,
        "reason": "Spécialiste remboursements",
    }


def test_returning_a_case_to_the_queue_needs_a_reason(case, agent):
    with pytest.raises(ValidationFailed):
        services.case_assign(actor=agent, case=case, owner=None)
    case = services.case_assign(actor=agent, case=case, owner=None, reason="Congés")
    assert case.owner is None
    event = _last_event(case)
    assert event.kind == EventKind.UNASSIGNED
    assert event.data["reason"] == "Congés"


def test_owner_must_be_in_the_given_team(case, agent, team, billing_agent):
    with pytest.raises(ValidationFailed) as caught:
        services.case_assign(actor=agent, case=case, owner=billing_agent, team=team, reason="x")
    assert caught.value.details[0]["field"] == "owner"


def test_moving_to_another_team_is_a_transfer(case, agent, other_team, billing_agent):
    # when the case goes to the billing team's agent, with a reason
    case = services.case_assign(
        actor=agent, case=case, owner=billing_agent, team=other_team, reason="Facturation"
    )
    # then both team and owner change, as one transfer
    assert (case.team, case.owner) == (other_team, billing_agent)
    event = _last_event(case)
    assert (event.kind, event.data["team_id"]) == (EventKind.TRANSFERRED, other_team.pk)


def test_moving_team_without_reason_is_refused(case, agent, other_team):
    with pytest.raises(ValidationFailed) as caught:
        services.case_assign(actor=agent, case=case, owner=None, team=other_team)
    assert caught.value.details[0]["field"] == "reason"


def test_owner_from_another_team_brings_the_case_to_their_team(
    case, agent, billing_agent, other_team
):
    case = services.case_assign(actor=agent, case=case, owner=billing_agent, reason="Facture")
    assert (case.team, case.owner) == (other_team, billing_agent)


def test_owner_in_no_team_is_refused_rather_than_dropping_the_team(case, agent, team):
    # given an agent who belongs to no team
    loner = user_create(email="seul@guichet.test")
    # when the case is given to them, then it is refused: the case would lose its team
    with pytest.raises(ValidationFailed) as caught:
        services.case_assign(actor=agent, case=case, owner=loner, reason="x")
    assert caught.value.details[0]["field"] == "owner"
    case.refresh_from_db()
    assert (case.team, case.owner) == (team, agent)


def test_same_owner_and_team_is_a_conflict(case, agent):
    with pytest.raises(Conflict) as caught:
        services.case_assign(actor=agent, case=case, owner=agent)
    assert caught.value.code == "assignment_unchanged"


def test_customer_cannot_assign(case, customer, agent):
    with pytest.raises(PermissionDenied):
        services.case_assign(actor=customer.user, case=case, owner=agent)


def test_customer_account_cannot_become_owner(case, agent, customer):
    with pytest.raises(ValidationFailed):
        services.case_assign(actor=agent, case=case, owner=customer.user, reason="x")


def test_giving_a_teamless_case_a_team_is_an_assignment(db, customer, agent, other_team):
    # given a case nobody routed (no team, no owner)
    case = case_new(customer=customer, actor=agent)
    case.team = None
    case.owner = None
    case.save()
    # when a supervisor sends it to a team without naming an owner
    case = services.case_assign(actor=agent, case=case, owner=None, team=other_team)
    # then the timeline says the case was assigned (to a team), not "unassigned"
    event = _last_event(case)
    assert (event.kind, event.data["team_id"], event.data["owner_id"]) == (
        EventKind.ASSIGNED,
        other_team.pk,
        None,
    )


def test_supervisor_can_own_a_case_of_any_team(case, supervisor, team):
    case = services.case_assign(actor=supervisor, case=case, owner=supervisor, reason="Escalade")
    assert (case.owner, case.team) == (supervisor, team)


def test_assignment_bumps_updated_at(case, agent, other_agent):
    before = case.updated_at
    case = services.case_assign(actor=agent, case=case, owner=other_agent, reason="x")
    assert case.updated_at > before


# --- case_change_status -------------------------------------------------------------------


def test_resolving_sets_resolved_at_and_records_the_change(case, agent):
    case = services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    assert case.status == S.RESOLVED
    assert case.resolved_at is not None
    event = _last_event(case)
    assert (event.kind, event.data) == (
        EventKind.STATUS_CHANGED,
        {"old": S.NEW, "new": S.RESOLVED, "reason": ""},
    )


def test_closing_sets_closed_at(case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    case = services.case_change_status(actor=agent, case=case, status=S.CLOSED)
    assert case.closed_at is not None
    assert case.resolved_at is not None


def test_agent_reopening_records_a_reopened_event(case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    case = services.case_change_status(actor=agent, case=case, status=S.OPEN, reason="Rappel")
    event = _last_event(case)
    assert (event.kind, event.data["reason"]) == (EventKind.REOPENED, "Rappel")
    assert case.resolved_at is None


def test_customer_may_reopen_their_own_case_with_a_reason(case, agent, customer):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    case = services.case_change_status(
        actor=customer.user, case=case, status=S.OPEN, reason="Pas réglé"
    )
    assert case.status == S.OPEN
    assert _last_event(case).kind == EventKind.REOPENED


@pytest.mark.parametrize("status", [S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED])
def test_customer_cannot_otherwise_change_the_status(case, customer, status):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.case_change_status(actor=customer.user, case=case, status=status, reason="x")
    case.refresh_from_db()
    assert case.status == S.NEW
    assert counts() == before


def test_invalid_transition_changes_nothing(case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    before = counts()
    with pytest.raises(Conflict):
        services.case_change_status(actor=agent, case=case, status=S.WAITING_CUSTOMER)
    case.refresh_from_db()
    assert case.status == S.RESOLVED
    assert counts() == before


def test_status_change_works_on_a_stale_instance(case, agent):
    # given two screens holding the same case; one resolves it
    stale = type(case).objects.get(pk=case.pk)
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    # when the other screen also asks to resolve, then the service sees the fresh state
    with pytest.raises(Conflict) as caught:
        services.case_change_status(actor=agent, case=stale, status=S.RESOLVED)
    assert caught.value.code == "status_unchanged"
