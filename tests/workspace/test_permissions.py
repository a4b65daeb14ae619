"""Permission boundaries of every workspace URL: anonymous, customer, agent outside the team,
supervisor (REQ-CMP-16: role-based access to case files)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guichet.cases.models import Contact
from tests.workspace.conftest import case_new, listed, logged_in

pytestmark = pytest.mark.django_db


def case_get_urls(reference: str) -> list[str]:
    return [
        reverse("workspace:case", args=[reference]),
        reverse("workspace:case_next", args=[reference]),
        reverse("workspace:case_macro", args=[reference, 1]),
    ]


def case_post_urls(reference: str) -> list[str]:
    return [
        reverse(f"workspace:{name}", args=[reference])
        for name in ("case_reply", "case_status", "case_details", "case_assign", "case_merge")
    ]


def test_anonymous_is_sent_to_login_from_every_page(client, case):
    # given no session, when each workspace page is requested
    urls = [
        "/",
        reverse("workspace:inbox_results"),
        reverse("workspace:customer", args=[case.customer_id]),
        *case_get_urls(case.reference),
    ]
    for url in urls:
        response = client.get(url)
        # then every one redirects to the login page, coming back to it afterwards
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_anonymous_post_writes_nothing_and_is_sent_to_login(client, case):
    # given no session, when each action is posted
    for url in case_post_urls(case.reference):
        response = client.post(url, {"kind": "reply", "body": "x", "status": "resolved"})
        # then it redirects to login
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    # and nothing was written
    assert Contact.objects.filter(case=case).count() == 1


def test_customer_user_landing_on_home_is_sent_to_the_portal_or_refused(customer):
    # given a customer with a portal account, when they open "/"
    response = logged_in(customer.user).get("/")
    # then they never see the inbox: a redirect to their portal, or a 403
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == "/portal/"


def test_customer_user_gets_403_on_a_case_page_even_their_own(customer, case):
    # given a customer signed in, when they open their own case in the agents' workspace
    client = logged_in(customer.user)
    # then it is refused: customers use the portal
    assert client.get(reverse("workspace:case", args=[case.reference])).status_code == 403
    assert client.get(reverse("workspace:inbox_results")).status_code == 403


def test_customer_user_cannot_post_to_the_workspace(customer, case):
    # given a customer signed in, when they post a note to their case through the workspace
    response = logged_in(customer.user).post(
        reverse("workspace:case_reply", args=[case.reference]), {"kind": "note", "body": "x"}
    )
    # then it is refused and nothing is written
    assert response.status_code == 403
    assert not Contact.objects.filter(case=case, kind="note").exists()


def test_agent_outside_the_team_gets_404_on_every_case_page(outsider, case):
    # given an agent of another team, when they open any page of the case
    client = logged_in(outsider)
    for url in case_get_urls(case.reference):
        # then the case does not exist for them
        assert client.get(url).status_code == 404, url


def test_agent_outside_the_team_gets_404_on_every_case_action(outsider, case):
    # given an agent of another team, when they post every action on the case
    client = logged_in(outsider)
    data = {"kind": "reply", "body": "Hello", "status": "resolved", "take": "1", "target": "x"}
    for url in case_post_urls(case.reference):
        # then each one answers 404
        assert client.post(url, data).status_code == 404, url
    # and the case is untouched
    case.refresh_from_db()
    assert case.status == "new"
    assert case.owner_id != outsider.pk
    assert Contact.objects.filter(case=case).count() == 1


def test_agent_outside_the_team_does_not_see_the_case_in_any_inbox_view(outsider, case):
    # given an agent of another team, when they look at every inbox view and search for it
    client = logged_in(outsider)
    for view in ("mine", "team", "unassigned", "waiting", "open", "all"):
        response = client.get("/", {"view": view, "q": case.reference})
        # then the case is never listed
        assert response.status_code == 200
        assert not listed(response, case), view


def test_agent_outside_the_team_cannot_merge_into_a_case_they_cannot_see(
    outsider, billing, customer, case
):
    # given a case of the outsider's team and a case of another team, same customer
    own = case_new(customer=customer, team=billing, owner=outsider)
    # when the outsider merges their case into the invisible one
    response = logged_in(outsider).post(
        reverse("workspace:case_merge", args=[own.reference]), {"target": case.reference}
    )
    # then it is refused like an unknown reference, and nothing is merged
    assert response.status_code == 422
    own.refresh_from_db()
    assert own.merged_into_id is None


def test_supervisor_sees_a_case_of_any_team(supervisor, billing, customer):
    # given a case of a team the supervisor is not in
    case = case_new(customer=customer, team=billing)
    # when the supervisor opens it
    response = logged_in(supervisor).get(reverse("workspace:case", args=[case.reference]))
    # then it is shown
    assert response.status_code == 200
    assert case.subject in response.content.decode()


def test_supervisor_all_open_view_lists_every_team(supervisor, billing, team, customer):
    # given one case in each team
    first = case_new(customer=customer, team=team, subject="Premier dossier")
    second = case_new(customer=customer, team=billing, subject="Second dossier")
    # when the supervisor opens "all open"
    response = logged_in(supervisor).get("/", {"view": "open"})
    # then both are there
    assert listed(response, first)
    assert listed(response, second)


def test_customer_page_lists_only_cases_the_agent_may_see(outsider, billing, customer, case):
    # given a customer with a case in another team and one in the outsider's team
    own = case_new(customer=customer, team=billing, subject="Facture en double")
    # when the outsider opens the customer's page
    response = logged_in(outsider).get(reverse("workspace:customer", args=[customer.pk]))
    # then the customer is shown with only the visible case
    body = response.content.decode()
    assert response.status_code == 200
    assert own.reference in body
    assert case.reference not in body


def test_unknown_customer_is_404(agent_client):
    # when an agent opens a customer page that does not exist, then 404
    assert agent_client.get(reverse("workspace:customer", args=[999999])).status_code == 404
