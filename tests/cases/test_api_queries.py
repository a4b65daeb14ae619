"""Query-count baselines: list and detail cost the same whatever the number of rows (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.cases import services
from guichet.cases.choices import ContactKind
from guichet.cases.services import NewAttachment
from tests.cases.conftest import case_new

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def _varied_cases(n: int, *, customer, agent, category) -> None:
    """Cases that exercise every related object the list shows: owner, team, category, tags."""
    for i in range(n):
        case = case_new(
            customer=customer,
            actor=agent,
            category=category if i % 2 else None,
            tags=[f"tag{i % 3}", "vip"],
        )
        if i % 5 == 0:
            services.case_assign(actor=agent, case=case, owner=None, reason="file d'attente")


def test_case_list_query_count_does_not_grow_with_cases(agent_api, customer, agent, category):
    # given a warm client (the token's last-used time is written once a minute, not per call)
    agent_api.get("/api/v1/cases?limit=1")
    # when the list is read with 5 cases, then with 50
    _varied_cases(5, customer=customer, agent=agent, category=category)
    with_5 = _queries(agent_api, "/api/v1/cases?limit=100")
    _varied_cases(45, customer=customer, agent=agent, category=category)
    with_50 = _queries(agent_api, "/api/v1/cases?limit=100")
    # then it costs the same number of queries, and a small one
    assert with_5 == with_50
    assert with_50 <= 8


def test_customer_case_list_query_count_does_not_grow(customer_api, customer, agent, category):
    customer_api.get("/api/v1/cases?limit=1")
    _varied_cases(5, customer=customer, agent=agent, category=category)
    with_5 = _queries(customer_api, "/api/v1/cases")
    _varied_cases(45, customer=customer, agent=agent, category=category)
    assert _queries(customer_api, "/api/v1/cases") == with_5


def _contacts(case, n: int, *, agent, customer) -> None:
    kinds = [ContactKind.REPLY, ContactKind.NOTE, ContactKind.CUSTOMER_MESSAGE, ContactKind.CALL]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        actor = customer.user if kind == ContactKind.CUSTOMER_MESSAGE else agent
        services.contact_add(
            actor=actor,
            case=case,
            kind=kind,
            body_text=f"Message {i}",
            attachments=[NewAttachment(f"f{i}.txt", f"contenu {i}".encode())]
            if i % 3 == 0
            else None,
        )


@pytest.mark.parametrize("reader", ["agent_api", "customer_api"])
def test_case_detail_query_count_does_not_grow_with_contacts(
    request, reader, agent, customer, category
):
    client = request.getfixturevalue(reader)
    client.get("/api/v1/cases?limit=1")
    small = case_new(customer=customer, category=category, tags=["vip"])
    big = case_new(customer=customer, category=category, tags=["vip"])
    # given one case with 3 contacts and one with 30 (replies, notes, calls, files)
    _contacts(small, 2, agent=agent, customer=customer)
    _contacts(big, 29, agent=agent, customer=customer)
    # when each is read, then both cost the same number of queries
    assert _queries(client, f"/api/v1/cases/{small.reference}") == _queries(
        client, f"/api/v1/cases/{big.reference}"
    )


def test_case_detail_query_count_is_small(agent_api, agent, customer):
    agent_api.get("/api/v1/cases?limit=1")
    case = case_new(customer=customer)
    _contacts(case, 10, agent=agent, customer=customer)
    assert _queries(agent_api, f"/api/v1/cases/{case.reference}") <= 8


def test_events_query_count_does_not_grow(agent_api, agent, customer, other_agent):
    agent_api.get("/api/v1/cases?limit=1")
    case = case_new(customer=customer)
    first = _queries(agent_api, f"/api/v1/cases/{case.reference}/events")
    _contacts(case, 20, agent=agent, customer=customer)
    services.case_assign(actor=agent, case=case, owner=other_agent, reason="x")
    assert _queries(agent_api, f"/api/v1/cases/{case.reference}/events") == first


def test_customer_list_query_count_does_not_grow(agent_api, db):
    from guichet.customers.services import customer_create

    agent_api.get("/api/v1/customers?limit=1")
    for i in range(5):
        customer_create(name=f"Client {i}", email=f"c{i}@example.test", organisation_name="ACME")
    with_5 = _queries(agent_api, "/api/v1/customers?limit=100")
    for i in range(5, 50):
        customer_create(
            name=f"Client {i}", email=f"c{i}@example.test", organisation_name=f"Org {i}"
        )
    assert _queries(agent_api, "/api/v1/customers?limit=100") == with_5
