"""complaint_status_for_customer: what the portal shows (REQ-CMP-04, REQ-LEG-01/02)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guichet.quality.choices import ClosureReason
from guichet.quality.selectors import complaint_status_for_customer
from guichet.quality.services import complaint_close, complaint_note_add
from tests.quality.conftest import walk_to

pytestmark = pytest.mark.django_db


def test_an_ordinary_case_has_no_complaint_status(case):
    assert complaint_status_for_customer(case) is None


def test_plain_words_and_the_next_step(complaint):
    status = complaint_status_for_customer(complaint.case)
    assert status["reference"] == complaint.reference
    assert status["status_text"] == "We have received your complaint."
    assert "confirm receipt" in status["next_step"]
    assert status["answer_due_at"] == complaint.answer_due_at


def test_internal_notes_and_names_are_not_shown(complaint, agent):
    complaint = walk_to(complaint, agent, "investigating")
    complaint_note_add(actor=agent, complaint=complaint, note="Le livreur est en faute")
    status = complaint_status_for_customer(complaint.case)
    assert "note" not in [s["kind"] for s in status["steps"]]
    assert "Le livreur" not in str(status) and agent.email not in str(status)


def test_no_mediator_while_the_firm_is_working_within_the_delay(complaint, mediator):
    status = complaint_status_for_customer(complaint.case, now=datetime(2026, 3, 10, tzinfo=UTC))
    assert status["mediator"] is None


def test_the_mediator_appears_after_the_legal_delay(complaint, mediator):
    status = complaint_status_for_customer(complaint.case, now=datetime(2026, 5, 3, tzinfo=UTC))
    assert status["mediator"] == {
        "name": mediator.name,
        "address": mediator.address,
        "website": mediator.website,
        "email": "",
    }


def test_the_mediator_appears_when_refused(complaint, agent, mediator):
    complaint = walk_to(complaint, agent, "refused")
    status = complaint_status_for_customer(complaint.case, now=datetime(2026, 3, 10, tzinfo=UTC))
    assert status["mediator"]["website"] == mediator.website


def test_the_mediator_stays_after_a_final_decision(complaint, agent, mediator):
    complaint = walk_to(complaint, agent, "refused")
    complaint_close(actor=agent, complaint=complaint, reason=ClosureReason.FINAL_DECISION)
    status = complaint_status_for_customer(complaint.case, now=datetime(2026, 3, 10, tzinfo=UTC))
    assert status["mediator"] is not None and status["can_contest"]


def test_mediation_is_possible_for_a_year_after_the_written_complaint(complaint):
    # REQ-LEG-02 (Code de la consommation L612-2 4°)
    status = complaint_status_for_customer(complaint.case)
    assert status["mediation_until"].date().isoformat() == "2027-03-02"
