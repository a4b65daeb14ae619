"""The routing extension point in guichet.cases (case_open asks registered routers first)."""

from __future__ import annotations

import pytest

from guichet.cases.choices import EventKind
from guichet.cases.models import CaseEvent
from guichet.cases.routing import RoutingDecision, routing_register, routing_unregister
from guichet.cases.services import case_open

pytestmark = pytest.mark.django_db


def test_a_registered_router_decides_first_and_its_reason_is_logged(customer, agent, other_agent):
    def vip(**_kwargs):
        return RoutingDecision(owner=other_agent, team=None, reason="vip", details={"tier": 1})

    routing_register(vip)
    try:
        case = case_open(actor=None, customer=customer, subject="Colis", body_text="Où ?")
    finally:
        routing_unregister(vip)
    assert case.owner == other_agent
    data = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED).data
    assert data["reason"] == "vip" and data["tier"] == 1


def test_without_auto_assign_no_router_is_asked(customer, agent, settings):
    settings.GUICHET_AUTO_ASSIGN = False
    asked = []
    routing_register(asked.append)
    try:
        case = case_open(actor=None, customer=customer, subject="Colis", body_text="Où ?")
    finally:
        routing_unregister(asked.append)
    assert case.owner is None
    assert asked == []
