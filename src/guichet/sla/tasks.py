"""Background tasks of the sla app: thin wrappers taking ids, calling a service."""

from __future__ import annotations

from datetime import datetime

from guichet.core.tasks import retrying_task
from guichet.sla import services


@retrying_task
def sla_alerts_due(slot: str) -> int:
    """Run at an alert slot (`run_after`): send the alerts of the clocks whose next alert is due."""
    return services.alerts_due(at=datetime.fromisoformat(slot))


@retrying_task
def sla_clocks_rebuild(cause: str = "") -> int:
    """Re-sync every active case, e.g. after a calendar's hours or a policy's targets changed."""
    return services.clocks_rebuild(cause=cause)


@retrying_task
def sla_clocks_rebuild_range(first_case_id: int, last_case_id: int) -> int:
    """Build the clocks of a large import of past cases (no alerts for the past)."""
    return services.clocks_rebuild_imported(first_case_id=first_case_id, last_case_id=last_case_id)


@retrying_task
def sla_calendar_recompute(calendar_id: int) -> int:
    """After a calendar's hours changed: the due times of the active cases on it."""
    return services.clocks_recompute_calendar(calendar_id=calendar_id)
