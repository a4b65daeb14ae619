"""REQ-LEG-03 mediation sub-state; REQ-QA-02 mystery-shopper tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from guichet.quality import selectors, services
from guichet.quality.models import Criterion, MysteryTest, Scorecard
from guichet.quality.services import Mark
from tests.conftest import bearer_client
from tests.quality.conftest import walk_to

pytestmark = pytest.mark.django_db


def test_the_referral_to_the_mediator_is_followed_with_dates(complaint, agent):
    complaint = walk_to(complaint, agent, "refused")
    complaint = services.complaint_mediation_record(
        actor=agent, complaint=complaint, status="referred"
    )
    assert complaint.mediation_referred_at is not None
    complaint = services.complaint_mediation_record(
        actor=agent, complaint=complaint, status="proposal", note="Avoir de 30 €"
    )
    complaint = services.complaint_mediation_record(
        actor=agent, complaint=complaint, status="accepted"
    )
    assert complaint.mediation_status == "accepted"
    assert [s.to_status for s in complaint.steps.filter(kind="mediation")] == [
        "referred",
        "proposal",
        "accepted",
    ]
    row = selectors.register_row(complaint)
    assert row["mediation"] == "Proposal accepted" and row["mediation_referred_at"]


def test_mediation_steps_cannot_be_skipped(complaint, agent):
    with pytest.raises(Conflict):
        services.complaint_mediation_record(actor=agent, complaint=complaint, status="proposal")


def test_unknown_mediation_status_is_invalid(complaint, agent):
    with pytest.raises(ValidationFailed):
        services.complaint_mediation_record(actor=agent, complaint=complaint, status="won")


def test_cases_with_the_mediator_are_counted(complaint, agent):
    services.complaint_mediation_record(actor=agent, complaint=complaint, status="referred")
    assert selectors.complaint_overview()["in_mediation"] == 1


def test_mediation_through_the_api(agent_api, complaint):
    response = agent_api.post(
        f"/api/v1/complaints/{complaint.reference}/mediation",
        {"status": "referred"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["mediation_status"] == "referred"


@pytest.fixture
def card(db) -> Scorecard:
    card = Scorecard.objects.create(name="Phone mystery call")
    Criterion.objects.create(scorecard=card, name="Waiting time", weight=2, scale_max=4)
    Criterion.objects.create(scorecard=card, name="Courtesy", weight=1, scale_max=4)
    return card


START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_mystery_test_is_scored_apart_from_real_cases(supervisor, card, team):
    from guichet.cases.models import Case

    waiting, courtesy = card.criteria.all()
    test = services.mystery_test_record(
        actor=supervisor,
        tester="Inference Ops",
        scenario="Demande de retour produit",
        channel="phone",
        scorecard=card,
        team=team,
        marks=[Mark(waiting.pk, 2), Mark(courtesy.pk, 4)],
        started_at=START,
        answered_at=START + timedelta(seconds=95),
        ended_at=START + timedelta(minutes=4),
    )
    # (2·2/4 + 1·4/4) / 3 = 66.7 %
    assert test.score_percent == Decimal("66.7") and test.score_20 == Decimal("13.3")
    assert not Case.objects.exists()


def test_a_mystery_test_needs_a_consistent_timeline(supervisor, card):
    marks = [Mark(c.pk, 1) for c in card.criteria.all()]
    with pytest.raises(ValidationFailed):
        services.mystery_test_record(
            actor=supervisor,
            tester="T",
            scenario="S",
            channel="email",
            scorecard=card,
            marks=marks,
            started_at=START,
            ended_at=START - timedelta(minutes=1),
        )


def test_agents_do_not_record_mystery_tests(agent, card):
    with pytest.raises(PermissionDenied):
        services.mystery_test_record(
            actor=agent,
            tester="T",
            scenario="S",
            channel="email",
            scorecard=card,
            marks=[],
            started_at=START,
        )


def test_mystery_tests_through_the_api(supervisor, card, agent):
    client = bearer_client(supervisor)
    payload = {
        "tester": "Client mystère",
        "scenario": "Retard de livraison",
        "channel": "email",
        "scorecard": card.pk,
        "started_at": START.isoformat(),
        "marks": [{"criterion": c.pk, "value": 4} for c in card.criteria.all()],
    }
    response = client.post(
        "/api/v1/reviews/mystery-tests", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["score_20"] == "20.0"
    assert [t["id"] for t in client.get("/api/v1/reviews/mystery-tests").json()] == [
        MysteryTest.objects.get().pk
    ]
    assert bearer_client(agent).get("/api/v1/reviews/mystery-tests").status_code == 403
