"""The one place that says which status changes are possible."""

from __future__ import annotations

from django.utils.translation import gettext as _

from guichet.cases.choices import ACTIVE_STATUSES, CaseStatus
from guichet.core.errors import Conflict, ValidationFailed

S = CaseStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.WAITING_CUSTOMER: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}


def is_reopening(old: str, new: str) -> bool:
    return old in (S.RESOLVED, S.CLOSED) and new == S.OPEN


def transition_check(*, old: str, new: str, reason: str) -> None:
    """Raise unless old → new is allowed. Reopening, and closing a case that was never resolved
    (spam, duplicate), need a reason: both change what the metrics will say."""
    if new not in S.values:
        raise ValidationFailed(
            _("Unknown status."),
            details=[{"field": "status", "message": _("Unknown status %(s)s.") % {"s": new}}],
        )
    if old == new:
        raise Conflict(
            _("The case is already %(status)s.") % {"status": S(new).label},
            code="status_unchanged",
        )
    if new not in TRANSITIONS[old]:
        raise Conflict(
            _("A case cannot go from %(old)s to %(new)s.")
            % {"old": S(old).label, "new": S(new).label},
            code="invalid_transition",
        )
    needs_reason = is_reopening(old, new) or (new == S.CLOSED and old in ACTIVE_STATUSES)
    if needs_reason and not reason.strip():
        raise ValidationFailed(
            _("Give a reason for this change."),
            details=[{"field": "reason", "message": _("A reason is required.")}],
        )
