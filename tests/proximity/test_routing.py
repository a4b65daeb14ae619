"""Continuity routing: every new case of a customer with an advisor goes to the advisor, to the
deputy when the advisor is away, to the team otherwise; each decision is in the event log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guichet.cases.choices import EventKind
from guichet.cases.models import CaseEvent
from guichet.cases.services import case_open
from guichet.customers.models import Organisation
from guichet.customers.services import customer_create
from guichet.proximity.models import ReferentAssignment, ReferentRule
from guichet.proximity.services.referents import referent_assign, referent_rules_apply
from tests.proximity.conftest import away

pytestmark = pytest.mark.django_db


def _open(customer, *, at, **kwargs):
    return case_open(
        actor=None, customer=customer, subject="Colis", body_text="Où est mon colis ?", at=at,
        **kwargs,
    )  # fmt: skip


def _routing_event(case) -> CaseEvent:
    return CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED)


@pytest.fixture
def advised(customer, agent, deputy, supervisor, team):
    """Marie Dupont's advisor is Camille, her deputy Inès."""
    return referent_assign(
        actor=supervisor, customer=customer, referent=agent, deputy=deputy, team=team
    )


def test_a_new_case_goes_to_the_advisor_when_present(advised, customer, agent, now):
    # given an advisor at work today (see the fixture)
    # when the customer writes
    case = _open(customer, at=now)
    # then the case is the advisor's, and the log says why
    assert case.owner == agent
    event = _routing_event(case)
    assert event.data["reason"] == "referent"
    assert event.data["referent_id"] == agent.pk
    assert event.data["owner_id"] == agent.pk


def test_the_deputy_takes_it_when_the_advisor_is_absent(advised, customer, agent, deputy, now):
    # given Camille on holiday
    away(agent, at=now)
    # when the customer writes
    case = _open(customer, at=now)
    # then Inès, the deputy, has it, and the log names who was away
    assert case.owner == deputy
    event = _routing_event(case)
    assert event.data["reason"] == "deputy"
    assert event.data["absent_ids"] == [agent.pk]


def test_the_team_takes_it_when_advisor_and_deputy_are_absent(
    advised, customer, agent, deputy, third_agent, other_agent, now
):
    # given Camille and Inès both away, and Lucas with more work than Hugo
    away(agent, at=now)
    away(deputy, at=now)
    _open(customer_create(name="Busy", email="busy@example.test"), at=now, owner=other_agent)
    # when the customer writes
    case = _open(customer, at=now)
    # then the least-loaded colleague present gets it
    assert case.owner == third_agent
    event = _routing_event(case)
    assert event.data["reason"] == "referent_absent_team"
    assert {agent.pk, deputy.pk} <= set(event.data["absent_ids"])


def test_the_advisor_gets_cases_again_when_back(advised, customer, agent, deputy, now):
    # given an absence that ended yesterday
    away(agent, at=now - timedelta(days=5), days=2)
    # when the customer writes today
    case = _open(customer, at=now)
    # then the advisor has it
    assert case.owner == agent


def test_a_disabled_advisor_is_treated_as_absent(advised, customer, agent, deputy, now):
    # given Camille's account disabled (she left, nobody reassigned her customers yet)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    # when the customer writes
    case = _open(customer, at=now)
    # then the deputy has it
    assert case.owner == deputy
    assert _routing_event(case).data["reason"] == "deputy"


def test_without_advisor_the_default_routing_decides(customer, agent, now):
    # given no advisor and nobody away
    # when the customer writes
    case = _open(customer, at=now)
    # then the usual least-loaded routing applies, with its usual reason
    assert case.owner == agent
    assert _routing_event(case).data["reason"] == "routing"


def test_without_advisor_an_absent_colleague_gets_no_new_case(customer, agent, other_agent, now):
    # given Camille (least loaded, first by id) away
    away(agent, at=now)
    # when the customer writes
    case = _open(customer, at=now)
    # then Lucas, present, has it
    assert case.owner == other_agent
    event = _routing_event(case)
    assert event.data["reason"] == "team_present"
    assert event.data["absent_ids"] == [agent.pk]


def test_an_agent_choosing_the_owner_is_not_overridden(advised, customer, other_agent, now):
    # given an advisor; when an agent opens the case for a colleague
    case = case_open(
        actor=other_agent, customer=customer, subject="Appel", body_text="Note", owner=other_agent,
        at=now,
    )  # fmt: skip
    # then the choice stands
    assert case.owner == other_agent
    assert _routing_event(case).data["reason"] == "chosen"


def test_an_organisation_advisor_covers_its_customers(supervisor, deputy, team, now):
    # given an organisation with an advisor, and one of its customers
    organisation = Organisation.objects.create(name="Boulangerie Petit")
    referent_assign(actor=supervisor, organisation=organisation, referent=deputy, team=team)
    customer = customer_create(
        name="Paul Petit", email="paul@petit.test", organisation_name="Boulangerie Petit"
    )
    # when the customer writes
    case = _open(customer, at=now)
    # then the organisation's advisor has it
    assert case.owner == deputy
    assert _routing_event(case).data["reason"] == "referent"


def test_a_customer_advisor_wins_over_the_organisation_one(supervisor, agent, deputy, team, now):
    organisation = Organisation.objects.create(name="Garage Martin")
    referent_assign(actor=supervisor, organisation=organisation, referent=deputy, team=team)
    customer = customer_create(
        name="Léa Martin", email="lea@garage.test", organisation_name="Garage Martin"
    )
    referent_assign(actor=supervisor, customer=customer, referent=agent, team=team)
    case = _open(customer, at=now)
    assert case.owner == agent


def test_a_new_rule_gives_advisors_balanced_across_the_team(
    supervisor, team, agent, other_agent, deputy, now
):
    # given a rule "every customer of segment pro gets an advisor" and three pro customers
    ReferentRule.objects.create(name="Pros", kind="segment", segment="pro", team=team)
    customers = [
        customer_create(name=f"Pro {i}", email=f"pro{i}@example.test", segment="pro")
        for i in range(3)
    ]
    # when each writes for the first time
    cases = [_open(c, at=now) for c in customers]
    # then each got a different advisor (the least loaded each time), and the case went to them
    referents = [ReferentAssignment.objects.get(customer=c).referent for c in customers]
    assert len(set(referents)) == 3
    assert [c.owner for c in cases] == referents
    assert all(_routing_event(c).data["reason"] == "referent" for c in cases)


def test_a_rule_names_a_deputy_too(supervisor, team, agent, other_agent, customer, now):
    ReferentRule.objects.create(name="Tous", kind="all", team=team)
    _open(customer, at=now)
    assignment = ReferentAssignment.objects.get(customer=customer)
    assert {assignment.referent, assignment.deputy} == {agent, other_agent}


def test_a_customer_outside_the_rule_keeps_default_routing(supervisor, team, agent, now):
    ReferentRule.objects.create(name="Pros", kind="segment", segment="pro", team=team)
    private = customer_create(name="Jo", email="jo@example.test", segment="particulier")
    case = _open(private, at=now)
    assert not ReferentAssignment.objects.filter(customer=private).exists()
    assert _routing_event(case).data["reason"] == "routing"


def test_disabling_a_rule_ends_the_advisors_it_gave(supervisor, team, agent, customer, now):
    # given a customer who got an advisor from a rule
    rule = ReferentRule.objects.create(name="Tous", kind="all", team=team, with_deputy=False)
    _open(customer, at=now)
    assert ReferentAssignment.objects.filter(customer=customer, ended_at__isnull=True).exists()
    # when the rule is switched off and the rules are applied again
    rule.is_active = False
    rule.save(update_fields=["is_active"])
    outcome = referent_rules_apply(actor=supervisor, at=now)
    # then the advisor given by the rule ends, and the next case is routed the usual way
    assert outcome.ended == 1
    assert not ReferentAssignment.objects.filter(customer=customer, ended_at__isnull=True).exists()
    case = _open(customer, at=now + timedelta(hours=1))
    assert _routing_event(case).data["reason"] == "routing"


def test_applying_rules_backfills_existing_customers(supervisor, team, agent, customer, now):
    # given an existing customer, then a new rule
    ReferentRule.objects.create(name="Tous", kind="all", team=team)
    # when the rules are applied
    outcome = referent_rules_apply(actor=supervisor, at=now)
    # then the customer has an advisor
    assert outcome.assigned == 1
    assert ReferentAssignment.objects.get(customer=customer).referent == agent


def test_hand_named_advisors_survive_rule_changes(advised, supervisor, team, customer, now):
    ReferentRule.objects.create(name="Tous", kind="all", team=team, is_active=False)
    referent_rules_apply(actor=supervisor, at=now)
    assert ReferentAssignment.objects.get(customer=customer, ended_at__isnull=True) == advised


# --- Many cases at once (cases.services.case_open_many) -----------------------------------------


def test_a_batch_routes_as_one_case_after_another(advised, customer, agent, deputy, team, now):
    from guichet.cases.services import CaseRequest, case_open_many
    from guichet.proximity.models import ReferentRule

    # Given Camille away, a rule giving every customer an advisor, and a new customer
    away(agent, at=now)
    ReferentRule.objects.create(name="Tous", kind="all", team=team, order=1)
    newcomer = customer_create(name="Léa Martin", email="lea@example.fr")
    # When the two customers' cases are opened together, two for the newcomer
    opened = case_open_many(
        requests=[
            CaseRequest(customer=c, subject="Colis", body_text="Où est-il ?", at=now)
            for c in (customer, newcomer, newcomer)
        ]
    )
    # Then the advised customer's case goes to the deputy (Camille is away), and the newcomer
    # gets ONE advisor by the rule, who takes both of their cases
    first, second, third = (o.case for o in opened)
    assert first.owner == deputy
    assert _routing_event(first).data["reason"] == "deputy"
    assert ReferentAssignment.objects.filter(customer=newcomer).count() == 1
    advisor = ReferentAssignment.objects.get(customer=newcomer).referent
    assert second.owner == third.owner == advisor
    assert advisor != agent  # nobody absent gets a new case
