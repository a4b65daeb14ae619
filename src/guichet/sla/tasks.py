"""Background tasks of the sla app: thin wrappers taking ids, calling a service."""

from __future__ import annotations

from datetime import datetime

from guichet.core.tasks import retrying_task
from guichet.sla import services


@retrying_task
def sla_alerts_send(case_id: int, expected_at: str) -> int:
    """Run at a case's next alert time (`run_after`); a no-op when the clock has moved since."""
    return services.alerts_send(case_id=case_id, expected_at=datetime.fromisoformat(expected_at))


@retrying_task
def sla_clocks_rebuild(cause: str = "") -> int:
    """Re-sync every active case, e.g. after a calendar's hours or a policy's targets changed."""
    return services.clocks_rebuild(cause=cause)


@retrying_task
def sla_clocks_rebuild_range(first_case_id: int, last_case_id: int) -> int:
    """Build the clocks of a large import of past cases (no alerts for the past)."""
    return services.clocks_rebuild(
        id_range=(first_case_id, last_case_id), only_active=False, history=True
    )
