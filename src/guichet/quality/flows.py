"""The one place that says which complaint steps are possible (ISO 10002, STANDARDS.md §1.2).

received → acknowledged → assessed → investigating → response_proposed → accepted | refused
→ closed; a closed complaint reopens (the customer contests) into investigating. No step can be
skipped: nothing is assessed before it is acknowledged, nothing closes without a recorded
response (except a withdrawal, which needs a reason).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from guichet.core.errors import Conflict, ValidationFailed
from guichet.quality.choices import ClosureReason, ComplaintStatus

S = ComplaintStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.ASSESSED, S.CLOSED}),
    S.ASSESSED: frozenset({S.INVESTIGATING, S.CLOSED}),
    S.INVESTIGATING: frozenset({S.RESPONSE_PROPOSED, S.CLOSED}),
    # A proposal may be reworked before the customer answers.
    S.RESPONSE_PROPOSED: frozenset({S.ACCEPTED, S.REFUSED, S.INVESTIGATING, S.CLOSED}),
    S.ACCEPTED: frozenset({S.CLOSED}),
    # After a refusal: reconsider (investigate again) or give the final decision (close).
    S.REFUSED: frozenset({S.INVESTIGATING, S.CLOSED}),
    S.CLOSED: frozenset({S.INVESTIGATING}),
}

# Where a closure may come from, per reason.
CLOSE_FROM: dict[str, frozenset[str]] = {
    ClosureReason.ACCEPTED: frozenset({S.ACCEPTED}),
    ClosureReason.FINAL_DECISION: frozenset({S.REFUSED, S.RESPONSE_PROPOSED}),
    ClosureReason.WITHDRAWN: frozenset(
        {S.ACKNOWLEDGED, S.ASSESSED, S.INVESTIGATING, S.RESPONSE_PROPOSED, S.REFUSED}
    ),
}

# Steps that may happen inside a status without moving it.
NOTE_ALLOWED = frozenset(
    {S.ACKNOWLEDGED, S.ASSESSED, S.INVESTIGATING, S.RESPONSE_PROPOSED, S.REFUSED}
)
HOLDING_REPLY_ALLOWED = frozenset({S.ACKNOWLEDGED, S.ASSESSED, S.INVESTIGATING})


def _label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


def transition_check(*, old: str, new: str) -> None:
    if new not in S.values:
        raise ValidationFailed(
            _("Unknown complaint status."),
            details=[{"field": "status", "message": _("Unknown status %(s)s.") % {"s": new}}],
        )
    if old == new:
        raise Conflict(
            _("The complaint is already %(status)s.") % {"status": _label(new)},
            code="status_unchanged",
        )
    if new not in TRANSITIONS[old]:
        if old == S.RECEIVED:
            message = _("Acknowledge the complaint first.")
            code = "acknowledgement_required"
        else:
            message = _("A complaint cannot go from %(old)s to %(new)s.") % {
                "old": _label(old),
                "new": _label(new),
            }
            code = "invalid_transition"
        raise Conflict(message, code=code)


def close_check(*, old: str, reason: str, response_text: str, note: str) -> None:
    if reason not in ClosureReason.values:
        raise ValidationFailed(
            _("Unknown closure reason."),
            details=[{"field": "reason", "message": _("Choose a closure reason.")}],
        )
    transition_check(old=old, new=S.CLOSED)
    if old not in CLOSE_FROM[reason]:
        raise Conflict(
            _("A complaint that is %(status)s cannot be closed as “%(reason)s”.")
            % {"status": _label(old), "reason": ClosureReason(reason).label},
            code="invalid_closure",
        )
    if reason != ClosureReason.WITHDRAWN and not response_text.strip():
        raise Conflict(_("Record a response before closing."), code="response_required")
    if reason == ClosureReason.WITHDRAWN and not note.strip():
        raise ValidationFailed(
            _("Say how the customer withdrew the complaint."),
            details=[{"field": "note", "message": _("A note is required.")}],
        )


def within_check(*, status: str, allowed: frozenset[str], what: str) -> None:
    if status not in allowed:
        raise Conflict(
            _("Not possible while the complaint is %(status)s: %(what)s.")
            % {"status": _label(status), "what": what},
            code="invalid_step",
        )
