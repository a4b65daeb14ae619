"""Phone calls logged by agents in a few keystrokes, on a case or a new one.

A call is a Contact of kind "call" on channel "phone" (guichet.cases.services.contact_add), so
it counts like any other contact: a call that reached the customer is a response (first
response, FCR); a call that did not (voicemail, no answer, wrong number) is an internal note."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import CaseStatus, Channel, ContactKind, Direction
from guichet.cases.models import Case, Contact
from guichet.cases.services import case_change_status, case_open, contact_add
from guichet.core.errors import PermissionDenied, ValidationFailed
from guichet.customers.models import Customer
from guichet.proximity.choices import CallOutcome

MAX_CALL_SECONDS = 24 * 3600


def _field_error(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field_name, "message": message}])


def duration_parse(value: str) -> int | None:
    """ "4" (minutes), "4:30" (minutes:seconds) or "" → seconds."""
    value = (value or "").strip()
    if not value:
        return None
    minutes, sep, seconds = value.partition(":")
    if not minutes.isdigit() or (sep and not (seconds.isdigit() and int(seconds) < 60)):
        raise _field_error("duration", _("Enter minutes, or minutes:seconds (4:30)."))
    total = int(minutes) * 60 + (int(seconds) if sep else 0)
    if total > MAX_CALL_SECONDS:
        raise _field_error("duration", _("A call lasts at most a day."))
    return total


@transaction.atomic
def call_log(
    *,
    actor: User,
    direction: str,
    case: Case | None = None,
    customer: Customer | None = None,
    subject: str = "",
    notes: str = "",
    duration_seconds: int | None = None,
    outcome: str = CallOutcome.REACHED,
    resolve: bool = False,
    at: datetime | None = None,
) -> Contact:
    """Log a call on `case`, or open a new case for `customer` from it (channel phone)."""
    if not actor.is_agent:
        raise PermissionDenied(_("Only agents log calls."))
    at = at or timezone.now()
    if direction not in (Direction.INBOUND, Direction.OUTBOUND):
        raise _field_error("direction", _("A call is inbound or outbound."))
    if outcome not in CallOutcome.values:
        raise _field_error("outcome", _("Unknown outcome."))
    if duration_seconds is not None and not 0 <= duration_seconds <= MAX_CALL_SECONDS:
        raise _field_error("duration", _("A call lasts at most a day."))
    notes = (notes or "").strip()
    if case is None:
        if customer is None:
            raise _field_error("customer", _("Choose a case or a customer."))
        subject = " ".join((subject or "").split())
        if not subject:
            raise _field_error("subject", _("Say in a few words what the call is about."))
        case = case_open(
            actor=actor,
            customer=customer,
            subject=subject,
            body_text=subject,
            channel=Channel.PHONE,
            # Whoever took the call owns what came of it.
            owner=actor,
            at=at,
        )
    reached = outcome == CallOutcome.REACHED
    if reached:
        contact = contact_add(
            actor=actor,
            case=case,
            kind=ContactKind.CALL,
            channel=Channel.PHONE,
            direction=direction,
            duration_seconds=duration_seconds,
            body_text=notes or _("Phone call."),
            at=at,
        )
    else:
        contact = contact_add(
            actor=actor,
            case=case,
            kind=ContactKind.NOTE,
            channel=Channel.PHONE,
            body_text=_("Call not answered (%(outcome)s). %(notes)s")
            % {"outcome": CallOutcome(outcome).label, "notes": notes},
            at=at,
        )
    if resolve and reached:
        case.refresh_from_db(fields=["status"])
        if case.status != CaseStatus.RESOLVED:
            case_change_status(actor=actor, case=case, status=CaseStatus.RESOLVED, at=at)
    return contact
