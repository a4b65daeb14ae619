"""Writes of the sla app: keeping each case's clocks in step with its event log, and alerting.

`clock_sync` is the one function that writes CaseClock and CaseTarget. It replays the case's
event log (clocks.clock_replay), so it is idempotent and does not care in which order the
after-commit hooks arrive. It also writes to the event log itself:
- "sla_policy" when the policy (or its targets) that applies to the case changes — the replay
  then recomputes the due times of the running targets from their start;
- "sla_recomputed" saying why due times moved (a priority change, a policy, a calendar change);
- "sla_warning" / "sla_breached" when an alert has been sent (alerts_send).

Alerts are not found by scanning cases: each case has at most one pending task, scheduled with
`run_after` at its next alert time (a warning before a due time, an escalation after a breach).
A task whose time no longer matches the clock (the due time moved) does nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import ACTIVE_STATUSES, EventKind
from guichet.cases.events import event_record
from guichet.cases.models import Case, CaseEvent
from guichet.core.errors import NotFound
from guichet.sla.businesstime import (
    NeverOpen,
    Schedule,
    add_microseconds,
    business_time_add,
    business_time_subtract,
    from_microseconds,
    to_microseconds,
)
from guichet.sla.choices import AT_RISK_SHARE, AlertMoment, NotificationKind, Outcome, Recipient
from guichet.sla.clocks import Replay, RunResult, Step, Terms, clock_replay
from guichet.sla.models import AlertSlot, CaseClock, CaseTarget, EscalationRule, Notification
from guichet.sla.selectors import SlaContext, sla_context_load

logger = logging.getLogger(__name__)

REPLAYED_KINDS = (
    EventKind.CREATED,
    EventKind.CONTACT_ADDED,
    EventKind.STATUS_CHANGED,
    EventKind.REOPENED,
    EventKind.PRIORITY_CHANGED,
    EventKind.SLA_POLICY,
)
ALERT_KINDS = (EventKind.SLA_WARNING, EventKind.SLA_BREACHED)
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


# --- Keeping clocks in step ----------------------------------------------------------------------


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
        _sync([case], context or sla_context_load(), now or timezone.now(), cause)
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
) -> int:
    """Re-sync many cases in batches (after a calendar or policy change, an import, or
    `guichet sla rebuild`). With `history`, alerts whose time has passed are not sent (past
    cases written after the fact must not page anyone). Returns the number of cases synced."""
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
            _sync(cases, context, now or timezone.now(), cause, history=history)
        done += len(cases)
        last = ids[-1]


def _load(cases: list[Case]) -> list[_CaseData]:
    """What the sync of a batch of cases reads, in three queries, as plain values (building
    model instances costs more than replaying the clocks)."""
    ids = [c.pk for c in cases]
    events: dict[int, list[Step]] = defaultdict(list)
    rows = (
        CaseEvent.objects.filter(
            case_id__in=ids, kind__in=REPLAYED_KINDS + ALERT_KINDS + RECOMPUTE_KINDS
        )
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


def _sync(
    cases: list[Case], context: SlaContext, now: datetime, cause: str, *, history: bool = False
) -> None:
    """Replay each case and write what changed. A case whose targets changed gets its target
    rows rewritten (delete, then insert: cheaper than row-by-row updates for a recompute of
    every open case); so does a changed clock."""
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
        rows = {(run.kind, run.seq): _target_values(case, run) for run in replay.runs}
        if rows.keys() != data.targets.keys() or any(
            data.targets[key][f] != v for key, values in rows.items() for f, v in values.items()
        ):
            targets_stale.extend(row["id"] for row in data.targets.values())
            targets_new.extend(
                {"case_id": case.pk, "kind": kind, "seq": seq, **values}
                for (kind, seq), values in rows.items()
            )

        sent = {e.data.get("key") for e in data.events if e.kind in ALERT_KINDS}
        next_alert = _next_alert_at(
            replay.runs,
            context.rules,
            policy.pk if policy else None,
            schedule,
            sent,
            now,
            history=history,
        )
        nearest = min(
            (r for r in replay.runs if r.due_at is not None), key=lambda r: r.due_at, default=None
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

    _insert_events(events_new)
    if targets_stale:
        CaseTarget.objects.filter(pk__in=targets_stale).delete()
    _insert_rows(CaseTarget, targets_new)
    if clocks_stale:
        CaseClock.objects.filter(case_id__in=clocks_stale).delete()
    _insert_rows(CaseClock, clocks_new)
    alerts_schedule({at for _case_id, at in alerts})


def _target_values(case: Case, run: RunResult) -> dict:
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


# --- Recomputing after a calendar's hours changed ----------------------------------------------


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
    clocks = CaseClock.objects.filter(calendar_id=calendar_id, case__status__in=ACTIVE_STATUSES)
    done, last = 0, 0
    while True:
        ids = list(
            clocks.filter(case_id__gt=last)
            .order_by("case_id")
            .values_list("case_id", flat=True)[:batch_size]
        )
        if not ids:
            return done
        with transaction.atomic():
            _recompute_batch(ids, context, schedule, now)
        done += len(ids)
        last = ids[-1]


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
        for case_id, policy_id, next_alert in CaseClock.objects.filter(
            case_id__gte=first, case_id__lte=last
        ).values_list("case_id", "policy_id", "next_alert_at")
        if case_id in wanted
    }
    runs: dict[int, list[tuple]] = defaultdict(list)
    for row in CaseTarget.objects.filter(
        case_id__gte=first, case_id__lte=last, outcome=Outcome.OPEN
    ).values_list(
        "id", "case_id", "kind", "seq", "started_at", "target_minutes", "paused_seconds",
        "paused_since", "due_at", "risk_at", "breached_at",
    ):  # fmt: skip
        runs[row[1]].append(row)
    sent: dict[int, set[str]] = defaultdict(set)
    for case_id, key in CaseEvent.objects.filter(
        case_id__gte=first, case_id__lte=last, kind__in=ALERT_KINDS
    ).values_list("case_id", "data__key"):
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
        next_alert = _next_alert_at(running, context.rules, policy_id, schedule, sent[case_id], now)
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
    _update_many(CaseTarget, ("due_at", "risk_at", "breached_at"), "id", target_rows)
    _update_many(
        CaseClock,
        ("next_kind", "next_due_at", "next_risk_at", "next_alert_at", "synced_at"),
        "case_id",
        clock_rows,
    )
    _insert_events(events)
    alerts_schedule(alert_times)
    if replay:
        cases = list(Case.objects.select_related("customer__organisation").filter(pk__in=replay))
        _sync(cases, context, now, "calendar")


def _insert_rows(model, rows: list[dict]) -> None:
    """INSERT many rows given as {attname: value} in one executemany: what bulk_create does,
    without building and preparing a model instance per row (most of a rebuild's time)."""
    if not rows:
        return
    meta = model._meta
    names = list(rows[0])
    fields = [meta.get_field(n[:-3] if n.endswith("_id") else n) for n in names]
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    adapters = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "DateTimeField" and sqlite:
            adapters.append(_sqlite_datetime)
        elif kind == "DateField" and sqlite:
            adapters.append(lambda v: None if v is None else v.isoformat())
        elif kind == "JSONField":
            adapters.append(lambda v, f=field: f.get_db_prep_save(v, connection))
        else:
            adapters.append(None)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (names from the model's meta)
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    values = [
        tuple(
            adapt(row[name]) if adapt else row[name]
            for name, adapt in zip(names, adapters, strict=True)
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _insert_events(events: list[CaseEvent] | list[_NewEvent]) -> None:
    """The bulk form of cases.events.event_record for a recompute's "sla_recomputed" events:
    one executemany (bulk_create's per-object preparation costs more than the recompute)."""
    if not events:
        return
    meta = CaseEvent._meta
    fields = [meta.get_field(name) for name in ("case", "kind", "actor", "data", "created_at")]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)"
    )
    data_field = meta.get_field("data")
    adapt = _sqlite_datetime if connection.vendor == "sqlite" else (lambda v: v)
    rows = [
        (
            e.case_id,
            e.kind,
            None,
            data_field.get_db_prep_save(e.data, connection),
            adapt(e.created_at),
        )
        for e in events
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _sqlite_datetime(value: datetime | None) -> str | None:
    # What Django's SQLite backend stores (naive UTC, str()), without its per-value checks.
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return str(value.replace(tzinfo=None))


def _update_many(model, fields: tuple[str, ...], key: str, rows: list[tuple]) -> None:
    """UPDATE … WHERE key = ? for many rows in one executemany: the recompute writes every open
    case's due times, and per-row ORM updates (or bulk_update's CASE expressions) cost far more."""
    if not rows:
        return
    meta = model._meta
    columns = ", ".join(
        f"{connection.ops.quote_name(meta.get_field(f).column)} = %s" for f in fields
    )
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {columns} "  # noqa: S608
        f"WHERE {connection.ops.quote_name(meta.get_field(key).column)} = %s"
    )
    datetime_fields = {
        i for i, f in enumerate(fields) if meta.get_field(f).get_internal_type() == "DateTimeField"
    }
    adapt = _sqlite_datetime if connection.vendor == "sqlite" else (lambda v: v)
    values = [
        tuple(adapt(v) if i in datetime_fields else v for i, v in enumerate(row)) for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


# --- Alerts ------------------------------------------------------------------------------------


def alert_key(run: RunResult | CaseTarget, rule: EscalationRule, due: datetime) -> str:
    return f"{run.kind}:{run.seq}:{rule.pk}:{due.astimezone(UTC).isoformat()}"


def rule_applies(rule: EscalationRule, kind: str, policy_id: int | None) -> bool:
    return (not rule.target_kind or rule.target_kind == kind) and (
        rule.policy_id is None or rule.policy_id == policy_id
    )


def alert_fire_at(
    rule: EscalationRule, *, due: datetime, target_minutes: int, schedule: Schedule
) -> datetime:
    if rule.moment == AlertMoment.BEFORE_DUE:
        margin = min(rule.minutes, target_minutes * AT_RISK_SHARE)
        return business_time_subtract(schedule, due, timedelta(minutes=margin))
    return business_time_add(schedule, due, timedelta(minutes=rule.minutes))


def _next_alert_at(
    runs: Iterable[RunResult | _RunningTarget],
    rules: list[EscalationRule],
    policy_id: int | None,
    schedule: Schedule,
    sent: set[str],
    now: datetime,
    *,
    history: bool = False,
) -> datetime | None:
    best = None
    for run in runs:
        if run.due_at is None or run.target_minutes is None:
            continue
        for rule in rules:
            if not rule_applies(rule, run.kind, policy_id):
                continue
            if sent and alert_key(run, rule, run.due_at) in sent:
                continue
            if rule.moment == AlertMoment.BEFORE_DUE and run.due_at <= now:
                continue  # too late to warn; the escalation rules take over
            at = alert_fire_at(
                rule, due=run.due_at, target_minutes=run.target_minutes, schedule=schedule
            )
            if history and at < now:
                continue
            best = at if best is None else min(best, at)
    return best


# Alerts due within the same slot are sent by the same task (so at most this late).
ALERT_SLOT = timedelta(minutes=5)


def alert_slot_of(at: datetime) -> datetime:
    """The end of the slot holding `at` (the task runs then, so the alert is never early)."""
    step = int(ALERT_SLOT.total_seconds())
    seconds = int(at.timestamp())
    ceiling = -(-seconds // step) * step
    if ceiling == seconds and at.microsecond:
        ceiling += step
    return datetime.fromtimestamp(ceiling, tz=UTC)


def alerts_schedule(times: set[datetime]) -> int:
    """Queue one task per slot not queued yet (after commit). Returns the slots queued."""
    if not times:
        return 0
    slots = {alert_slot_of(at) for at in times}
    known = set(AlertSlot.objects.filter(run_at__in=slots).values_list("run_at", flat=True))
    new = sorted(slots - known)
    if not new:
        return 0
    AlertSlot.objects.bulk_create([AlertSlot(run_at=at) for at in new], ignore_conflicts=True)
    from guichet.sla.tasks import sla_alerts_due

    def enqueue() -> None:
        if not sla_alerts_due.get_backend().supports_defer:
            logger.info("tasks backend cannot defer: %d alert slot(s) not scheduled", len(new))
            return
        for at in new:
            sla_alerts_due.using(run_after=at).enqueue(at.isoformat())

    transaction.on_commit(enqueue, robust=True)
    return len(new)


def alerts_due(*, at: datetime, now: datetime | None = None) -> int:
    """The task of a slot: every clock whose next alert is due by `at` (an index range on
    `next_alert_at`), each sent by `alerts_send`. Returns notifications sent."""
    now = max(now or timezone.now(), at)
    AlertSlot.objects.filter(run_at__lte=at).delete()
    due = list(
        CaseClock.objects.filter(next_alert_at__lte=at)
        .order_by("next_alert_at")
        .values_list("case_id", "next_alert_at")
    )
    sent = 0
    for case_id, expected in due:
        try:
            sent += alerts_send(case_id=case_id, expected_at=expected, now=now)
        except Exception:  # one case's failure must not hold back the others' alerts
            logger.exception("SLA alerts of case %s failed", case_id)
    return sent


def _recipients(rule: EscalationRule, case: Case) -> list[User]:
    people: list[User | None]
    supervisor = case.team.supervisor if case.team_id and case.team else None
    if rule.recipient == Recipient.OWNER:
        people = [case.owner or supervisor]
    elif rule.recipient == Recipient.TEAM_SUPERVISOR:
        people = [supervisor]
    else:
        people = [rule.user]
    return [p for p in people if p is not None and p.is_active]


def alerts_send(*, case_id: int, expected_at: datetime, now: datetime | None = None) -> int:
    """Send the alerts of a case that are due now; called by the task scheduled at
    `expected_at`. Does nothing when the clock has moved on since. Returns notifications sent."""
    now = now or timezone.now()
    sent_count = 0
    with transaction.atomic():
        clock = (
            CaseClock.objects.select_for_update(of=("self",))
            .select_related("case__owner", "case__team__supervisor", "calendar")
            .filter(case_id=case_id)
            .first()
        )
        if clock is None or clock.next_alert_at != expected_at:
            return 0
        case = clock.case
        context = sla_context_load()
        schedule = context.schedule_for(clock.calendar)
        sent = set(
            CaseEvent.objects.filter(case=case, kind__in=ALERT_KINDS).values_list(
                "data__key", flat=True
            )
        )
        running = CaseTarget.objects.filter(
            case=case, outcome=Outcome.OPEN, due_at__isnull=False, target_minutes__isnull=False
        )
        for target in running:
            for rule in context.rules:
                if not rule_applies(rule, target.kind, clock.policy_id):
                    continue
                key = alert_key(target, rule, target.due_at)
                if key in sent:
                    continue
                fire_at = alert_fire_at(
                    rule, due=target.due_at, target_minutes=target.target_minutes, schedule=schedule
                )
                if fire_at > now:
                    continue
                if rule.moment == AlertMoment.BEFORE_DUE and target.due_at <= now:
                    continue
                sent_count += _alert_deliver(case, target, rule, key, now)
                sent.add(key)
    clock_sync(case_id=case_id, now=now)
    return sent_count


def _alert_deliver(
    case: Case, target: CaseTarget, rule: EscalationRule, key: str, now: datetime
) -> int:
    breach = rule.moment == AlertMoment.AFTER_BREACH
    people = _recipients(rule, case)
    created = 0
    for person in people:
        message = _alert_message(case, target, breach=breach, language=person.language)
        if rule.in_app:
            _, new = Notification.objects.get_or_create(
                recipient=person,
                key=f"sla:{case.pk}:{key}",
                defaults={
                    "case": case,
                    "kind": NotificationKind.SLA_BREACH if breach else NotificationKind.SLA_WARNING,
                    "message": message[:500],
                    "created_at": now,
                },
            )
            created += int(new)
        if rule.email and person.email:
            _email_on_commit(person, case, target, message, breach=breach)
    event_record(
        case=case,
        kind=EventKind.SLA_BREACHED if breach else EventKind.SLA_WARNING,
        actor=None,
        at=now,
        key=key,
        target=target.kind,
        seq=target.seq,
        due=target.due_at.isoformat(),
        rule=rule.name,
        notified=[p.pk for p in people],
    )
    return created


def _kind_label(kind: str) -> str:
    return {
        "first_response": _("first response"),
        "next_response": _("next response"),
        "resolution": _("resolution"),
    }.get(kind, kind)


def _alert_message(case: Case, target: CaseTarget, *, breach: bool, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        due = timezone.localtime(target.due_at).strftime("%Y-%m-%d %H:%M")
        values = {"reference": case.reference, "target": _kind_label(target.kind), "due": due}
        if breach:
            return _("%(reference)s: the %(target)s target was missed (due %(due)s).") % values
        return _("%(reference)s: the %(target)s is due at %(due)s.") % values


def case_url(case: Case) -> str:
    try:
        path = reverse("workspace:case", kwargs={"reference": case.reference})
    except NoReverseMatch:
        path = f"/api/v1/cases/{case.reference}"
    return f"{settings.GUICHET_BASE_URL}{path}"


def _email_on_commit(
    person: User, case: Case, target: CaseTarget, message: str, *, breach: bool
) -> None:
    def send() -> None:
        with translation.override(person.language or settings.LANGUAGE_CODE):
            context = {
                "case": case,
                "message": message,
                "breach": breach,
                "url": case_url(case),
                "person": person,
            }
            subject = render_to_string("sla/email/alert_subject.txt", context).strip()
            body = render_to_string("sla/email/alert.txt", context)
        EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
            headers={"Auto-Submitted": "auto-generated"},
        ).send()

    transaction.on_commit(send, robust=True)


# --- Notifications ------------------------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise NotFound(_("Notification not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- Hooks (registered in SlaConfig.ready) ------------------------------------------------------


def on_case_changed(*, case_id: int, **_payload) -> None:
    clock_sync(case_id=case_id)


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
