"""Thin, idempotent tasks: they take ids (or nothing) and call a service.

The progress messages (REQ-CMP-05) and the mediator's notice are scheduled per complaint with
`run_after` when it opens (services/progress.py), so the worker sends them on time by itself.
The periodic jobs, daily `guichet quality_mediation_check` (a safety net for those) and weekly
`guichet quality_sample_reviews`, are also recurring jobs `guichet worker` runs by itself
(registered in apps.py; docs/operations.md, "Scheduled jobs")."""

from __future__ import annotations

from datetime import date, datetime

from guichet.core.tasks import retrying_task
from guichet.quality.services import (
    complaint_mediation_inform,
    complaints_mediation_due,
    reviews_sample_week,
)
from guichet.quality.services.progress import complaint_progress_send, complaints_progress_due


@retrying_task
def complaint_mediation_inform_task(complaint_id: int) -> bool:
    return complaint_mediation_inform(complaint_id=complaint_id)


@retrying_task
def complaints_mediation_check_task() -> int:
    """Enqueue one mediator notice per unresolved complaint past the legal delay."""
    due = complaints_mediation_due()
    for complaint_id in due:
        complaint_mediation_inform_task.enqueue(complaint_id)
    return len(due)


@retrying_task
def reviews_sample_task(week: str | None = None, per_agent: int | None = None) -> int:
    """Weekly random sampling of cases to review per agent."""
    return len(
        reviews_sample_week(week=date.fromisoformat(week) if week else None, per_agent=per_agent)
    )


@retrying_task
def complaint_progress_task(complaint_id: int, stage: str, due_at: str) -> bool:
    """At a stage's deadline: tell the complainant where the complaint stands (REQ-CMP-05)."""
    return complaint_progress_send(
        complaint_id=complaint_id, stage=stage, due_at=datetime.fromisoformat(due_at)
    )


@retrying_task
def complaints_progress_check_task() -> int:
    """Safety net: the progress messages of deadlines passed while the queue was down."""
    due = complaints_progress_due()
    for complaint_id, stage, deadline in due:
        complaint_progress_task.enqueue(complaint_id, stage, deadline.isoformat())
    return len(due)
