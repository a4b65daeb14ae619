"""Every complaint transition, allowed and forbidden (ISO 10002 lifecycle, STANDARDS.md §1.2)."""

from __future__ import annotations

import itertools

import pytest

from guichet.core.errors import Conflict, ValidationFailed
from guichet.quality import flows
from guichet.quality.choices import ClosureReason, ComplaintStatus

S = ComplaintStatus

ALLOWED = {
    (S.RECEIVED, S.ACKNOWLEDGED),
    (S.ACKNOWLEDGED, S.ASSESSED),
    (S.ACKNOWLEDGED, S.CLOSED),
    (S.ASSESSED, S.INVESTIGATING),
    (S.ASSESSED, S.CLOSED),
    (S.INVESTIGATING, S.RESPONSE_PROPOSED),
    (S.INVESTIGATING, S.CLOSED),
    (S.RESPONSE_PROPOSED, S.ACCEPTED),
    (S.RESPONSE_PROPOSED, S.REFUSED),
    (S.RESPONSE_PROPOSED, S.INVESTIGATING),
    (S.RESPONSE_PROPOSED, S.CLOSED),
    (S.ACCEPTED, S.CLOSED),
    (S.REFUSED, S.INVESTIGATING),
    (S.REFUSED, S.CLOSED),
    (S.CLOSED, S.INVESTIGATING),
}
PAIRS = [(a, b) for a, b in itertools.product(S.values, S.values) if a != b]


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_allowed_transitions_pass(old, new):
    # REQ-CMP-03: the lifecycle, one explicit place
    flows.transition_check(old=old, new=new)


@pytest.mark.parametrize(("old", "new"), sorted(set(PAIRS) - ALLOWED))
def test_every_other_transition_is_a_conflict(old, new):
    with pytest.raises(Conflict):
        flows.transition_check(old=old, new=new)


@pytest.mark.parametrize("new", [s for s in S.values if s != S.ACKNOWLEDGED and s != S.RECEIVED])
def test_nothing_skips_the_acknowledgement(new):
    # REQ-CMP-06: received → acknowledged first, whatever comes next
    with pytest.raises(Conflict) as err:
        flows.transition_check(old=S.RECEIVED, new=new)
    assert err.value.code == "acknowledgement_required"


def test_same_status_is_a_conflict():
    with pytest.raises(Conflict) as err:
        flows.transition_check(old=S.ASSESSED, new=S.ASSESSED)
    assert err.value.code == "status_unchanged"


def test_unknown_status_is_invalid_input():
    with pytest.raises(ValidationFailed):
        flows.transition_check(old=S.RECEIVED, new="lost")


@pytest.mark.parametrize("old", [S.ACCEPTED, S.REFUSED, S.RESPONSE_PROPOSED])
def test_closing_without_a_recorded_response_is_refused(old):
    # REQ-CMP-11: no closing without a response
    reason = ClosureReason.ACCEPTED if old == S.ACCEPTED else ClosureReason.FINAL_DECISION
    with pytest.raises(Conflict) as err:
        flows.close_check(old=old, reason=reason, response_text="  ", note="")
    assert err.value.code == "response_required"


@pytest.mark.parametrize(
    ("old", "reason"),
    [
        (S.REFUSED, ClosureReason.ACCEPTED),
        (S.RESPONSE_PROPOSED, ClosureReason.ACCEPTED),
        (S.ACCEPTED, ClosureReason.FINAL_DECISION),
        (S.INVESTIGATING, ClosureReason.FINAL_DECISION),
        (S.ACCEPTED, ClosureReason.WITHDRAWN),
    ],
)
def test_closure_reason_must_match_the_state(old, reason):
    with pytest.raises(Conflict) as err:
        flows.close_check(old=old, reason=reason, response_text="Réponse", note="par téléphone")
    assert err.value.code == "invalid_closure"


def test_withdrawal_needs_no_response_but_a_note():
    flows.close_check(
        old=S.ASSESSED,
        reason=ClosureReason.WITHDRAWN,
        response_text="",
        note="Le client a retrouvé son colis.",
    )
    with pytest.raises(ValidationFailed):
        flows.close_check(
            old=S.ASSESSED, reason=ClosureReason.WITHDRAWN, response_text="", note=" "
        )


def test_received_cannot_be_withdrawn_before_acknowledgement():
    with pytest.raises(Conflict):
        flows.close_check(
            old=S.RECEIVED, reason=ClosureReason.WITHDRAWN, response_text="", note="x"
        )
