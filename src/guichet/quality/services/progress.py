"""REQ-CMP-05 / ISO 10002 §7.2: the complainant is kept informed "at least at pre-set deadlines".

When a complaint opens, one task per deadline (acknowledge, assess, answer) is scheduled with
django-tasks' `run_after`; a holding reply schedules the new answer deadline. At its deadline,
if the complaint still waits on the firm at that stage, the customer gets a status notice in
their language: where the complaint stands, the next step and the answer date. Each task carries
the deadline it was scheduled for and does nothing if the deadline moved, the step was done, or
the message was already sent (a `progress` step records it), so running it twice is harmless;
`guichet quality_mediation_check` also sends what is due after a queue outage.

The consumer mediator's notice (two months after the written complaint, REQ-LEG-01/02) is
scheduled the same way when the complaint opens and when its first written date is set."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from guichet.quality import communications
from guichet.quality.choices import ComplaintStatus, StepKind
from guichet.quality.delays import mediation_due, targets_for
from guichet.quality.models import Complaint, ComplaintStep
from guichet.quality.services.policy import policy_get
from guichet.quality.services.steps import _lock, _step, _tell_customer

logger = logging.getLogger(__name__)

S = ComplaintStatus
DUE_FIELDS = {
    "acknowledge": "acknowledge_due_at",
    "assess": "assess_due_at",
    "answer": "answer_due_at",
}
STAGES = tuple(DUE_FIELDS)
# How far back the safety-net sweep catches up on missed progress messages.
CATCH_UP = timedelta(days=7)
# At a stage's deadline, the statuses in which the complaint still waits on the firm for that
# stage, so the customer hears where it stands. A customer who was just told (the
# acknowledgement, the proposed response) or who has to decide is not written to.
TELL_AT = {
    "acknowledge": frozenset({S.RECEIVED}),
    "assess": frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.ASSESSED, S.INVESTIGATING}),
    "answer": frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.ASSESSED, S.INVESTIGATING, S.REFUSED}),
}


def _defer(task, run_after: datetime, *args) -> None:
    """Enqueue `task` for `run_after` once the transaction commits (never a half-written one)."""

    def enqueue() -> None:
        if not task.get_backend().supports_defer:
            logger.info("tasks backend cannot defer: %s %s not scheduled", task.name, args)
            return
        task.using(run_after=run_after).enqueue(*args)

    transaction.on_commit(enqueue, robust=True)


def complaint_progress_schedule(*, complaint: Complaint, stages: tuple[str, ...] = STAGES) -> None:
    """Schedule the progress message of each stage's deadline (REQ-CMP-05)."""
    from guichet.quality.tasks import complaint_progress_task

    for stage in stages:
        due = getattr(complaint, DUE_FIELDS[stage])
        if due is not None:
            _defer(complaint_progress_task, due, complaint.pk, stage, due.isoformat())


def complaint_mediation_schedule(*, complaint: Complaint) -> None:
    """Schedule the mediator's notice for the day the complaint becomes eligible."""
    from guichet.quality.tasks import complaint_mediation_inform_task

    written = complaint.first_written_at or complaint.received_at
    due = mediation_due(targets=targets_for(policy_get()), written_at=written)
    _defer(complaint_mediation_inform_task, due, complaint.pk)


def _already_told(complaint: Complaint, stage: str, due: datetime) -> bool:
    return complaint.steps.filter(
        kind=StepKind.PROGRESS, data__stage=stage, data__due_at=due.isoformat()
    ).exists()


@transaction.atomic
def complaint_progress_send(
    *, complaint_id: int, stage: str, due_at: datetime, now: datetime | None = None
) -> bool:
    """At a stage's deadline, tell the customer where the complaint stands and what comes next
    (a status notice in their language). Idempotent; False when nothing was due."""
    now = now or timezone.now()
    if stage not in DUE_FIELDS:
        return False
    complaint = Complaint.objects.select_for_update(of=("self",)).filter(pk=complaint_id).first()
    if complaint is None:
        return False
    due = getattr(complaint, DUE_FIELDS[stage])
    if due is None or due != due_at or due > now or complaint.status not in TELL_AT[stage]:
        return False  # moved (a new task is scheduled), not yet, or no longer waiting
    if _already_told(complaint, stage, due):
        return False
    complaint = _lock(complaint)
    text = communications.progress_text(complaint, stage=stage)
    _tell_customer(complaint, text=text, actor=None, at=now)
    _step(
        complaint, kind=StepKind.PROGRESS, actor=None, at=now, stage=stage, due_at=due.isoformat()
    )
    return True


def complaints_progress_due(
    *, now: datetime | None = None, within: timedelta = CATCH_UP
) -> list[tuple[int, str, datetime]]:
    """The progress messages whose deadline passed in the last `within` and that were not sent
    (a safety net beside the scheduled tasks, e.g. after a queue outage): (complaint id, stage,
    deadline), at most one per complaint, its latest passed deadline. Older deadlines are left
    alone, so that switching this on never writes to every past complainant at once."""
    now = now or timezone.now()
    latest: dict[int, tuple[str, datetime]] = {}
    for stage, field in DUE_FIELDS.items():
        rows = Complaint.objects.filter(
            status__in=TELL_AT[stage], **{f"{field}__lte": now, f"{field}__gt": now - within}
        ).values_list("pk", field)
        for pk, deadline in rows:
            if pk not in latest or deadline > latest[pk][1]:
                latest[pk] = (stage, deadline)
    told = {
        (pk, data.get("stage"), data.get("due_at"))
        for pk, data in ComplaintStep.objects.filter(
            kind=StepKind.PROGRESS, complaint_id__in=list(latest)
        ).values_list("complaint_id", "data")
    }
    return [
        (pk, stage, deadline)
        for pk, (stage, deadline) in sorted(latest.items())
        if (pk, stage, deadline.isoformat()) not in told
    ]


def complaints_daily_check(*, now: datetime | None = None) -> tuple[int, int]:
    """The daily safety net (`guichet quality_mediation_check`, or the recurring job run by
    `guichet worker`): the mediator notices due and the missed progress messages.
    Returns (mediator notices sent, progress messages sent)."""
    from guichet.quality.services.mediation import (
        complaint_mediation_inform,
        complaints_mediation_due,
    )

    now = now or timezone.now()
    informed = sum(
        complaint_mediation_inform(complaint_id=pk, now=now)
        for pk in complaints_mediation_due(now=now)
    )
    told = sum(
        complaint_progress_send(complaint_id=pk, stage=stage, due_at=due, now=now)
        for pk, stage, due in complaints_progress_due(now=now)
    )
    return informed, told
