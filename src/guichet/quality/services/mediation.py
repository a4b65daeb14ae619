"""Unresolved after the legal delay: the customer gets the consumer mediator's details
(REQ-LEG-01/02). Run daily: `guichet quality_mediation_check` or the task."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from guichet.quality import communications
from guichet.quality.choices import OPEN_COMPLAINT_STATUSES, StepKind
from guichet.quality.delays import mediation_due, targets_for
from guichet.quality.models import Complaint
from guichet.quality.services.policy import mediator_active, policy_get
from guichet.quality.services.steps import _lock, _step, _tell_customer


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
