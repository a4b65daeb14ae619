"""The inbox: views, order, counts, filters, paging and the polling partial."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guichet.cases import services
from guichet.workspace import selectors
from tests.workspace.conftest import ago, case_new, listed, listed_refs, logged_in

pytestmark = pytest.mark.django_db


def test_home_url_name_resolves_to_the_inbox(agent_client):
    # when an agent opens the "home" URL, then it is the inbox
    response = agent_client.get(reverse("home"))
    assert response.status_code == 200
    assert response.templates[0].name == "workspace/inbox.html"


def test_all_open_is_ordered_by_priority_then_oldest_first(agent_client, customer, team):
    # given cases of several priorities and ages
    old_normal = case_new(customer=customer, team=team, at=ago(days=3))
    new_urgent = case_new(customer=customer, team=team, priority="urgent", at=ago(hours=1))
    old_urgent = case_new(customer=customer, team=team, priority="urgent", at=ago(days=2))
    low = case_new(customer=customer, team=team, priority="low", at=ago(days=9))
    high = case_new(customer=customer, team=team, priority="high", at=ago(minutes=5))
    # when the agent opens the default view
    response = agent_client.get("/")
    # then urgent first (oldest first among equals), low last
    assert listed_refs(response) == [
        c.reference for c in (old_urgent, new_urgent, high, old_normal, low)
    ]


def test_finished_cases_are_not_in_all_open_but_are_in_all_cases(agent, customer, team):
    # given a resolved case
    case = case_new(customer=customer, team=team)
    services.case_change_status(actor=agent, case=case, status="resolved")
    client = logged_in(agent)
    # then it is not an open case, but "all cases" has it
    assert not listed(client.get("/", {"view": "open"}), case)
    assert listed(client.get("/", {"view": "all"}), case)


def test_views_mine_team_unassigned_waiting(agent, other_agent, customer, team, billing, settings):
    # given cases owned by me, by a colleague, by nobody, waiting, and of another team
    mine = case_new(customer=customer, team=team, owner=agent)
    colleague = case_new(customer=customer, team=team, owner=other_agent)
    settings.GUICHET_AUTO_ASSIGN = False
    nobody = case_new(customer=customer, team=team)
    case_new(customer=customer, team=billing)
    waiting = case_new(customer=customer, team=team, owner=agent)
    services.case_change_status(actor=agent, case=waiting, status="waiting_customer")
    client = logged_in(agent)
    expected = {
        "mine": {mine, waiting},
        "team": {mine, colleague, nobody, waiting},
        "unassigned": {nobody},
        "waiting": {waiting},
    }
    for view, cases in expected.items():
        # when each view is opened, then it lists exactly its cases
        refs = set(listed_refs(client.get("/", {"view": view})))
        assert refs == {c.reference for c in cases}, view


def test_counts_per_view_are_shown(agent, customer, team):
    # given two cases of mine
    case_new(customer=customer, team=team, owner=agent)
    case_new(customer=customer, team=team, owner=agent)
    # when the inbox is opened
    response = logged_in(agent).get("/")
    # then the counts are in the context and on the page
    counts = response.context["inbox"].counts
    assert counts["mine"] == 2
    assert counts["open"] == 2
    assert counts["unassigned"] == 0


def test_counts_are_capped(agent, customer, team, monkeypatch):
    # given a cap of 2 and three open cases
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        case_new(customer=customer, team=team, owner=agent)
    # when the inbox is opened
    response = logged_in(agent).get("/")
    # then the count stops at the cap and says so
    assert response.context["inbox"].counts["open"] == 2
    assert "2+" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "matching_kwargs"),
    [
        ("priority", "high", {"priority": "high"}),
        ("channel", "email", {"channel": "email"}),
        ("tag", "remboursement", {"tags": ["Remboursement"]}),
    ],
)
def test_filters_keep_only_matching_cases(agent, customer, team, field, value, matching_kwargs):
    # given one case that matches and one that does not
    match = case_new(customer=customer, team=team, **matching_kwargs)
    other = case_new(customer=customer, team=team, channel="phone")
    # when the filter is applied
    response = logged_in(agent).get("/", {field: value})
    # then only the matching case is listed
    assert listed(response, match)
    assert not listed(response, other)


def test_filter_by_category_and_status(agent, customer, team, category):
    # given a new case of the category and a waiting one outside it
    match = case_new(customer=customer, team=team, category=category)
    other = case_new(customer=customer, team=team, owner=agent)
    services.case_change_status(actor=agent, case=other, status="waiting_customer")
    client = logged_in(agent)
    # then each filter keeps its case
    assert listed_refs(client.get("/", {"category": category.slug})) == [match.reference]
    assert listed_refs(client.get("/", {"status": "waiting_customer"})) == [other.reference]


def test_filter_by_customer_email_or_id(agent, customer, other_customer, team):
    # given cases of two customers
    theirs = case_new(customer=customer, team=team)
    others = case_new(customer=other_customer, team=team)
    client = logged_in(agent)
    for value in (customer.email.upper(), str(customer.pk), "Marie"):
        # when filtering by email, number or name
        response = client.get("/", {"customer": value})
        # then only that customer's case is listed
        assert listed(response, theirs), value
        assert not listed(response, others), value


def test_unknown_filter_values_are_a_400_page_not_a_500(agent_client):
    # when filters carry values that do not exist
    response = agent_client.get("/", {"status": "exploded", "priority": "x", "view": "nope"})
    # then the page says so, with a client error
    assert response.status_code == 400
    assert "were not understood" in response.content.decode()


def test_silly_page_numbers_do_not_break_the_page(agent_client):
    for page in ("abc", "-3", "999999999"):
        assert agent_client.get("/", {"page": page}).status_code == 200


def test_second_page_shows_the_rest(agent, customer, team, monkeypatch):
    # given a page size of 2 and three cases
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    cases = [case_new(customer=customer, team=team, at=ago(hours=10 - i)) for i in range(3)]
    client = logged_in(agent)
    # when the first and second pages are opened
    first = client.get("/")
    second = client.get("/", {"page": 2})
    # then they split the list in order, and the first links to the next
    assert listed_refs(first) == [c.reference for c in cases[:2]]
    assert listed_refs(second) == [cases[2].reference]
    assert 'rel="next"' in first.content.decode()


def test_polling_partial_has_new_cases_and_counts_out_of_band(agent, customer, team):
    # given an agent with the inbox open, when a case arrives and the partial is polled
    client = logged_in(agent)
    client.get("/")
    case = case_new(customer=customer, team=team, owner=agent)
    response = client.get(reverse("workspace:inbox_results"), {"view": "open"})
    body = response.content.decode()
    # then the new case is in the list and the tabs are swapped out of band
    assert response.status_code == 200
    assert listed(response, case)
    assert 'id="inbox-views"' in body
    assert 'hx-swap-oob="true"' in body
    assert 'hx-trigger="every 15s' in body


def test_inbox_page_has_labels_for_every_filter(agent_client):
    # every form control of the filter form has a label (WCAG 1.3.1, 4.1.2)
    body = agent_client.get("/").content.decode()
    for control_id in ("f-q", "f-status", "f-priority", "f-category", "f-channel", "f-tag"):
        assert f'for="{control_id}"' in body
        assert f'id="{control_id}"' in body


def test_visibility_parts_together_are_exactly_the_access_funnel(
    agent, supervisor, customer, team, billing, settings
):
    # given cases in the agent's team, in another team (one owned by the agent), and in none
    from guichet.cases.access import case_queryset_for_user

    settings.GUICHET_AUTO_ASSIGN = False
    case_new(customer=customer, team=team)
    owned_elsewhere = case_new(customer=customer, team=billing)
    owned_elsewhere.owner = agent  # set directly: the service would move it to the agent's team
    owned_elsewhere.save(update_fields=["owner"])
    case_new(customer=customer, team=billing)
    no_team = case_new(customer=customer)
    no_team.team = None
    no_team.save(update_fields=["team"])
    for user in (agent, supervisor, customer.user):
        # when the parts are united, then they are the very cases the funnel lets through
        united = set().union(
            *(set(p.values_list("id", flat=True)) for p in selectors.visibility_parts(user))
        )
        assert united == set(case_queryset_for_user(user=user).values_list("id", flat=True))


def test_agent_open_view_merges_every_kind_of_visible_case_in_order(
    agent, customer, team, billing, settings
):
    settings.GUICHET_AUTO_ASSIGN = False
    in_team = case_new(customer=customer, team=team, at=ago(days=3))
    owned = case_new(customer=customer, team=billing, priority="urgent", at=ago(days=1))
    owned.owner = agent
    owned.save(update_fields=["owner"])
    hidden = case_new(customer=customer, team=billing, priority="urgent")
    no_team = case_new(customer=customer, priority="high", at=ago(days=2))
    no_team.team = None
    no_team.save(update_fields=["team"])
    response = logged_in(agent).get("/", {"view": "open"})
    assert listed_refs(response) == [owned.reference, no_team.reference, in_team.reference]
    assert not listed(response, hidden)
    assert response.context["inbox"].counts["open"] == 3


def test_compiled_inbox_queries_follow_a_change_of_team(agent, customer, team, billing):
    # given an agent who opened their inbox (its SQL is compiled once and reused)
    other = case_new(customer=customer, team=billing)
    client = logged_in(agent)
    assert not listed(client.get("/", {"view": "team"}), other)
    assert not listed(client.get("/", {"view": "open"}), other)
    # when they join another team, then that team's cases are in their views at once
    billing.members.add(agent)
    assert listed(client.get("/", {"view": "team"}), other)
    assert listed(client.get("/", {"view": "open"}), other)
    # and leaving it takes them out again
    billing.members.remove(agent)
    assert not listed(client.get("/", {"view": "open"}), other)
