"""The inbox and the case page run a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.cases import services
from guichet.cases.services import NewAttachment
from guichet.knowledge.services import macro_create
from guichet.workspace import selectors
from tests.workspace.conftest import case_new, logged_in

pytestmark = pytest.mark.django_db


def queries(client, path: str, params=None) -> int:
    client.get(path, params or {})  # warm: the option lists are cached for a few seconds
    selectors.inbox_counts_forget()  # but the view counts are counted (the cold path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def make_cases(n: int, *, customer, team, owner, category):
    for i in range(n):
        case_new(
            customer=customer,
            team=team,
            owner=owner,
            category=category,
            tags=[f"tag{i % 3}", "suivi"],
            priority=("urgent", "normal", "low")[i % 3],
        )


@pytest.mark.parametrize("view", ["open", "mine", "team", "unassigned", "waiting", "all"])
def test_inbox_queries_do_not_grow_with_cases(agent, customer, team, category, view):
    client = logged_in(agent)
    make_cases(2, customer=customer, team=team, owner=agent, category=category)
    few = queries(client, "/", {"view": view})
    make_cases(20, customer=customer, team=team, owner=agent, category=category)
    many = queries(client, "/", {"view": view})
    assert many == few


def test_inbox_search_queries_do_not_grow_with_matches(agent, customer, team, category):
    client = logged_in(agent)
    make_cases(2, customer=customer, team=team, owner=agent, category=category)
    few = queries(client, "/", {"q": "colis", "view": "all"})
    make_cases(20, customer=customer, team=team, owner=agent, category=category)
    assert queries(client, "/", {"q": "colis", "view": "all"}) == few


def test_inbox_query_count_baseline(agent, customer, team, category):
    # A baseline: session, user, teams (x2), 5 capped counts, rows, tags, categories.
    make_cases(3, customer=customer, team=team, owner=agent, category=category)
    assert queries(logged_in(agent), "/") <= 12


def test_case_page_queries_do_not_grow_with_contacts(agent, customer, team, category):
    client = logged_in(agent)
    macro_create(actor=agent, team=team, name="Un", body="Bonjour")
    case = case_new(customer=customer, team=team, owner=agent, tags=["a", "b"])
    case_new(customer=customer, team=team, owner=agent)
    path = reverse("workspace:case", args=[case.reference])
    few = queries(client, path)
    # when the conversation, the events, attachments and the customer's history grow
    for i in range(15):
        services.contact_add(
            actor=agent,
            case=case,
            kind=("reply", "note")[i % 2],
            body_text=f"Message {i}",
            attachments=[NewAttachment(filename=f"f{i}.txt", content=f"x{i}".encode())],
        )
        case_new(customer=customer, team=team, owner=agent)
    services.case_update(actor=agent, case=case, tags=["a", "b", "c", "d"])
    # then the case page costs the same number of queries
    assert queries(client, path) == few


def test_customer_page_queries_do_not_grow(agent, customer, team, category):
    client = logged_in(agent)
    case_new(customer=customer, team=team)
    path = reverse("workspace:customer", args=[customer.pk])
    few = queries(client, path)
    make_cases(10, customer=customer, team=team, owner=agent, category=category)
    assert queries(client, path) == few


def test_case_page_query_count_baseline(agent, customer, team):
    # session, user, teams, the case (with its complaint), its clock, tags, contacts,
    # attachments, the customer's other cases, macros, pending complaint suggestions
    case = case_new(customer=customer, team=team, owner=agent, tags=["a"])
    assert queries(logged_in(agent), reverse("workspace:case", args=[case.reference])) <= 11
