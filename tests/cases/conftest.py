"""Fixtures and small builders for the cases tests (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from guichet.accounts.choices import Role
from guichet.accounts.models import Team, User
from guichet.accounts.services import team_create, user_create
from guichet.cases import services
from guichet.cases.models import Case, CaseEvent, Contact
from guichet.customers.models import Customer
from tests.conftest import bearer_client


def case_new(
    *,
    customer: Customer,
    actor: User | None = None,
    subject: str = "Colis non reçu",
    body: str = "Bonjour, mon colis n'est pas arrivé.",
    at: datetime | None = None,
    **kwargs,
) -> Case:
    """A case opened through the real service, as a channel would (actor None by default)."""
    return services.case_open(
        actor=actor, customer=customer, subject=subject, body_text=body, at=at, **kwargs
    )


def event_kinds(case: Case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case)
        .order_by("created_at", "id")
        .values_list("kind", flat=True)
    )


def counts() -> tuple[int, int, int]:
    """(cases, contacts, events): proof that a failed call wrote nothing."""
    return Case.objects.count(), Contact.objects.count(), CaseEvent.objects.count()


def json_post(client: Client, url: str, data) -> object:
    return client.post(url, data, content_type="application/json")


def json_patch(client: Client, url: str, data) -> object:
    return client.patch(url, data, content_type="application/json")


@pytest.fixture
def other_team(db) -> Team:
    return team_create(name="Facturation")


@pytest.fixture
def billing_agent(other_team) -> User:
    user = user_create(email="ines@guichet.test", first_name="Inès", last_name="Roux")
    other_team.members.add(user)
    return user


@pytest.fixture
def administrator(db) -> User:
    return user_create(email="admin@guichet.test", first_name="Ada", role=Role.ADMINISTRATOR)


@pytest.fixture
def case(customer, agent) -> Case:
    """A new case of `customer`, routed to `agent` (the only member of the default team)."""
    return case_new(customer=customer)


@pytest.fixture
def other_case(other_customer, agent) -> Case:
    return case_new(customer=other_customer, subject="Facture en double")


@pytest.fixture
def other_customer_api(other_customer) -> Client:
    return bearer_client(other_customer.user)


@pytest.fixture
def billing_api(billing_agent) -> Client:
    return bearer_client(billing_agent)


@pytest.fixture
def supervisor_api(supervisor) -> Client:
    return bearer_client(supervisor)
