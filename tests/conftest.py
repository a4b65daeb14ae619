from __future__ import annotations

import pytest
from django.test import Client

from guichet.accounts.choices import Role
from guichet.accounts.models import Team, User
from guichet.accounts.services import api_token_create, team_create, user_create
from guichet.cases.models import Category
from guichet.customers.models import Customer
from guichet.customers.services import customer_create


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def team(db) -> Team:
    return team_create(name="Service client", is_default=True)


@pytest.fixture
def agent(team) -> User:
    user = user_create(email="camille@guichet.test", first_name="Camille", last_name="Martin")
    team.members.add(user)
    return user


@pytest.fixture
def other_agent(team) -> User:
    user = user_create(email="lucas@guichet.test", first_name="Lucas", last_name="Bernard")
    team.members.add(user)
    return user


@pytest.fixture
def supervisor(db) -> User:
    return user_create(email="sophie@guichet.test", first_name="Sophie", role=Role.SUPERVISOR)


@pytest.fixture
def customer_user(db) -> User:
    return user_create(email="marie.dupont@example.test", first_name="Marie", role=Role.CUSTOMER)


@pytest.fixture
def customer(customer_user) -> Customer:
    return customer_create(name="Marie Dupont", email=customer_user.email, user=customer_user)


@pytest.fixture
def other_customer(db) -> Customer:
    user = user_create(email="jean.morel@example.test", first_name="Jean", role=Role.CUSTOMER)
    return customer_create(name="Jean Morel", email=user.email, user=user)


@pytest.fixture
def category(team) -> Category:
    return Category.objects.create(name="Livraison", slug="livraison", team=team)


def bearer_client(user: User) -> Client:
    _token, secret = api_token_create(email=user.email)
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def agent_api(agent) -> Client:
    return bearer_client(agent)


@pytest.fixture
def customer_api(customer) -> Client:
    return bearer_client(customer.user)
