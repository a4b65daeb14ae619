"""Suggested complaints and the complaint panel of the agent's case page.

A case is *suggested* as a complaint when the customer ticks "this is a complaint" (portal) or
when a customer message reads like one (keywords, any channel). The suggestion waits in the case
timeline (`complaint_suggested` events) until an agent confirms it (`complaint_open`) or judges it
is not a complaint (`complaint_dismissed`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from guichet.cases.choices import EventKind
from guichet.cases.models import Case
from guichet.quality.choices import ComplaintStatus
from guichet.quality.models import Complaint

S = ComplaintStatus


@dataclass
class Suggestion:
    """What the pending suggestions of a case say, merged (the earliest message counts)."""

    at: datetime
    source: str
    declared: bool = False  # the customer said so, rather than keywords
    keywords: list[str] = field(default_factory=list)
    remedy_sought: str = ""
    message_at: datetime | None = None  # the customer message that made it a suggestion
    message_channel: str = ""
    contact_id: int | None = None


def _instant(value: object) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def complaint_suggestion_pending(case: Case) -> Suggestion | None:
    """The suggestion an agent has still to confirm or dismiss; None when there is none or the
    case is already a complaint. Suggestions made before the last dismissal are left out."""
    # One query: no row once the case is a complaint; in the order recorded, whatever the dates.
    events = case.events.filter(
        kind__in=[EventKind.COMPLAINT_SUGGESTED, EventKind.COMPLAINT_DISMISSED],
        case__complaint__isnull=True,
    ).order_by("pk")
    pending = []
    for event in events:
        if event.kind == EventKind.COMPLAINT_DISMISSED:
            pending = []
        else:
            pending.append(event)
    if not pending:
        return None
    first = pending[0]
    suggestion = Suggestion(at=first.created_at, source=str(first.data.get("source", "")))
    for event in pending:
        data = event.data or {}
        suggestion.declared = suggestion.declared or bool(data.get("declared"))
        suggestion.keywords = sorted({*suggestion.keywords, *data.get("keywords", [])})
        if data.get("remedy_sought"):
            suggestion.remedy_sought = str(data["remedy_sought"])
        message_at = _instant(data.get("message_at"))
        if message_at is not None and (
            suggestion.message_at is None or message_at < suggestion.message_at
        ):
            suggestion.message_at = message_at
            suggestion.message_channel = str(data.get("message_channel", ""))
            suggestion.contact_id = data.get("contact_id")
    return suggestion


# What comes next for the agent, and by when, at each step of a complaint.
NEXT_FOR_AGENT = {
    S.RECEIVED: (gettext_lazy("Acknowledge"), "acknowledge_due_at"),
    S.ACKNOWLEDGED: (gettext_lazy("Assess"), "assess_due_at"),
    S.ASSESSED: (gettext_lazy("Investigate and propose a response"), "answer_due_at"),
    S.INVESTIGATING: (gettext_lazy("Propose a response"), "answer_due_at"),
    S.RESPONSE_PROPOSED: (gettext_lazy("Wait for the customer's decision"), ""),
    S.ACCEPTED: (gettext_lazy("Carry out the response and close"), ""),
    S.REFUSED: (gettext_lazy("Give the final decision"), "answer_due_at"),
    S.CLOSED: (None, ""),
}


def complaint_panel(case: Case, *, now: datetime | None = None) -> dict:
    """For the case page: the complaint (reference, step, next deadline) or the pending
    suggestion. The caller has already checked the user may see the case."""
    now = now or timezone.now()
    try:
        # No query when the page joined it to the case (select_related("complaint")).
        complaint = case.complaint
    except Complaint.DoesNotExist:
        complaint = None
    if complaint is None:
        return {"complaint": None, "suggestion": complaint_suggestion_pending(case)}
    next_step, due_field = NEXT_FOR_AGENT[S(complaint.status)]
    due_at = getattr(complaint, due_field) if due_field else None
    return {
        "complaint": complaint,
        "suggestion": None,
        "status_label": S(complaint.status).label,
        "next_step": next_step,
        "due_at": due_at,
        "overdue": due_at is not None and due_at < now,
    }
