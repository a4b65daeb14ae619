"""How a complaint step is recorded: the row lock, the ComplaintStep (who, when), the event in the
case timeline, the after-commit hook, and what the customer is told (a contact on the case)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import ContactKind, EventKind
from guichet.cases.events import event_record
from guichet.cases.models import Contact
from guichet.cases.services import contact_add
from guichet.core.errors import PermissionDenied, ValidationFailed
from guichet.core.hooks import hooks_emit
from guichet.quality import flows
from guichet.quality.choices import (
    ComplaintStatus,
)
from guichet.quality.models import Complaint, ComplaintStep

S = ComplaintStatus
MAX_TEXT = 20_000


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _text(field: str, value: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _field_error(field, _("This field is required."))
    if len(value) > MAX_TEXT:
        raise _field_error(field, _("At most %(n)d characters.") % {"n": MAX_TEXT})
    return value


def _agent_required(actor: User | None) -> None:
    if actor is None or not actor.is_agent:
        raise PermissionDenied(_("Only agents can do this."))


def _is_own_customer(actor: User | None, complaint: Complaint) -> bool:
    return actor is not None and actor.is_customer and complaint.case.customer.user_id == actor.pk


def _lock(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case", "case__customer", "root_cause")
        .get(pk=complaint.pk)
    )


def _step(
    complaint: Complaint,
    *,
    kind: str,
    actor: User | None,
    at: datetime,
    old: str = "",
    new: str = "",
    note: str = "",
    **data,
) -> ComplaintStep:
    step = ComplaintStep.objects.create(
        complaint=complaint,
        kind=kind,
        from_status=old,
        to_status=new,
        actor=actor,
        note=note,
        data=data,
        created_at=at,
    )
    event_record(
        case=complaint.case,
        kind=EventKind.COMPLAINT_STEP,
        actor=actor,
        at=at,
        reference=complaint.reference,
        step=kind,
        old=old,
        new=new,
    )
    return step


def _move(
    complaint: Complaint,
    *,
    new: str,
    actor: User | None,
    at: datetime,
    kind: str,
    note: str = "",
    **data,
) -> None:
    old = complaint.status
    flows.transition_check(old=old, new=new)
    complaint.status = new
    complaint.updated_at = at
    _step(complaint, kind=kind, actor=actor, at=at, old=old, new=new, note=note, **data)
    hooks_emit("complaint.step", complaint_id=complaint.pk, step=kind, old=old, new=new)


def _tell_customer(
    complaint: Complaint, *, text: str, actor: User | None, at: datetime, reply: bool = False
) -> Contact:
    """Post what the customer is told on the case (a public reply for the response itself)."""
    author = actor if actor is not None and actor.is_agent else None
    return contact_add(
        actor=author,
        case=complaint.case,
        kind=ContactKind.REPLY if reply else ContactKind.STATUS_NOTICE,
        body_text=text,
        at=at,
    )
