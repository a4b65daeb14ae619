"""Builders for the workspace tests; the shared users and teams live in tests/conftest.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guichet.accounts.models import Team, User
from guichet.accounts.services import team_create, user_create
from guichet.cases import services
from guichet.cases.models import Case
from guichet.customers.models import Customer
from guichet.customers.services import customer_create


def case_new(
    *,
    customer: Customer,
    subject: str = "Colis non reçu",
    body: str = "Bonjour, mon colis n'est pas arrivé.",
    at: datetime | None = None,
    **kwargs,
) -> Case:
    """A case opened through the real service, as a channel would."""
    return services.case_open(
        actor=None, customer=customer, subject=subject, body_text=body, at=at, **kwargs
    )


def ago(**delta) -> datetime:
    return timezone.now() - timedelta(**delta)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def billing(db) -> Team:
    return team_create(name="Facturation")


@pytest.fixture
def outsider(billing) -> User:
    """An agent of another team: must not see the service-client team's cases."""
    user = user_create(email="nina@guichet.test", first_name="Nina", last_name="Roux")
    billing.members.add(user)
    return user


@pytest.fixture
def agent_client(agent) -> Client:
    return logged_in(agent)


@pytest.fixture
def case(customer, team, agent) -> Case:
    return case_new(customer=customer, team=team, owner=agent)


@pytest.fixture
def make_customer(db):
    counter = iter(range(1, 10_000))

    def make(name: str = "") -> Customer:
        n = next(counter)
        return customer_create(name=name or f"Client {n}", email=f"client{n}@example.test")

    return make


def listed(response, case: Case) -> bool:
    """Whether the inbox page lists this case as a row."""
    return f'id="case-link-{case.reference}"' in response.content.decode()


def listed_refs(response) -> list[str]:
    import re

    return re.findall(r'id="case-link-([^"]+)"', response.content.decode())


@pytest.fixture(autouse=True)
def _fresh_choices():
    """The workspace caches its option lists and view counts for a few seconds; each test
    starts without (a rolled-back test runs no after-commit hook to drop them)."""
    from guichet.workspace.selectors import choices_forget, inbox_counts_forget

    choices_forget()
    inbox_counts_forget()
    yield
    choices_forget()
    inbox_counts_forget()
