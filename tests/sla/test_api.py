"""/api/v1/sla: calendars, policies, a case's clocks, notifications — and who may read them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.accounts.services import team_create, user_create
from guichet.sla.models import Notification, Policy, PolicyTarget
from tests.conftest import bearer_client
from tests.sla.conftest import paris

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_api(supervisor):
    return bearer_client(supervisor)


def test_the_default_calendar_is_readable_with_its_hours(agent_api):
    response = agent_api.get("/api/v1/sla/calendars/default")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["time_zone"] == "Europe/Paris"
    assert body["country"] == "FR"
    monday = [(h["start"], h["end"]) for h in body["opening_hours"] if h["weekday"] == 0]
    assert monday == [("09:00", "12:30"), ("13:30", "18:00")]
    assert not [h for h in body["opening_hours"] if h["weekday"] >= 5]


def test_calendars_are_not_for_customers(customer_api):
    assert customer_api.get("/api/v1/sla/calendars").status_code == 403


def test_an_unknown_calendar_is_404(agent_api):
    response = agent_api.get("/api/v1/sla/calendars/nowhere")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_due_and_between_answer_like_the_cli(agent_api):
    due = agent_api.get(
        "/api/v1/sla/calendars/default/due",
        {"start": "2026-04-30T17:00:00+02:00", "minutes": 120},
    ).json()
    assert due["due"] == "2026-05-04T10:00:00+02:00"
    between = agent_api.get(
        "/api/v1/sla/calendars/default/between",
        {"start": "2026-05-04T09:00:00+02:00", "end": "2026-05-05T18:00:00+02:00"},
    ).json()
    assert between["business_minutes"] == 960
    assert between["calendar_minutes"] == 33 * 60


def test_between_refuses_an_end_before_the_start(agent_api):
    response = agent_api.get(
        "/api/v1/sla/calendars/default/between",
        {"start": "2026-05-05T09:00:00+02:00", "end": "2026-05-04T09:00:00+02:00"},
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "end"


def test_due_refuses_a_negative_duration(agent_api):
    response = agent_api.get(
        "/api/v1/sla/calendars/default/due", {"start": "2026-05-04T09:00:00", "minutes": -5}
    )
    assert response.status_code == 422


def test_the_default_policy_is_listed_with_its_targets(agent_api):
    policies = agent_api.get("/api/v1/sla/policies").json()
    default = next(p for p in policies if p["is_default"])
    normal = next(t for t in default["targets"] if t["priority"] == "normal")
    assert normal == {
        "priority": "normal",
        "first_response_minutes": 480,
        "next_response_minutes": 480,
        "resolution_minutes": 2400,
    }
    assert default["pause_when_waiting"] is True


def test_a_case_shows_its_clocks_and_due_times(open_case, agent_api):
    case = open_case(at=paris(2030, 5, 6, 9, 0))
    response = agent_api.get(f"/api/v1/sla/cases/{case.reference}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["policy"] == "Engagement standard"
    assert body["calendar"] == "default"
    assert body["countdown"]["target"] == "first_response"
    assert body["countdown"]["due_at"] == "2030-05-06T16:00:00Z"
    kinds = {(t["target"], t["state"]) for t in body["targets"]}
    assert kinds == {("first_response", "on_track"), ("resolution", "on_track")}


def test_a_case_outside_ones_teams_is_not_found(open_case):
    elsewhere = team_create(name="Facturation")
    outsider = user_create(email="outsider@guichet.test", first_name="Paul")
    elsewhere.members.add(outsider)
    case = open_case()
    response = bearer_client(outsider).get(f"/api/v1/sla/cases/{case.reference}")
    assert response.status_code == 404


def test_customers_cannot_read_clocks_even_of_their_own_case(open_case, customer_api):
    case = open_case()
    assert customer_api.get(f"/api/v1/sla/cases/{case.reference}").status_code == 403


def test_notifications_are_listed_for_their_recipient_only(agent, other_agent, agent_api):
    now = timezone.now()
    Notification.objects.create(
        recipient=agent, kind="sla_warning", message="G-1 due soon", key="a", created_at=now
    )
    Notification.objects.create(
        recipient=other_agent, kind="sla_warning", message="G-2 due soon", key="b", created_at=now
    )
    body = agent_api.get("/api/v1/sla/notifications").json()
    assert [n["message"] for n in body["items"]] == ["G-1 due soon"]
    assert body["unread"] == 1


def test_marking_someone_elses_notification_read_is_404(agent, other_agent, agent_api):
    theirs = Notification.objects.create(
        recipient=other_agent, kind="sla_warning", message="x", key="b", created_at=timezone.now()
    )
    response = agent_api.post(f"/api/v1/sla/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_a_notification_read(agent, agent_api):
    mine = Notification.objects.create(
        recipient=agent, kind="sla_warning", message="x", key="a", created_at=timezone.now()
    )
    response = agent_api.post(f"/api/v1/sla/notifications/{mine.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert agent_api.get("/api/v1/sla/notifications?unread=true").json()["items"] == []


def test_policies_list_costs_a_fixed_number_of_queries(agent_api):
    agent_api.get("/api/v1/sla/policies")  # warm-up: the token's first use is recorded once
    with CaptureQueriesContext(connection) as first:
        agent_api.get("/api/v1/sla/policies")
    for i in range(5):
        policy = Policy.objects.create(name=f"P{i}", order=i)
        PolicyTarget.objects.create(policy=policy, priority="normal", first_response_minutes=10)
    with CaptureQueriesContext(connection) as second:
        agent_api.get("/api/v1/sla/policies")
    assert len(second) == len(first)


def test_the_case_representation_carries_its_nearest_due_time(open_case, agent_api):
    case = open_case(at=paris(2030, 5, 6, 9, 0))
    detail = agent_api.get(f"/api/v1/cases/{case.reference}").json()
    assert detail["sla"] == {
        "next_target": "first_response",
        "next_due_at": "2030-05-06T16:00:00Z",
        "paused_since": None,
    }
    listed = agent_api.get("/api/v1/cases").json()["items"][0]
    assert listed["sla"]["next_due_at"] == "2030-05-06T16:00:00Z"
