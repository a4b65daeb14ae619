"""Builders for the sla tests. Times are fixed in May 2026 (Paris), so every due time is known:
Monday 4 May is a working day, Friday 1 May and Friday 8 May are public holidays."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from guichet.cases import services as case_services
from guichet.cases.models import Case
from guichet.sla.models import CaseClock, CaseTarget
from guichet.sla.services import clock_sync

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


MONDAY_9 = paris(2026, 5, 4, 9, 0)


@pytest.fixture
def hooks(django_capture_on_commit_callbacks):
    """Run the after-commit hooks (the sla app's clock sync among them) of what the block does."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def open_case(hooks, customer, agent):
    def make(*, at: datetime = MONDAY_9, priority: str = "normal", **kwargs) -> Case:
        with hooks():
            return case_services.case_open(
                actor=None,
                customer=kwargs.pop("customer", customer),
                subject=kwargs.pop("subject", "Colis non reçu"),
                body_text="Bonjour, mon colis n'est pas arrivé.",
                priority=priority,
                at=at,
                **kwargs,
            )

    return make


def synced(case: Case, now: datetime) -> CaseClock:
    """Re-sync at a chosen instant (the hooks synced at the real current time)."""
    return clock_sync(case_id=case.pk, now=now)


def target(case: Case, kind: str, seq: int = 0) -> CaseTarget:
    return CaseTarget.objects.get(case=case, kind=kind, seq=seq)
