"""Keeping each case's clocks in step with its event log.

`clock_sync` is the one function that writes CaseClock and CaseTarget. It replays the case's
event log (sla.clocks.clock_replay), so it is idempotent and does not care in which order the
after-commit hooks arrive. It also writes to the event log itself:
- "sla_policy" when the policy (or its targets) that applies to the case changes — the replay
  then recomputes the due times of the running targets from their start;
- "sla_recomputed" saying why due times moved (a priority change, a policy, a calendar change).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from guichet.cases.choices import ACTIVE_STATUSES, EventKind
from guichet.cases.events import event_record
from guichet.cases.models import Case, CaseEvent
from guichet.sla.aggregates import aggregates_apply
from guichet.sla.businesstime import (
    NeverOpen,
)
from guichet.sla.choices import Outcome
from guichet.sla.clocks import Replay, RunResult, Step, Terms, clock_replay
from guichet.sla.models import CaseClock, CaseTarget
from guichet.sla.selectors import SlaContext, sla_context_load
from guichet.sla.services.alerts import ALERT_KINDS, alerts_schedule, next_alert_at
from guichet.sla.services.bulk import insert_events, insert_rows

logger = logging.getLogger(__name__)


REPLAYED_KINDS = (
    EventKind.CREATED,
    EventKind.CONTACT_ADDED,
    EventKind.STATUS_CHANGED,
    EventKind.REOPENED,
    EventKind.PRIORITY_CHANGED,
    EventKind.SLA_POLICY,
)


RECOMPUTE_KINDS = (EventKind.SLA_RECOMPUTED,)


TARGET_FIELDS = (
    "priority",
    "team_id",
    "channel",
    "week",
    "started_at",
    "target_minutes",
    "due_at",
    "risk_at",
    "breached_at",
    "paused_since",
    "paused_seconds",
    "paused_business_seconds",
    "ended_at",
    "outcome",
    "business_seconds",
    "calendar_seconds",
)


CLOCK_FIELDS = (
    "policy_id",
    "calendar_id",
    "priority",
    "paused_since",
    "next_kind",
    "next_due_at",
    "next_risk_at",
    "next_alert_at",
)


def week_of(at: datetime) -> date:
    """The Monday of the week of `at`, in TIME_ZONE: reports group runs by it."""
    local = at.astimezone(_report_zone()).date()
    return local - timedelta(days=local.weekday())


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _report_zone() -> ZoneInfo:
    return _zone(settings.TIME_ZONE)


@dataclass
class _CaseData:
    case: Case
    events: list[Step]  # every event the sla app reads, in time order
    targets: dict[tuple[str, int], dict]  # stored CaseTarget rows as values
    clock: dict | None  # stored CaseClock row as values


def clock_sync(
    *, case_id: int, now: datetime | None = None, context: SlaContext | None = None, cause: str = ""
) -> CaseClock | None:
    """Bring one case's clocks in step with its event log (and its current policy)."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("customer__organisation")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            return None
        sync_cases([case], context or sla_context_load(), now or timezone.now(), cause)
    return CaseClock.objects.filter(case_id=case_id).first()


def clocks_rebuild(
    *,
    case_ids: Iterable[int] | None = None,
    id_range: tuple[int, int] | None = None,
    only_active: bool = True,
    cause: str = "",
    history: bool = False,
    batch_size: int = 500,
    now: datetime | None = None,
    aggregate: bool = True,
    recount: bool = False,
) -> int:
    """Re-sync many cases in batches (after a calendar or policy change, an import, or
    `guichet sla rebuild`). With `history`, alerts whose time has passed are not sent (past
    cases written after the fact must not page anyone). Without `aggregate` the report's
    pre-aggregates are left alone (the caller rebuilds them). Returns the number of cases
    synced."""
    context = sla_context_load()
    qs = Case.objects.order_by("pk")
    if case_ids is not None:
        qs = qs.filter(pk__in=list(case_ids))
    if id_range is not None:
        qs = qs.filter(pk__gte=id_range[0], pk__lte=id_range[1])
    if only_active:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    done, last = 0, 0
    while True:
        ids = list(qs.filter(pk__gt=last).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        with transaction.atomic():
            cases = list(
                Case.objects.select_for_update(of=("self",))
                .select_related("customer__organisation")
                .filter(pk__in=ids)
                .order_by("pk")
            )
            sync_cases(
                cases,
                context,
                now or timezone.now(),
                cause,
                history=history,
                aggregate=aggregate,
                recount=recount,
            )
        done += len(cases)
        last = ids[-1]


def _load(cases: list[Case]) -> list[_CaseData]:
    """What the sync of a batch of cases reads, in three queries, as plain values (building
    model instances costs more than replaying the clocks)."""
    ids = [c.pk for c in cases]
    events: dict[int, list[Step]] = defaultdict(list)
    # Through the (case, time) index: LOWER() keeps the planner off the (kind, time) index,
    # which SQLite otherwise picks and which reads those kinds' events of every case.
    rows = (
        CaseEvent.objects.filter(case_id__in=ids)
        .annotate(kind_text=Lower("kind"))
        .filter(kind_text__in=REPLAYED_KINDS + ALERT_KINDS + RECOMPUTE_KINDS)
        .order_by("created_at", "id")
        .values_list("case_id", "created_at", "kind", "data", "id")
    )
    for case_id, at, kind, data, event_id in rows:
        events[case_id].append(Step(at, kind, data, event_id))
    targets: dict[int, dict[tuple[str, int], dict]] = defaultdict(dict)
    for row in CaseTarget.objects.filter(case_id__in=ids).values(
        "id", "case_id", "kind", "seq", *TARGET_FIELDS
    ):
        targets[row["case_id"]][(row["kind"], row["seq"])] = row
    clocks = {
        row["case_id"]: row
        for row in CaseClock.objects.filter(case_id__in=ids).values("case_id", *CLOCK_FIELDS)
    }
    return [_CaseData(c, events[c.pk], targets[c.pk], clocks.get(c.pk)) for c in cases]


def sync_cases(
    cases: list[Case],
    context: SlaContext,
    now: datetime,
    cause: str,
    *,
    history: bool = False,
    aggregate: bool = True,
    recount: bool = False,
) -> None:
    """Replay each case and write what changed. A case whose targets changed gets its target
    rows rewritten (delete, then insert: cheaper than row-by-row updates for a recompute of
    every open case); so does a changed clock. The report's pre-aggregates move with the rows
    (unless `aggregate` is False: a bulk import rebuilds them once at the end).

    A run that had already finished keeps the figures it was judged with (due time, time taken,
    outcome): a later calendar change must not rewrite history. `recount` recounts them with
    today's calendars (`guichet sla rebuild --recount`)."""
    counted_old: list[dict] = []
    counted_new: list[dict] = []
    targets_new: list[dict] = []
    targets_stale: list[int] = []
    clocks_new: list[dict] = []
    clocks_stale: list[int] = []
    events_new: list[CaseEvent] = []
    alerts: list[tuple[int, datetime]] = []
    for data in _load(cases):
        case = data.case
        policy = context.policy_for(case)
        calendar = context.calendar_for(policy, case.team_id)
        schedule = context.schedule_for(calendar)
        terms = context.terms_for(policy)
        steps = [e for e in data.events if e.kind in REPLAYED_KINDS]
        policy_event = _policy_step_ensure(case, steps, terms)
        if policy_event is not None:
            events_new.append(policy_event)
        first_terms = Terms.from_data(next(s for s in steps if s.kind == EventKind.SLA_POLICY).data)
        try:
            replay = clock_replay(steps=steps, terms=first_terms, schedule=schedule, now=now)
        except NeverOpen:
            logger.warning(
                "case %s: calendar %s never opens; clocks left as they were",
                case.pk,
                calendar.name if calendar else "built-in",
            )
            continue
        events_new.extend(_changes_events(case, data, replay, cause))
        rows = {
            (run.kind, run.seq): _target_values(
                case, run, None if recount else data.targets.get((run.kind, run.seq))
            )
            for run in replay.runs
        }
        if rows.keys() != data.targets.keys() or any(
            data.targets[key][f] != v for key, values in rows.items() for f, v in values.items()
        ):
            targets_stale.extend(row["id"] for row in data.targets.values())
            new_rows = [
                {"case_id": case.pk, "kind": kind, "seq": seq, **values}
                for (kind, seq), values in rows.items()
            ]
            targets_new.extend(new_rows)
            if aggregate:
                counted_old.extend(
                    {"kind": kind, "seq": seq, **row} for (kind, seq), row in data.targets.items()
                )
                counted_new.extend(new_rows)

        sent = {e.data.get("key") for e in data.events if e.kind in ALERT_KINDS}
        next_alert = next_alert_at(
            [r for r in replay.runs if r.outcome == Outcome.OPEN],  # finished ones keep a due time
            context.rules,
            policy.pk if policy else None,
            schedule,
            sent,
            now,
            history=history,
        )
        nearest = min(
            (r for r in replay.runs if r.due_at is not None and r.outcome == Outcome.OPEN),
            key=lambda r: r.due_at,
            default=None,
        )
        values = {
            "policy_id": policy.pk if policy else None,
            "calendar_id": calendar.pk if calendar else None,
            "priority": replay.priority,
            "paused_since": replay.paused_since,
            "next_kind": nearest.kind if nearest else "",
            "next_due_at": nearest.due_at if nearest else None,
            "next_risk_at": nearest.risk_at if nearest else None,
            "next_alert_at": next_alert,
        }
        stored = data.clock
        if next_alert is not None and (stored is None or next_alert != stored["next_alert_at"]):
            alerts.append((case.pk, next_alert))
        if stored is None or any(stored[f] != v for f, v in values.items()):
            if stored is not None:
                clocks_stale.append(case.pk)
            clocks_new.append({"case_id": case.pk, "synced_at": now, **values})

    insert_events(events_new)
    if targets_stale:
        CaseTarget.objects.filter(pk__in=targets_stale).delete()
    insert_rows(CaseTarget, targets_new)
    if counted_old or counted_new:
        aggregates_apply(counted_old, counted_new)
    if clocks_stale:
        CaseClock.objects.filter(case_id__in=clocks_stale).delete()
    insert_rows(CaseClock, clocks_new)
    alerts_schedule({at for _case_id, at in alerts})


# What a finished run was judged with: kept when the case is synced again.
JUDGED_FIELDS = (
    "due_at",
    "risk_at",
    "breached_at",
    "paused_since",
    "paused_seconds",
    "paused_business_seconds",
    "outcome",
    "business_seconds",
    "calendar_seconds",
)


def _target_values(case: Case, run: RunResult, stored: dict | None = None) -> dict:
    """The CaseTarget row of a run. When `stored` is the same finished run (same start, end,
    target and kind of ending), its judged figures are kept: they were counted on the calendar
    in force when it finished."""
    values = _run_values(case, run)
    if (
        stored is not None
        and stored["outcome"] != Outcome.OPEN
        and run.outcome != Outcome.OPEN
        and (stored["outcome"] == Outcome.CANCELLED) == (run.outcome == Outcome.CANCELLED)
        and stored["started_at"] == run.started_at
        and stored["ended_at"] == run.ended_at
        and stored["target_minutes"] == run.target_minutes
    ):
        values.update({f: stored[f] for f in JUDGED_FIELDS})
    return values


def _run_values(case: Case, run: RunResult) -> dict:
    return {
        "priority": run.priority,
        "team_id": case.team_id,
        "channel": case.channel,
        "week": week_of(run.started_at),
        "started_at": run.started_at,
        "target_minutes": run.target_minutes,
        "due_at": run.due_at,
        "risk_at": run.risk_at,
        "breached_at": run.breached_at,
        "paused_since": run.paused_since,
        "paused_seconds": run.paused_seconds,
        "paused_business_seconds": run.paused_business_seconds,
        "ended_at": run.ended_at,
        "outcome": run.outcome,
        "business_seconds": run.business_seconds,
        "calendar_seconds": run.calendar_seconds,
    }


def _same_terms(a: Terms, b: Terms) -> bool:
    return (a.policy_id, a.minutes, a.pause_when_waiting) == (
        b.policy_id,
        b.minutes,
        b.pause_when_waiting,
    )


def _policy_step_ensure(case: Case, steps: list[Step], terms: Terms) -> CaseEvent | None:
    """Add an "sla_policy" step when the terms that apply differ from the last ones written: at
    the case's creation the first time, else at its latest event (so back-dated timelines stay in
    order). The first one is returned unsaved, for a bulk insert (its id is never referred to);
    a later one is saved at once, since the "sla_recomputed" event it causes names it."""
    previous = [s for s in steps if s.kind == EventKind.SLA_POLICY]
    if previous and _same_terms(Terms.from_data(previous[-1].data), terms):
        return None
    if not previous:
        data = {"cause": "opened", **terms.as_data()}
        steps.append(Step(case.created_at, EventKind.SLA_POLICY, data, 0))
        steps.sort(key=lambda s: s.at)
        return CaseEvent(
            case=case, kind=EventKind.SLA_POLICY, actor=None, data=data, created_at=case.created_at
        )
    old = Terms.from_data(previous[-1].data)
    at = max(s.at for s in steps)
    cause = "edited" if old.policy_id == terms.policy_id else "matched"
    event = event_record(
        case=case, kind=EventKind.SLA_POLICY, actor=None, at=at, cause=cause, **terms.as_data()
    )
    steps.append(Step(event.created_at, event.kind, event.data, event.pk))
    return None


def _changes_events(case: Case, data: _CaseData, replay: Replay, cause: str) -> list[CaseEvent]:
    """The "sla_recomputed" events saying why due times moved, once per cause (the bulk form of
    cases.events.event_record)."""
    recorded = {
        e.data.get("source_event")
        for e in data.events
        if e.kind == EventKind.SLA_RECOMPUTED and e.data.get("source_event")
    }
    events = [
        CaseEvent(
            case=case,
            kind=EventKind.SLA_RECOMPUTED,
            actor=None,
            created_at=change.at,
            data={
                "reason": change.reason,
                "source_event": change.event_id,
                "detail": change.detail,
                "targets": change.targets,
            },
        )
        for change in replay.changes
        if change.event_id not in recorded
    ]
    if cause != "calendar":
        return events
    moved = []
    for run in replay.runs:
        stored = data.targets.get((run.kind, run.seq))
        if stored is not None and run.outcome == Outcome.OPEN and stored["due_at"] != run.due_at:
            moved.append(
                {
                    "kind": run.kind,
                    "seq": run.seq,
                    "old_due": stored["due_at"].isoformat() if stored["due_at"] else None,
                    "new_due": run.due_at.isoformat() if run.due_at else None,
                }
            )
    if moved:
        events.append(
            CaseEvent(
                case=case,
                kind=EventKind.SLA_RECOMPUTED,
                actor=None,
                created_at=timezone.now(),
                data={"reason": "calendar", "targets": moved},
            )
        )
    return events


def on_case_changed(*, case_id: int, **_payload) -> None:
    clock_sync(case_id=case_id)


def on_cases_changed(*, case_ids: list[int]) -> None:
    """`on_case_changed` for many cases at once (core.hooks replays a batch of inbound mail):
    the same sync, read and written in a few queries per 500 cases."""
    clocks_rebuild(case_ids=case_ids, only_active=False)


# Up to this many imported cases are synchronised at once; more go to a background task.
IMPORT_SYNC_LIMIT = 20_000


def on_cases_imported(
    *, first_case_id: int, last_case_id: int, bulk: bool = False, **_payload
) -> None:
    """Past cases written with the hooks paused (`guichet demo`): build their clocks, without
    sending the alerts of the past; a large or bulk import in a background task."""
    if not bulk and last_case_id - first_case_id < IMPORT_SYNC_LIMIT:
        clocks_rebuild(id_range=(first_case_id, last_case_id), only_active=False, history=True)
        return
    from guichet.sla.tasks import sla_clocks_rebuild_range

    sla_clocks_rebuild_range.enqueue(first_case_id, last_case_id)


def clocks_rebuild_imported(*, first_case_id: int, last_case_id: int) -> int:
    """The clocks of a large import of past cases, then the report's pre-aggregates rebuilt
    once from CaseTarget (cheaper than keeping them in step case by case)."""
    from guichet.sla.aggregates import aggregates_rebuild

    done = clocks_rebuild(
        id_range=(first_case_id, last_case_id), only_active=False, history=True, aggregate=False
    )
    aggregates_rebuild()
    return done
