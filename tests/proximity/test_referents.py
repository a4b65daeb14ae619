"""Supervisors reassign in bulk when someone leaves, with a message to the customers."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from guichet.cases.services import case_open
from guichet.core.errors import PermissionDenied
from guichet.customers.services import customer_create
from guichet.proximity.models import ReferentAssignment
from guichet.proximity.services.referents import referent_assign, referents_reassign

pytestmark = pytest.mark.django_db


def current(customer) -> ReferentAssignment:
    return ReferentAssignment.objects.get(customer=customer, ended_at__isnull=True)


@pytest.fixture
def portfolio(supervisor, agent, deputy, other_agent, team):
    """Camille advises two customers (deputy Inès) and is Lucas's deputy for a third."""
    a = customer_create(name="Anne", email="anne@example.test")
    b = customer_create(name="Bruno", email="bruno@example.test")
    c = customer_create(name="Chloé", email="chloe@example.test")
    referent_assign(actor=supervisor, customer=a, referent=agent, deputy=deputy, team=team)
    referent_assign(actor=supervisor, customer=b, referent=agent, deputy=deputy, team=team)
    referent_assign(actor=supervisor, customer=c, referent=other_agent, deputy=agent, team=team)
    return a, b, c


def test_leaving_gives_each_customer_a_new_advisor_and_a_message(
    portfolio, supervisor, agent, deputy, other_agent, django_capture_on_commit_callbacks
):
    a, b, c = portfolio
    mail.outbox.clear()
    # when Camille leaves, balanced across the team, with a word to her customers
    with django_capture_on_commit_callbacks(execute=True):
        outcome = referents_reassign(
            actor=supervisor, leaving=agent, message="Camille part en retraite."
        )
    # then Anne and Bruno have new advisors (never Camille), told by email with the message
    assert outcome.referents_changed == 2 and outcome.customers_told == 2
    for customer in (a, b):
        assert current(customer).referent not in (agent,)
    assert {m.to[0] for m in mail.outbox} == {"anne@example.test", "bruno@example.test"}
    body = mail.outbox[0].body
    assert "Camille part en retraite." in body
    assert agent.last_name not in body and "@guichet.test" not in body
    # and Chloé's deputy is someone else than Camille
    assert outcome.deputies_changed == 1
    assert current(c).deputy not in (agent, None) and current(c).referent == other_agent
    # and the old rows are kept, ended, with the reason
    assert ReferentAssignment.objects.filter(referent=agent, end_reason="advisor_left").count() == 2


def test_leaving_to_a_named_colleague_moves_open_cases_too(
    portfolio, supervisor, agent, other_agent
):
    a, _b, _c = portfolio
    case = case_open(actor=None, customer=a, subject="Colis", body_text="Où ?")
    assert case.owner == agent
    outcome = referents_reassign(actor=supervisor, leaving=agent, to=other_agent)
    case.refresh_from_db()
    assert outcome.cases_moved == 1
    assert case.owner == other_agent
    assert current(a).referent == other_agent


def test_agents_cannot_reassign(portfolio, agent, other_agent):
    with pytest.raises(PermissionDenied):
        referents_reassign(actor=other_agent, leaving=agent)


def test_the_advisors_page_is_for_supervisors(agent, supervisor):
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("proximity:referents")).status_code == 403
    client.force_login(supervisor)
    assert client.get(reverse("proximity:referents")).status_code == 200


def test_the_advisors_page_reassigns(portfolio, supervisor, agent, other_agent):
    client = Client()
    client.force_login(supervisor)
    response = client.post(
        reverse("proximity:referents"),
        {"action": "reassign", "leaving": agent.pk, "to": other_agent.pk, "message": "Au revoir"},
    )
    assert response.status_code == 303
    assert not ReferentAssignment.objects.filter(referent=agent, ended_at__isnull=True).exists()
