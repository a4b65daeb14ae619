"""After a calendar's hours changed: new due times for every active case on it, in bulk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from guichet.cases.choices import ACTIVE_STATUSES, EventKind
from guichet.cases.models import Case, CaseEvent
from guichet.sla.businesstime import (
    Schedule,
    add_microseconds,
    from_microseconds,
    to_microseconds,
)
from guichet.sla.choices import AT_RISK_SHARE, Outcome
from guichet.sla.models import CaseClock, CaseTarget
from guichet.sla.selectors import SlaContext, sla_context_load
from guichet.sla.services.alerts import ALERT_KINDS, alerts_schedule, next_alert_at
from guichet.sla.services.bulk import fetch_rows, insert_events, update_many
from guichet.sla.services.sync import sync_cases

RUN_COLUMNS = (
    "id", "case_id", "kind", "seq", "started_at", "target_minutes", "paused_seconds",
    "paused_since", "due_at", "risk_at", "breached_at", "outcome",
)  # fmt: skip


@dataclass(frozen=True)
class _RunningTarget:
    kind: str
    seq: int
    due_at: datetime
    risk_at: datetime
    target_minutes: int


def clocks_recompute_calendar(
    *, calendar_id: int, now: datetime | None = None, batch_size: int = 2000
) -> int:
    """New due times for the running targets of every active case on a calendar whose hours
    changed. A run that never paused is due `target` business minutes after its start — exactly
    what a replay gives — so it is recomputed in place, in bulk; a case with a pause (whose
    paused business time depends on the calendar too) is replayed in full. Each case whose due
    times moved gets an "sla_recomputed" event (reason "calendar"). Returns the cases done."""
    now = now or timezone.now()
    context = sla_context_load()
    calendar = context.calendar_by_id(calendar_id)
    if calendar is None:
        return 0
    schedule = context.schedule_for(calendar)
    # Every id at once (100,000 integers): a keyset query per batch would sort the calendar's
    # clocks again each time, the calendar's index not being in case order.
    ids_all = sorted(
        CaseClock.objects.filter(calendar_id=calendar_id, case__status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("case_id", flat=True)
    )
    for start in range(0, len(ids_all), batch_size):
        with transaction.atomic():
            _recompute_batch(ids_all[start : start + batch_size], context, schedule, now)
    return len(ids_all)


@dataclass(frozen=True, slots=True)
class _NewEvent:
    """A CaseEvent to insert in bulk (a model instance costs more to build than to write)."""

    case_id: int
    kind: str
    data: dict
    created_at: datetime


def _recompute_batch(
    ids: list[int], context: SlaContext, schedule: Schedule, now: datetime
) -> None:
    # The batch is a range of case ids (keyset order): filtering by range is much cheaper than
    # an IN list of 2,000 parameters; rows of cases outside the batch are skipped below.
    first, last = ids[0], ids[-1]
    wanted = set(ids)
    list(
        Case.objects.select_for_update()
        .filter(pk__gte=first, pk__lte=last)
        .values_list("pk", flat=True)
    )
    clocks = {
        case_id: (policy_id, next_alert)
        for case_id, policy_id, next_alert in fetch_rows(
            CaseClock.objects.filter(case_id__gte=first, case_id__lte=last).order_by(),
            ("case_id", "policy_id", "next_alert_at"),
            datetimes=(2,),
        )
        if case_id in wanted
    }
    runs: dict[int, list[tuple]] = defaultdict(list)
    # By case range through the (case, kind, seq) key, running ones kept here: filtering on the
    # outcome in SQL lets the planner pick the outcome index and read every running target.
    targets = CaseTarget.objects.filter(case_id__gte=first, case_id__lte=last).order_by()
    for row in fetch_rows(targets, RUN_COLUMNS, datetimes=(4, 7, 8, 9, 10)):
        if row[11] == Outcome.OPEN:
            runs[row[1]].append(row[:11])
    sent: dict[int, set[str]] = defaultdict(set)
    # Through the (case, time) index: LOWER() keeps the planner off the (kind, time) index,
    # which would read every alert ever sent for each batch.
    for case_id, key in (
        CaseEvent.objects.filter(case_id__gte=first, case_id__lte=last)
        .annotate(kind_text=Lower("kind"))
        .filter(kind_text__in=ALERT_KINDS)
        .order_by()
        .values_list("case_id", "data__key")
    ):
        sent[case_id].add(key)
    # A run with a finished pause needs its paused business time recounted: replay the case.
    replay = {c for c, rows in runs.items() if c in wanted and any(r[6] for r in rows)}
    target_rows: list[tuple] = []
    clock_rows: list[tuple] = []
    events: list[_NewEvent] = []
    alert_times: set[datetime] = set()
    for case_id in ids:
        if case_id in replay or case_id not in clocks:
            continue
        running, moved = [], []
        for row in runs[case_id]:
            (tid, _c, kind, seq, started, minutes, _p, paused_since, *old) = row
            if minutes is None:
                continue
            begin, ordinal = to_microseconds(started), schedule.local_ordinal(started)
            target_us = minutes * 60_000_000
            reached = from_microseconds(add_microseconds(schedule, begin, ordinal, target_us))
            if paused_since is not None:
                # Paused for the first time: no due time; missed if it was before the pause.
                due = risk = None
                breached = reached if reached < paused_since else None
            else:
                due = reached
                risk_us = int(target_us * (1 - AT_RISK_SHARE))
                risk = from_microseconds(add_microseconds(schedule, begin, ordinal, risk_us))
                breached = due if due < now else None
                running.append(_RunningTarget(kind, seq, due, risk, minutes))
            old_due = old[0]
            if (due, risk, breached) != tuple(old):
                target_rows.append((due, risk, breached, tid))
                moved.append(
                    {
                        "kind": kind,
                        "seq": seq,
                        "old_due": old_due.isoformat() if old_due else None,
                        "new_due": due.isoformat() if due else None,
                    }
                )
        policy_id, stored_alert = clocks[case_id]
        nearest = min(running, key=lambda r: r.due_at, default=None)
        next_alert = next_alert_at(running, context.rules, policy_id, schedule, sent[case_id], now)
        if next_alert is not None and next_alert != stored_alert:
            alert_times.add(next_alert)
        clock_rows.append(
            (
                nearest.kind if nearest else "",
                nearest.due_at if nearest else None,
                nearest.risk_at if nearest else None,
                next_alert,
                now,
                case_id,
            )
        )
        if moved:
            events.append(
                _NewEvent(
                    case_id, EventKind.SLA_RECOMPUTED, {"reason": "calendar", "targets": moved}, now
                )
            )
    update_many(CaseTarget, ("due_at", "risk_at", "breached_at"), "id", target_rows)
    update_many(
        CaseClock,
        ("next_kind", "next_due_at", "next_risk_at", "next_alert_at", "synced_at"),
        "case_id",
        clock_rows,
    )
    insert_events(events)
    alerts_schedule(alert_times)
    if replay:
        cases = list(Case.objects.select_related("customer__organisation").filter(pk__in=replay))
        sync_cases(cases, context, now, "calendar")
