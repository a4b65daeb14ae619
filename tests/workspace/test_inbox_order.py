"""The inbox order: time left before the nearest service target first (guichet.sla's case
clock), cases with no running target after them by priority then age; "next page" (keyset) and
"next case" walk that same order."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.cases import services
from guichet.cases.models import Case
from guichet.sla.models import CaseClock
from guichet.workspace import selectors
from tests.workspace.conftest import ago, case_new, listed_refs, logged_in

pytestmark = pytest.mark.django_db


def due_in(case: Case, delta: timedelta | None) -> Case:
    """Give the case a running target due `delta` from now (None: no running target, as while
    it waits on the customer). The sla app computes these; here they are chosen."""
    CaseClock.objects.update_or_create(
        case=case,
        defaults={
            "priority": case.priority,
            "next_due_at": None if delta is None else timezone.now() + delta,
            "next_kind": "" if delta is None else "first_response",
            "synced_at": timezone.now(),
        },
    )
    return case


@pytest.fixture
def mixed(customer, team, agent):
    """Five open cases of the agent: three with a running target (the nearest one belongs to a
    low-priority case, overdue), two without (urgent then normal)."""
    made = {
        "overdue_low": due_in(
            case_new(customer=customer, team=team, owner=agent, priority="low", at=ago(days=1)),
            timedelta(hours=-2),
        ),
        "soon_normal": due_in(
            case_new(customer=customer, team=team, owner=agent, at=ago(hours=3)),
            timedelta(minutes=30),
        ),
        "later_urgent": due_in(
            case_new(customer=customer, team=team, owner=agent, priority="urgent", at=ago(hours=1)),
            timedelta(hours=5),
        ),
        "none_urgent": due_in(
            case_new(customer=customer, team=team, owner=agent, priority="urgent", at=ago(days=2)),
            None,
        ),
    }
    # no clock row at all (e.g. created before the sla app): also "no running target"
    made["none_normal"] = case_new(customer=customer, team=team, owner=agent, at=ago(days=5))
    return made


ORDER = ["overdue_low", "soon_normal", "later_urgent", "none_urgent", "none_normal"]


@pytest.mark.parametrize("view", ["open", "mine", "team"])
def test_inbox_is_ordered_by_time_left_then_priority_and_age(agent, mixed, view):
    response = logged_in(agent).get("/", {"view": view})
    assert listed_refs(response) == [mixed[name].reference for name in ORDER]


def test_the_selector_order_and_the_page_agree(agent, mixed):
    # inbox_order (one query) and the page (read segment by segment) give the same order
    qs = selectors.inbox_view_queryset(user=agent, view="open", team_ids=[])
    assert list(selectors.inbox_order(qs, view="open").values_list("reference", flat=True)) == [
        mixed[name].reference for name in ORDER
    ]


def test_next_page_links_walk_the_whole_order(agent, mixed, monkeypatch):
    # given a page size of 2, when the agent follows "next page" to the end
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    client = logged_in(agent)
    seen: list[str] = []
    response = client.get("/")
    for _ in range(5):
        seen += listed_refs(response)
        body = response.content.decode()
        links = [x.replace("&amp;", "&") for x in re.findall(r'href="\?([^"]+)" rel="next"', body)]
        if not links:
            break
        response = client.get("/?" + links[0])
    # then every case is seen once, in the inbox order
    assert seen == [mixed[name].reference for name in ORDER]


def test_keyset_page_is_not_shifted_by_a_case_arriving_on_top(
    agent, mixed, customer, team, monkeypatch
):
    # given the first page of two rows
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    filters = selectors.InboxFilters()
    first = selectors.inbox_page(user=agent, view="open", filters=filters)
    # when a case more urgent than all arrives before the agent turns the page
    due_in(case_new(customer=customer, team=team, owner=agent), timedelta(hours=-9))
    second = selectors.inbox_page(
        user=agent,
        view="open",
        filters=filters,
        page=2,
        after=selectors.inbox_cursor_parse(first.next_cursor),
    )
    # then the second page goes on right after the first one's last row (no row seen twice)
    assert [c.reference for c in first.cases] == [mixed[n].reference for n in ORDER[:2]]
    assert [c.reference for c in second.cases] == [mixed[n].reference for n in ORDER[2:4]]


def test_page_after_a_cursor_starts_after_that_case(agent, mixed):
    key = selectors.inbox_key(
        Case.objects.select_related("sla_clock").get(pk=mixed["soon_normal"].pk)
    )
    page = selectors.inbox_page(
        user=agent, view="open", filters=selectors.InboxFilters(), after=key
    )
    assert [c.reference for c in page.cases] == [mixed[name].reference for name in ORDER[2:]]


def test_a_malformed_cursor_is_ignored(agent_client, mixed):
    for value in ("garbage", "1.2.3", "n.x.1.1", "99999999999999999999999.1.1.1", "n.1.-5.2"):
        response = agent_client.get("/", {"after": value})
        assert response.status_code == 200
    assert selectors.inbox_cursor_parse("garbage") is None


def test_cursor_round_trips(mixed):
    for case in Case.objects.select_related("sla_clock"):
        key = selectors.inbox_key(case)
        assert selectors.inbox_cursor_parse(selectors.inbox_cursor(key)) == key


def next_hop(client, case: Case, **params) -> str:
    return client.get(reverse("workspace:case_next", args=[case.reference]), params)["Location"]


def test_next_case_walks_the_time_left_order(agent, mixed):
    client = logged_in(agent)
    hops = [next_hop(client, mixed[name], view="mine") for name in ORDER[:-1]]
    assert hops == [
        reverse("workspace:case", args=[mixed[name].reference]) + "?view=mine" for name in ORDER[1:]
    ]


def test_next_case_link_of_the_case_page_carries_where_the_case_stood(agent, mixed):
    client = logged_in(agent)
    body = client.get(
        reverse("workspace:case", args=[mixed["soon_normal"].reference]), {"view": "open"}
    ).content.decode()
    key = selectors.inbox_key(
        Case.objects.select_related("sla_clock").get(pk=mixed["soon_normal"].pk)
    )
    assert f"at={selectors.inbox_cursor(key)}" in body


def test_next_case_after_resolving_goes_on_from_where_it_stood(agent, mixed):
    # given the agent opened the case with the nearest due time
    client = logged_in(agent)
    case = mixed["overdue_low"]
    key = selectors.inbox_key(Case.objects.select_related("sla_clock").get(pk=case.pk))
    at = selectors.inbox_cursor(key)
    # when they resolve it (its clock stops: no due time any more) and press "next"
    response = client.post(
        reverse("workspace:case_status", args=[case.reference]),
        {"status": "resolved", "view": "open", "at": at},
    )
    due_in(case, None)
    assert f"at={at}" in response["Location"].replace("%2B", "+")
    # then the next case is the one after where it stood, not the first case without a target
    assert next_hop(client, case, view="open", at=at) == (
        reverse("workspace:case", args=[mixed["soon_normal"].reference]) + "?view=open"
    )


def test_next_case_without_position_uses_where_the_case_stands_now(agent, mixed):
    services.case_change_status(actor=agent, case=mixed["later_urgent"], status="waiting_customer")
    due_in(mixed["later_urgent"], None)
    # waiting, it has no running target: it now stands among the cases without one (urgent,
    # but newer than "none_urgent"), so next comes the normal one
    client = logged_in(agent)
    assert next_hop(client, mixed["later_urgent"], view="mine") == (
        reverse("workspace:case", args=[mixed["none_normal"].reference]) + "?view=mine"
    )


def test_equal_due_times_put_the_older_case_first(agent, customer, team):
    # e.g. cases received over the weekend are all due an hour after Monday's opening
    at = timezone.now() + timedelta(hours=1)
    older = case_new(customer=customer, team=team, owner=agent, priority="low")
    newer = case_new(customer=customer, team=team, owner=agent, priority="urgent")
    for case in (newer, older):
        due_in(case, at - timezone.now())
        CaseClock.objects.filter(case=case).update(next_due_at=at)
    assert listed_refs(logged_in(agent).get("/")) == [older.reference, newer.reference]
