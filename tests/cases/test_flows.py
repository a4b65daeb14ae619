"""Status transitions: the table in cases/flows.py is the one place that decides."""

from __future__ import annotations

import itertools

import pytest

from guichet.cases import flows
from guichet.cases.choices import CaseStatus
from guichet.core.errors import Conflict, ValidationFailed

S = CaseStatus
ALL = list(S.values)
ALLOWED = sorted((old, new) for old, targets in flows.TRANSITIONS.items() for new in targets)
FORBIDDEN = sorted(
    (old, new)
    for old, new in itertools.product(ALL, ALL)
    if old != new and new not in flows.TRANSITIONS[old]
)
# Transitions that change what the metrics say and therefore need a reason.
NEEDS_REASON = {
    (S.RESOLVED, S.OPEN),
    (S.CLOSED, S.OPEN),
    (S.NEW, S.CLOSED),
    (S.OPEN, S.CLOSED),
    (S.WAITING_CUSTOMER, S.CLOSED),
}


def test_the_table_is_the_one_of_the_product():
    # given the product's workflow (new → open ↔ waiting → resolved → closed, reopen with reason)
    expected = {
        S.NEW: {S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED},
        S.OPEN: {S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED},
        S.WAITING_CUSTOMER: {S.OPEN, S.RESOLVED, S.CLOSED},
        S.RESOLVED: {S.OPEN, S.CLOSED},
        S.CLOSED: {S.OPEN},
    }
    # then the table says exactly that, and nothing ever goes back to "new"
    assert {k: set(v) for k, v in flows.TRANSITIONS.items()} == expected
    assert all(S.NEW not in targets for targets in flows.TRANSITIONS.values())


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_allowed_transition_passes_with_a_reason(old, new):
    # when an allowed change comes with a reason, then it is accepted
    flows.transition_check(old=old, new=new, reason="because")


@pytest.mark.parametrize(("old", "new"), sorted(set(ALLOWED) - NEEDS_REASON))
def test_ordinary_transition_needs_no_reason(old, new):
    flows.transition_check(old=old, new=new, reason="")


@pytest.mark.parametrize(("old", "new"), sorted(NEEDS_REASON))
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_reopening_or_closing_unresolved_needs_a_reason(old, new, reason):
    # when a reopening or a close of an unresolved case has no (or a blank) reason
    with pytest.raises(ValidationFailed) as caught:
        flows.transition_check(old=old, new=new, reason=reason)
    # then it is refused and the error names the field
    assert caught.value.status == 422
    assert caught.value.details == [{"field": "reason", "message": "A reason is required."}]


@pytest.mark.parametrize(("old", "new"), FORBIDDEN)
def test_forbidden_transition_is_a_conflict(old, new):
    # when a change is not in the table, even with a reason
    with pytest.raises(Conflict) as caught:
        flows.transition_check(old=old, new=new, reason="because")
    # then it is a 409 with its own code
    assert caught.value.status == 409
    assert caught.value.code == "invalid_transition"


@pytest.mark.parametrize("status", ALL)
def test_same_status_is_a_conflict(status):
    with pytest.raises(Conflict) as caught:
        flows.transition_check(old=status, new=status, reason="because")
    assert caught.value.code == "status_unchanged"


def test_unknown_status_is_a_validation_error():
    with pytest.raises(ValidationFailed) as caught:
        flows.transition_check(old=S.OPEN, new="archived", reason="x")
    assert caught.value.details[0]["field"] == "status"


@pytest.mark.parametrize(("old", "new"), [(S.RESOLVED, S.OPEN), (S.CLOSED, S.OPEN)])
def test_is_reopening_true_for_finished_to_open(old, new):
    assert flows.is_reopening(old, new)


@pytest.mark.parametrize(
    ("old", "new"), [(S.WAITING_CUSTOMER, S.OPEN), (S.NEW, S.OPEN), (S.RESOLVED, S.CLOSED)]
)
def test_is_reopening_false_otherwise(old, new):
    assert not flows.is_reopening(old, new)
