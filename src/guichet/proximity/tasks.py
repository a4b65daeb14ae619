"""Thin, idempotent tasks: each takes a callback id and the time it was scheduled for."""

from __future__ import annotations

from datetime import datetime

from guichet.core.tasks import retrying_task
from guichet.proximity.services.callbacks import callback_escalate, callback_remind


@retrying_task
def callback_remind_task(callback_id: int, expected_slot: str) -> bool:
    return callback_remind(
        callback_id=callback_id, expected_slot=datetime.fromisoformat(expected_slot)
    )


@retrying_task
def callback_escalate_task(callback_id: int, expected_due: str) -> bool:
    return callback_escalate(
        callback_id=callback_id, expected_due=datetime.fromisoformat(expected_due)
    )
