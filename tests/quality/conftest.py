"""Fixtures for the quality tests (shared ones live in tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guichet.accounts.choices import Role
from guichet.accounts.models import User
from guichet.accounts.services import user_create
from guichet.cases import services as case_services
from guichet.cases.choices import Channel
from guichet.cases.models import Case
from guichet.quality import services
from guichet.quality.choices import ClosureReason, Level
from guichet.quality.models import Complaint, Mediator, QualityPolicy, RootCause

# A Monday in a week without French public holidays.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def case_new(
    customer,
    *,
    channel: str = Channel.EMAIL,
    at: datetime = MONDAY,
    body: str = "Mon colis est arrivé cassé, c'est inadmissible.",
) -> Case:
    return case_services.case_open(
        actor=None,
        customer=customer,
        subject="Colis cassé",
        body_text=body,
        channel=channel,
        at=at,
    )


def complaint_new(case: Case, actor: User, **kwargs) -> Complaint:
    kwargs.setdefault("remedy_sought", "Remplacement du colis")
    kwargs.setdefault("at", case.created_at)
    return services.complaint_open(actor=actor, case=case, **kwargs)


def walk_to(complaint: Complaint, actor: User, status: str) -> Complaint:
    """Move a complaint along the normal path up to `status` (through the services)."""
    path = ["acknowledged", "assessed", "investigating", "response_proposed", "accepted", "closed"]
    if status == "refused":
        path = [*path[:4], "refused"]
    for step in path:
        if complaint.status == status:
            break
        complaint = STEP[step](complaint, actor)
    assert complaint.status == status
    return complaint


STEP = {
    "acknowledged": lambda c, a: services.complaint_acknowledge(actor=a, complaint=c),
    "assessed": lambda c, a: services.complaint_assess(
        actor=a, complaint=c, severity=Level.MEDIUM, impact=Level.LOW, urgency=Level.LOW
    ),
    "investigating": lambda c, a: services.complaint_investigate(actor=a, complaint=c),
    "response_proposed": lambda c, a: services.complaint_respond(
        actor=a,
        complaint=c,
        response="Nous vous envoyons un nouveau colis.",
        root_cause=RootCause.objects.get(slug="delivery-damaged"),
    ),
    "accepted": lambda c, a: services.complaint_decide(actor=a, complaint=c, decision="accepted"),
    "refused": lambda c, a: services.complaint_decide(actor=a, complaint=c, decision="refused"),
    "closed": lambda c, a: services.complaint_close(
        actor=a, complaint=c, reason=ClosureReason.ACCEPTED
    ),
}


@pytest.fixture
def case(customer, agent) -> Case:
    return case_new(customer)


@pytest.fixture
def complaint(case, agent) -> Complaint:
    return complaint_new(case, agent)


@pytest.fixture
def mediator(db) -> Mediator:
    return Mediator.objects.create(
        name="Médiateur du e-commerce (FEVAD)",
        address="60 rue La Boétie, 75008 Paris",
        website="https://www.mediateurfevad.fr",
    )


@pytest.fixture
def policy(db) -> QualityPolicy:
    return services.policy_get()


@pytest.fixture
def administrator(db) -> User:
    return user_create(email="admin@guichet.test", first_name="Ada", role=Role.ADMINISTRATOR)


@pytest.fixture
def second_supervisor(db) -> User:
    return user_create(email="paul@guichet.test", first_name="Paul", role=Role.SUPERVISOR)
