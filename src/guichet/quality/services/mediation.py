"""Unresolved after the legal delay: the customer gets the consumer mediator's details
(REQ-LEG-01/02). Run daily: `guichet quality_mediation_check` or the task."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.core.errors import Conflict
from guichet.quality import communications
from guichet.quality.choices import OPEN_COMPLAINT_STATUSES, MediationStatus, StepKind
from guichet.quality.delays import mediation_due, targets_for
from guichet.quality.models import Complaint
from guichet.quality.services.policy import mediator_active, policy_get
from guichet.quality.services.steps import (
    _agent_required,
    _field_error,
    _lock,
    _step,
    _tell_customer,
    _text,
)


def complaints_mediation_due(*, now: datetime | None = None) -> list[int]:
    """Ids of unresolved complaints past the mediation delay whose customer was not yet told."""
    now = now or timezone.now()
    targets = targets_for(policy_get())
    due: list[int] = []
    rows = Complaint.objects.filter(
        status__in=OPEN_COMPLAINT_STATUSES, mediation_informed_at__isnull=True
    ).values_list("pk", "first_written_at", "received_at")
    for pk, written, received in rows:
        if mediation_due(targets=targets, written_at=written or received) <= now:
            due.append(pk)
    return due


@transaction.atomic
def complaint_mediation_inform(*, complaint_id: int, now: datetime | None = None) -> bool:
    """Send the mediator's details once an unresolved complaint passes the legal delay (two
    months by default, REQ-LEG-01/02). Idempotent; False when nothing was due or no mediator."""
    now = now or timezone.now()
    mediator = mediator_active()
    if mediator is None:
        return False
    complaint = Complaint.objects.select_for_update(of=("self",)).filter(pk=complaint_id).first()
    if complaint is None or complaint_id not in complaints_mediation_due(now=now):
        return False
    complaint = _lock(complaint)
    text = communications.mediation_due_text(complaint, mediator=mediator)
    _tell_customer(complaint, text=text, actor=None, at=now)
    complaint.mediation_informed_at = now
    complaint.save(update_fields=["mediation_informed_at"])
    _step(complaint, kind=StepKind.MEDIATION_INFORMED, actor=None, at=now, mediator=mediator.name)
    return True


@transaction.atomic
def complaint_mediation_record(
    *,
    actor: User,
    complaint: Complaint,
    status: str,
    note: str = "",
    at: datetime | None = None,
) -> Complaint:
    """REQ-LEG-03: follow the referral to the mediator (referred → rejected | proposal →
    accepted | refused), with dates, whatever the complaint's own status."""
    _agent_required(actor)
    if status not in MediationStatus.values:
        raise _field_error("status", _("Unknown mediation status."))
    at = at or timezone.now()
    note = _text("note", note, required=False)
    complaint = _lock(complaint)
    old = complaint.mediation_status
    allowed = MEDIATION_NEXT[old]
    if status not in allowed:
        raise Conflict(
            _("Mediation cannot go from “%(old)s” to “%(new)s”.")
            % {
                "old": MediationStatus(old).label if old else _("not referred"),
                "new": MediationStatus(status).label,
            },
            code="invalid_mediation_step",
        )
    complaint.mediation_status = status
    if status == MediationStatus.REFERRED:
        complaint.mediation_referred_at = at
    complaint.mediation_updated_at = at
    complaint.updated_at = at
    complaint.save()
    _step(
        complaint,
        kind=StepKind.MEDIATION,
        actor=actor,
        at=at,
        note=note,
        old=old,
        new=status,
        mediation=status,
    )
    return complaint


M = MediationStatus
MEDIATION_NEXT: dict[str, frozenset[str]] = {
    "": frozenset({M.REFERRED}),
    M.REFERRED: frozenset({M.REJECTED, M.PROPOSAL}),
    M.PROPOSAL: frozenset({M.ACCEPTED, M.REFUSED}),
    M.REJECTED: frozenset({M.REFERRED}),
    M.ACCEPTED: frozenset(),
    M.REFUSED: frozenset(),
}
