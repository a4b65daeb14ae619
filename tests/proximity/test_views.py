"""The agent's day plan and absences pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guichet.proximity.models import Absence, Callback
from guichet.proximity.selectors import callback_slots
from guichet.proximity.services.callbacks import callback_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(customer, agent, team):
    return callback_request(
        actor=customer.user, customer=customer, phone="0611223344",
        slot_start=callback_slots(team=team)[0][0], source="portal", topic="Facture",
    )  # fmt: skip


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_day_plan_lists_my_callbacks(booked, agent):
    response = signed_in(agent).get(reverse("proximity:day_plan"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="callback-{booked.pk}"' in html
    assert "Facture" in html


def test_the_nav_links_to_the_day_plan(agent):
    html = signed_in(agent).get(reverse("workspace:inbox")).content.decode()
    assert reverse("proximity:day_plan") in html


def test_the_case_page_offers_to_log_a_call(booked, agent):
    html = signed_in(agent).get(reverse("workspace:case", args=[booked.case.reference]))
    assert reverse("proximity:call_new") in html.content.decode()


def test_recording_a_call_from_the_day_plan(booked, agent):
    response = signed_in(agent).post(
        reverse("proximity:callback_attempt", args=[booked.pk]),
        {"outcome": "reached", "duration": "2"},
    )
    booked.refresh_from_db()
    assert response.status_code == 303
    assert booked.status == "done"


def test_an_agent_of_another_team_cannot_touch_the_callback(booked):
    from guichet.accounts.services import team_create, user_create

    outsider = user_create(email="out@guichet.test", first_name="Out")
    team_create(name="Facturation").members.add(outsider)
    response = signed_in(outsider).post(
        reverse("proximity:callback_attempt", args=[booked.pk]), {"outcome": "reached"}
    )
    assert response.status_code == 404
    assert Callback.objects.get(pk=booked.pk).status == "scheduled"


def test_customers_are_kept_out_of_the_day_plan(customer):
    assert signed_in(customer.user).get(reverse("proximity:day_plan")).status_code == 403


def test_an_agent_books_a_callback_from_the_case(booked, agent, customer, team):
    from guichet.cases.services import case_open

    case = case_open(actor=None, customer=customer, subject="Autre", body_text="?")
    slot = callback_slots(team=team)[1][0]
    response = signed_in(agent).post(
        reverse("proximity:callback_new") + f"?case={case.reference}",
        {"case": case.reference, "slot": slot.isoformat(), "phone": "0611223344", "owner": ""},
    )
    assert response.status_code == 303
    assert Callback.objects.get(case=case).source == "agent"


def test_an_agent_records_an_absence(agent):
    response = signed_in(agent).post(
        reverse("proximity:absences"),
        {"kind": "holiday", "first_day": "2026-08-03", "last_day": "2026-08-14"},
    )
    absence = Absence.objects.get()
    assert response.status_code == 303
    assert absence.agent == agent
    assert (absence.ends_at - absence.starts_at).days == 12


def test_the_day_plan_costs_the_same_with_many_callbacks(
    customer, agent, team, django_assert_max_num_queries
):
    # given ten callbacks of ten customers
    from guichet.customers.services import customer_create

    slots = callback_slots(team=team)
    for i in range(10):
        other = customer_create(name=f"Client {i}", email=f"c{i}@example.test")
        callback_request(
            actor=agent, customer=other, phone="0611223344", slot_start=slots[i][0],
            source="agent", owner=agent,
        )  # fmt: skip
    client = signed_in(agent)
    # then the page is a handful of queries, not one per row
    with django_assert_max_num_queries(20):
        response = client.get(reverse("proximity:day_plan"))
    assert response.content.decode().count('id="callback-') == 10
