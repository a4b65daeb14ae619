"""Thin, idempotent tasks: they take ids (or nothing) and call a service.

Run them periodically (cron, or the operator's scheduler), e.g. daily
`guichet quality_mediation_check` and weekly `guichet quality_sample_reviews`."""

from __future__ import annotations

from datetime import date

from guichet.core.tasks import retrying_task
from guichet.quality.services import (
    complaint_mediation_inform,
    complaints_mediation_due,
    reviews_sample_week,
)


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
