"""The inbox's view counts are kept a few seconds per agent and dropped when a case changes."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.cases import services
from guichet.workspace import selectors
from tests.workspace.conftest import case_new, logged_in

pytestmark = pytest.mark.django_db


def counts_of(client, path: str = "/") -> dict[str, int]:
    return client.get(path).context["inbox"].counts


def count_statements(client) -> int:
    """How many of the request's statements count the views (one statement counts all)."""
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    return sum("COUNT(*)" in q["sql"] for q in ctx.captured_queries)


def test_counts_are_read_once_then_from_the_cache(agent, customer, team):
    # given an agent who opened the inbox
    case_new(customer=customer, team=team, owner=agent)
    client = logged_in(agent)
    assert count_statements(client) == 1
    # when the inbox is opened again within a few seconds, then nothing is recounted
    assert count_statements(client) == 0
    assert counts_of(client)["mine"] == 1


def test_a_new_case_drops_the_cached_counts(
    agent, customer, team, django_capture_on_commit_callbacks
):
    # given cached counts
    client = logged_in(agent)
    case_new(customer=customer, team=team, owner=agent)
    assert counts_of(client)["open"] == 1
    # when a case arrives (its hooks run after commit)
    with django_capture_on_commit_callbacks(execute=True):
        case_new(customer=customer, team=team, owner=agent)
    # then the next page counts it, and so does the polling partial
    assert counts_of(client)["open"] == 2
    assert counts_of(client, reverse("workspace:inbox_results"))["mine"] == 2


def test_an_assignment_and_a_status_change_drop_the_cached_counts(
    agent, customer, team, django_capture_on_commit_callbacks, settings
):
    # given an unassigned case and the counts cached
    settings.GUICHET_AUTO_ASSIGN = False
    case = case_new(customer=customer, team=team)
    client = logged_in(agent)
    before = counts_of(client)
    assert (before["unassigned"], before["mine"]) == (1, 0)
    # when the agent takes it, then it moved from "unassigned" to "mine" in the counts
    with django_capture_on_commit_callbacks(execute=True):
        services.case_assign(actor=agent, case=case, owner=agent)
    after = counts_of(client)
    assert (after["unassigned"], after["mine"]) == (0, 1)
    # when it is resolved, then it leaves the active views' counts
    with django_capture_on_commit_callbacks(execute=True):
        services.case_change_status(actor=agent, case=case, status="resolved")
    assert counts_of(client)["open"] == 0


def test_counts_are_kept_per_agent(agent, outsider, customer, team):
    # given the service-client agent's counts cached
    case_new(customer=customer, team=team, owner=agent)
    assert counts_of(logged_in(agent))["open"] == 1
    # when an agent of another team opens the inbox, then they get their own counts
    assert counts_of(logged_in(outsider))["open"] == 0


def test_cached_counts_expire(agent, customer, team, monkeypatch):
    # given counts kept for no time at all
    monkeypatch.setattr(selectors, "COUNTS_SECONDS", 0.001)
    client = logged_in(agent)
    assert counts_of(client)["open"] == 0
    # when a case arrives unseen by this process's hooks (another worker, say)
    case_new(customer=customer, team=team, owner=agent)
    # then the next count after the delay finds it
    time.sleep(0.01)
    assert counts_of(client)["open"] == 1
