"""REQ-CMP-20 process indicators; REQ-CMP-15/17 a named handler."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from guichet.core.errors import ValidationFailed
from guichet.quality import selectors, services
from tests.conftest import bearer_client
from tests.quality.conftest import MONDAY, case_new, complaint_new

pytestmark = pytest.mark.django_db


def test_indicators_count_on_time_steps_and_medians(customer, agent):
    # given two complaints received on 2 March 2026: one acknowledged after 1 day (target 2
    # working days), one after 6 days (late)
    first = complaint_new(case_new(customer), agent)
    second = complaint_new(case_new(customer), agent)
    services.complaint_acknowledge(actor=agent, complaint=first, at=MONDAY + timedelta(days=1))
    services.complaint_acknowledge(actor=agent, complaint=second, at=MONDAY + timedelta(days=6))
    # when the indicators of March are computed
    ind = selectors.complaint_indicators(start=date(2026, 3, 1), end=date(2026, 3, 31))
    # then
    assert (ind.received, ind.acknowledged, ind.acknowledged_on_time) == (2, 2, 1)
    assert ind.acknowledged_on_time_pct == 50.0
    assert ind.median_days_to_acknowledge == 3.5
    assert ind.answered_on_time_pct is None  # nothing answered: no figure, not 0 %


def test_indicators_through_the_api(supervisor, complaint):
    response = bearer_client(supervisor).get(
        "/api/v1/complaints/indicators?start=2026-03-01&end=2026-03-31"
    )
    assert response.status_code == 200 and response.json()["received"] == 1


def test_a_handler_other_than_the_owner(complaint, agent, other_agent):
    complaint = services.complaint_handler_set(
        actor=agent, complaint=complaint, handler=other_agent, reason="Mis en cause"
    )
    assert complaint.handler == other_agent
    step = complaint.steps.get(kind="handler_changed")
    assert step.note == "Mis en cause" and step.data["handler_id"] == other_agent.pk


def test_a_customer_cannot_handle_a_complaint(complaint, agent, customer):
    with pytest.raises(ValidationFailed):
        services.complaint_handler_set(actor=agent, complaint=complaint, handler=customer.user)


def test_handler_through_the_api(agent_api, complaint, other_agent):
    response = agent_api.post(
        f"/api/v1/complaints/{complaint.reference}/handler",
        {"handler": other_agent.pk},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["handler"]["id"] == other_agent.pk


def test_received_late_in_the_period_boundary_is_counted_in_its_local_day(customer, agent):
    # 23:30 UTC on 31 March is 1 April in Paris
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    complaint_new(case_new(customer, at=late), agent)
    assert (
        selectors.complaint_indicators(start=date(2026, 3, 1), end=date(2026, 3, 31)).received == 0
    )
    assert (
        selectors.complaint_indicators(start=date(2026, 4, 1), end=date(2026, 4, 30)).received == 1
    )
