"""GET /api/v1/cases: keyset pagination without duplicates or gaps, and every filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guichet.cases import services
from guichet.cases.choices import CaseStatus
from guichet.cases.models import Case
from tests.cases.conftest import case_new

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases"


def _walk(client, query: str = "", limit: int = 3) -> list[list[str]]:
    """Every page's references, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor = None
    for _ in range(100):
        params = (
            f"limit={limit}"
            + (f"&{query}" if query else "")
            + (f"&cursor={cursor}" if cursor else "")
        )
        response = client.get(f"{URL}?{params}")
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([c["reference"] for c in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")


def _refs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {c["reference"] for c in response.json()["items"]}


def test_pages_cover_every_case_once_newest_first(agent_api, customer, agent):
    # given 10 cases updated at distinct times
    base = datetime(2026, 3, 1, 9, tzinfo=UTC)
    cases = [case_new(customer=customer, at=base + timedelta(minutes=i)) for i in range(10)]
    # when the client walks the pages three at a time
    pages = _walk(agent_api, limit=3)
    # then 4 pages, every case exactly once, most recently updated first
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    flat = [ref for page in pages for ref in page]
    assert flat == [c.reference for c in reversed(cases)]


def test_identical_updated_at_neither_repeats_nor_skips(agent_api, customer, agent):
    # given 7 cases updated at the very same microsecond (a bulk import), and 2 others
    same = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    tied = {case_new(customer=customer, at=same).reference for _ in range(7)}
    before = case_new(customer=customer, at=same - timedelta(seconds=1)).reference
    after = case_new(customer=customer, at=same + timedelta(seconds=1)).reference
    # when walked two at a time (page boundaries fall inside the tie)
    pages = _walk(agent_api, limit=2)
    flat = [ref for page in pages for ref in page]
    # then each case appears once: the later one first, the tie, then the earlier one
    assert len(flat) == len(set(flat)) == 9
    assert flat[0] == after and flat[-1] == before
    assert set(flat[1:-1]) == tied


def test_whole_second_times_paginate_too(agent_api, customer, agent):
    # SQLite stores "…:00" without microseconds; comparisons must still order correctly
    base = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for i in range(5):
        case_new(customer=customer, at=base + timedelta(seconds=i // 2))
    flat = [ref for page in _walk(agent_api, limit=2) for ref in page]
    assert len(flat) == len(set(flat)) == 5


def test_exact_page_size_has_no_next_cursor(agent_api, customer, agent):
    for _ in range(3):
        case_new(customer=customer)
    body = agent_api.get(f"{URL}?limit=3").json()
    assert len(body["items"]) == 3
    assert body["next_cursor"] is None


def test_empty_list(agent_api):
    assert agent_api.get(URL).json() == {"items": [], "next_cursor": None}


def test_default_page_is_fifty(agent_api, customer, agent):
    for _ in range(51):
        case_new(customer=customer)
    body = agent_api.get(URL).json()
    assert len(body["items"]) == 50
    assert body["next_cursor"]


def test_cursor_keeps_filters_consistent(agent_api, customer, agent):
    for i in range(6):
        case = case_new(customer=customer, priority="high" if i % 2 else "low")
    pages = _walk(agent_api, "priority=high", limit=2)
    flat = [ref for page in pages for ref in page]
    assert len(flat) == 3
    assert set(Case.objects.filter(priority="high").values_list("reference", flat=True)) == set(
        flat
    )
    assert case  # the last one exists


# --- visibility ---------------------------------------------------------------------------


def test_customer_lists_only_their_cases(customer_api, case, other_case):
    assert _refs(customer_api.get(URL)) == {case.reference}


def test_customer_filter_cannot_widen_a_customer_view(
    customer_api, case, other_case, other_customer
):
    assert _refs(customer_api.get(f"{URL}?customer={other_customer.pk}")) == set()


def test_agent_does_not_list_other_team_cases(billing_api, case):
    assert _refs(billing_api.get(URL)) == set()


def test_supervisor_lists_everything(supervisor_api, case, other_case):
    assert _refs(supervisor_api.get(URL)) == {case.reference, other_case.reference}


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
def spread(customer, other_customer, agent, other_agent, settings, team):
    """Cases in several statuses, owners and priorities."""
    settings.GUICHET_AUTO_ASSIGN = False
    mine_open = case_new(customer=customer, owner=agent, priority="high")
    services.case_change_status(actor=agent, case=mine_open, status=CaseStatus.OPEN)
    mine_waiting = case_new(customer=customer, owner=agent)
    services.case_change_status(actor=agent, case=mine_waiting, status=CaseStatus.WAITING_CUSTOMER)
    theirs_resolved = case_new(customer=other_customer, owner=other_agent, priority="urgent")
    services.case_change_status(actor=agent, case=theirs_resolved, status=CaseStatus.RESOLVED)
    nobody_new = case_new(customer=other_customer)
    return {
        "mine_open": mine_open.reference,
        "mine_waiting": mine_waiting.reference,
        "theirs_resolved": theirs_resolved.reference,
        "nobody_new": nobody_new.reference,
    }


def test_filter_by_one_status(agent_api, spread):
    assert _refs(agent_api.get(f"{URL}?status=open")) == {spread["mine_open"]}


def test_filter_by_several_statuses_repeated(agent_api, spread):
    refs = _refs(agent_api.get(f"{URL}?status=open&status=new"))
    assert refs == {spread["mine_open"], spread["nobody_new"]}


def test_filter_by_several_statuses_comma_separated(agent_api, spread):
    refs = _refs(agent_api.get(f"{URL}?status=waiting_customer,resolved"))
    assert refs == {spread["mine_waiting"], spread["theirs_resolved"]}


def test_filter_owner_me(agent_api, spread):
    assert _refs(agent_api.get(f"{URL}?owner=me")) == {spread["mine_open"], spread["mine_waiting"]}


def test_filter_owner_none(agent_api, spread):
    assert _refs(agent_api.get(f"{URL}?owner=none")) == {spread["nobody_new"]}


def test_filter_owner_by_id(agent_api, spread, other_agent):
    assert _refs(agent_api.get(f"{URL}?owner={other_agent.pk}")) == {spread["theirs_resolved"]}


def test_filter_by_team(supervisor_api, spread, customer, other_team, billing_agent):
    billing = case_new(customer=customer, actor=billing_agent, team=other_team).reference
    assert _refs(supervisor_api.get(f"{URL}?team={other_team.pk}")) == {billing}


def test_filter_by_customer(agent_api, spread, customer):
    refs = _refs(agent_api.get(f"{URL}?customer={customer.pk}"))
    assert refs == {spread["mine_open"], spread["mine_waiting"]}


def test_filter_by_priority(agent_api, spread):
    assert _refs(agent_api.get(f"{URL}?priority=urgent")) == {spread["theirs_resolved"]}


def test_filter_updated_since(agent_api, customer, agent):
    old = case_new(customer=customer, at=datetime(2026, 1, 1, tzinfo=UTC))
    recent = case_new(customer=customer, at=datetime(2026, 6, 1, tzinfo=UTC))
    assert old
    refs = _refs(agent_api.get(f"{URL}?updated_since=2026-03-01T00:00:00%2B00:00"))
    assert refs == {recent.reference}


def test_updated_since_is_inclusive(agent_api, customer, agent):
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    case = case_new(customer=customer, at=at)
    assert _refs(agent_api.get(f"{URL}?updated_since=2026-03-01T12:00:00Z")) == {case.reference}


def test_naive_updated_since_is_read_in_the_site_time_zone(agent_api, customer, agent, settings):
    # given a case updated at 10:30 UTC = 11:30 in Paris (winter)
    case = case_new(customer=customer, at=datetime(2026, 1, 15, 10, 30, tzinfo=UTC))
    # when asked for cases updated since 11:00 without an offset, then Paris time is meant
    assert settings.TIME_ZONE == "Europe/Paris"
    assert _refs(agent_api.get(f"{URL}?updated_since=2026-01-15T11:00:00")) == {case.reference}
    assert _refs(agent_api.get(f"{URL}?updated_since=2026-01-15T12:00:00")) == set()


def test_filters_combine(agent_api, spread):
    refs = _refs(agent_api.get(f"{URL}?owner=me&status=open,waiting_customer&priority=high"))
    assert refs == {spread["mine_open"]}
