"""Writes of the sla app (a package: sync, recompute, alerts, notifications, bulk writing).

Callers import from here: `from guichet.sla import services; services.clock_sync(...)`."""

from guichet.sla.services.alerts import (
    ALERT_KINDS,
    ALERT_SLOT,
    alert_fire_at,
    alert_key,
    alert_slot_of,
    alerts_due,
    alerts_schedule,
    alerts_send,
    case_url,
    next_alert_at,
    rule_applies,
)
from guichet.sla.services.notifications import notification_mark_read, notifications_mark_all_read
from guichet.sla.services.recompute import clocks_recompute_calendar
from guichet.sla.services.sync import (
    IMPORT_SYNC_LIMIT,
    clock_sync,
    clocks_rebuild,
    clocks_rebuild_imported,
    on_case_changed,
    on_cases_imported,
    week_of,
)

__all__ = [
    "ALERT_KINDS",
    "ALERT_SLOT",
    "IMPORT_SYNC_LIMIT",
    "alert_fire_at",
    "alert_key",
    "alert_slot_of",
    "alerts_due",
    "alerts_schedule",
    "alerts_send",
    "case_url",
    "clock_sync",
    "clocks_rebuild",
    "clocks_rebuild_imported",
    "clocks_recompute_calendar",
    "next_alert_at",
    "notification_mark_read",
    "notifications_mark_all_read",
    "on_case_changed",
    "on_cases_imported",
    "rule_applies",
    "week_of",
]
