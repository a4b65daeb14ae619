from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from guichet.accounts.models import User
from guichet.cases.choices import Channel, ContactKind
from guichet.cases.models import Case
from guichet.cases.services import NewAttachment, case_open, contact_add
from guichet.customers.models import Customer

LINK_RE = re.compile(r"https?://\S+/portal/link/(\S+?)/\s")


@pytest.fixture(autouse=True)
def _portal_settings(settings):
    # Tasks run inline (on commit), so the acknowledgement and sign-in emails land in the outbox.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.GUICHET_BASE_URL = "http://testserver"
    settings.GUICHET_PORTAL_RATE_PER_IP = 10
    settings.GUICHET_PORTAL_RATE_PER_EMAIL = 5
    settings.GUICHET_REOPEN_DAYS = 30


@pytest.fixture
def customer_client(customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


@pytest.fixture
def other_client(other_customer) -> Client:
    client = Client()
    client.force_login(other_customer.user)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def open_case(agent) -> Callable[..., Case]:
    """A case of `customer`, opened through the service, owned by the agent Camille Martin."""

    def make(customer: Customer, subject: str = "Colis non reçu", **kwargs) -> Case:
        return case_open(
            actor=agent,
            customer=customer,
            subject=subject,
            body_text="Bonjour, mon colis n'est pas arrivé.",
            channel=Channel.PORTAL,
            owner=agent,
            **kwargs,
        )

    return make


@pytest.fixture
def case_of_customer(open_case, customer) -> Case:
    return open_case(customer)


@pytest.fixture
def case_of_other(open_case, other_customer) -> Case:
    return open_case(other_customer, subject="Facture erronée")


def reply(agent: User, case: Case, text: str, **kwargs) -> None:
    contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text=text, **kwargs)


def note(agent: User, case: Case, text: str, **kwargs) -> None:
    contact_add(actor=agent, case=case, kind=ContactKind.NOTE, body_text=text, **kwargs)


def tokens_in_outbox() -> list[str]:
    return [m for message in mail.outbox for m in LINK_RE.findall(message.body + "\n")]


def attachment(
    name: str = "facture.pdf", content: bytes = b"%PDF-1.4 test", ctype: str = "application/pdf"
):
    return NewAttachment(filename=name, content=content, content_type=ctype)
