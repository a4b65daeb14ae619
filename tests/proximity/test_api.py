"""The proximity API: who may do what (permission tests), and the customer's own view."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from guichet.proximity.models import Callback
from guichet.proximity.selectors import callback_slots
from guichet.proximity.services.callbacks import callback_request
from guichet.proximity.services.referents import referent_assign
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db


def _first_slot(team) -> datetime:
    return callback_slots(team=team)[0][0]


@pytest.fixture
def booked(customer, agent, team):
    return callback_request(
        actor=customer.user, customer=customer, phone="0611223344",
        slot_start=_first_slot(team), source="portal",
    )  # fmt: skip


def test_a_customer_books_through_the_api_for_themself(customer_api, customer, team, agent):
    slot = _first_slot(team)
    response = customer_api.post(
        "/api/v1/callbacks",
        {"phone": "06 11 22 33 44", "slot_start": slot.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["owner_first_name"] == "Camille"
    assert "owner" not in body and "owner_email" not in body
    assert Callback.objects.get().customer == customer


def test_a_customer_sees_only_their_callbacks(booked, other_customer):
    stranger = bearer_client(other_customer.user)
    assert stranger.get("/api/v1/callbacks").json() == []
    assert stranger.get(f"/api/v1/callbacks/{booked.pk}").status_code == 404


def test_a_customer_cannot_record_an_attempt(booked, customer_api):
    response = customer_api.post(
        f"/api/v1/callbacks/{booked.pk}/attempts", {"outcome": "reached"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403


def test_the_owner_records_an_attempt(booked, agent_api):
    response = agent_api.post(
        f"/api/v1/callbacks/{booked.pk}/attempts", {"outcome": "voicemail"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["callback"]["attempts"] == 1


def test_an_unknown_outcome_is_a_422(booked, agent_api):
    response = agent_api.post(
        f"/api/v1/callbacks/{booked.pk}/attempts", {"outcome": "maybe"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422


def test_slots_are_listed(agent_api, team):
    rows = agent_api.get("/api/v1/callbacks/slots").json()
    assert rows and datetime.fromisoformat(rows[0]["start"]) > timezone.now()


def test_agents_cannot_name_advisors(agent_api, customer, other_agent):
    response = agent_api.put(
        f"/api/v1/referents/customers/{customer.pk}", {"referent_id": other_agent.pk},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403


def test_supervisors_name_advisors(supervisor, customer, agent, other_agent):
    response = bearer_client(supervisor).put(
        f"/api/v1/referents/customers/{customer.pk}",
        {"referent_id": agent.pk, "deputy_id": other_agent.pk},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["referent_id"] == agent.pk


def test_agents_cannot_reassign_in_bulk(agent_api, other_agent):
    response = agent_api.post(
        "/api/v1/referents/reassign", {"leaving_id": other_agent.pk},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403


def test_customers_cannot_read_effort(customer_api):
    assert customer_api.get("/api/v1/effort?start=2026-03-01&end=2026-03-31").status_code == 403


def test_agents_cannot_read_effort(agent_api):
    assert agent_api.get("/api/v1/effort?start=2026-03-01&end=2026-03-31").status_code == 403


def test_supervisors_read_effort(supervisor):
    response = bearer_client(supervisor).get("/api/v1/effort?start=2026-03-01&end=2026-03-31")
    assert response.status_code == 200
    assert response.json()["cases"] == 0


def test_the_customer_reads_their_advisor_first_name_only(
    customer_api, customer, supervisor, agent
):
    referent_assign(actor=supervisor, customer=customer, referent=agent)
    body = customer_api.get("/api/v1/advisor").json()
    assert body == {"first_name": "Camille", "working_hours": "", "photo_url": ""}


def test_an_agent_enters_only_their_own_absence(agent_api, other_agent):
    start = timezone.now() + timedelta(days=1)
    payload = {
        "agent_id": other_agent.pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
    }
    response = agent_api.post("/api/v1/absences", payload, content_type="application/json")
    assert response.status_code == 403


def test_a_supervisor_enters_a_colleague_absence(supervisor, agent):
    start = timezone.now() + timedelta(days=1)
    payload = {
        "agent_id": agent.pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
        "kind": "sick",
    }
    client = bearer_client(supervisor)
    assert (
        client.post("/api/v1/absences", payload, content_type="application/json").status_code == 201
    )
    assert client.get(f"/api/v1/absences?agent_id={agent.pk}").json()[0]["kind"] == "sick"


def test_an_absence_ending_before_it_starts_is_a_422(agent_api):
    start = timezone.now() + timedelta(days=1)
    payload = {"starts_at": start.isoformat(), "ends_at": start.isoformat()}
    response = agent_api.post("/api/v1/absences", payload, content_type="application/json")
    assert response.status_code == 422
