"""Replaying a case's event log into its service clocks. Pure: no database.

The event log (CaseEvent) is the only input, so the clocks of a case are the same whichever order
the after-commit hooks run in, and can be rebuilt at any time (`guichet sla rebuild`):

- "created" starts the first-response and resolution runs;
- an agent's reply or call ends the first-response run, and the next-response run if one is open;
- a customer's message after the first response starts a next-response run (one per unanswered
  message: the customer has been waiting since the first of them);
- "waiting_customer" pauses every running run (when the policy says so); leaving it resumes them;
- resolving ends every run (a resolved case needs no further answer); closing an unresolved case
  (spam, duplicate, merge) ends them unmeasured; reopening resumes the resolution run, the time
  it spent resolved counting as paused;
- a priority change, or an "sla_policy" event (a new policy or new targets), changes the target
  of every open run: the due time is recomputed from the run's start, and the change is reported
  so the caller can write why in the event log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from guichet.cases.choices import AGENT_RESPONSE_KINDS, CaseStatus, ContactKind, EventKind
from guichet.sla.businesstime import Schedule, business_time_add, business_time_between
from guichet.sla.choices import AT_RISK_SHARE, Outcome, TargetKind

ZERO = timedelta(0)
KINDS = (TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE, TargetKind.RESOLUTION)
FINISHED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


@dataclass(frozen=True)
class Terms:
    """What a policy promises: minutes per priority and target kind, and whether to pause."""

    policy_id: int | None
    name: str
    minutes: dict[str, dict[str, int | None]]
    pause_when_waiting: bool = True

    def target(self, priority: str, kind: str) -> int | None:
        return self.minutes.get(priority, {}).get(kind)

    def as_data(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "policy": self.name,
            "minutes": self.minutes,
            "pause_when_waiting": self.pause_when_waiting,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Terms:
        return cls(
            policy_id=data.get("policy_id"),
            name=data.get("policy", ""),
            minutes=data.get("minutes") or {},
            pause_when_waiting=data.get("pause_when_waiting", True),
        )


@dataclass(frozen=True)
class Step:
    """One event of the case timeline, as the replay needs it."""

    at: datetime
    kind: str
    data: dict[str, Any]
    event_id: int = 0


@dataclass
class Run:
    """One run of one target; times are instants, `pauses` are [start, end or None]."""

    kind: str
    seq: int
    started_at: datetime
    priority: str
    target_minutes: int | None
    pauses: list[list[Any]] = field(default_factory=list)
    ended_at: datetime | None = None
    cancelled: bool = False

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def paused_since(self) -> datetime | None:
        return self.pauses[-1][0] if self.pauses and self.pauses[-1][1] is None else None

    def segments(self, until: datetime | None) -> Iterator[tuple[datetime, datetime | None]]:
        """The running stretches of the run, up to `until` (None: the last one is open-ended)."""
        start: datetime | None = self.started_at
        for p_start, p_end in self.pauses:
            if until is not None and p_start >= until:
                break
            if start is not None and p_start > start:
                yield start, p_start
            start = p_end
            if start is None:
                return
        if start is not None and (until is None or start < until):
            yield start, until

    def elapsed(self, schedule: Schedule, until: datetime) -> timedelta:
        return sum(
            (business_time_between(schedule, a, b) for a, b in self.segments(until) if b),
            ZERO,
        )

    def reach(
        self, schedule: Schedule, amount: timedelta, until: datetime | None
    ) -> datetime | None:
        """The instant the run's business time reaches `amount`, if it does before `until`."""
        left = amount
        for a, b in self.segments(until):
            if b is None:
                return business_time_add(schedule, a, left)
            spent = business_time_between(schedule, a, b)
            if spent >= left:
                return business_time_add(schedule, a, left)
            left -= spent
        return None

    def paused_total(self, schedule: Schedule, until: datetime) -> tuple[timedelta, timedelta]:
        calendar, business = ZERO, ZERO
        for p_start, p_end in self.pauses:
            end = min(p_end or until, until)
            if end > p_start:
                calendar += end - p_start
                business += business_time_between(schedule, p_start, end)
        return calendar, business


@dataclass(frozen=True)
class RunResult:
    """A run as stored (CaseTarget) and shown."""

    kind: str
    seq: int
    priority: str
    started_at: datetime
    target_minutes: int | None
    due_at: datetime | None
    risk_at: datetime | None
    breached_at: datetime | None
    paused_since: datetime | None
    paused_seconds: int
    paused_business_seconds: int
    ended_at: datetime | None
    outcome: str
    business_seconds: int | None
    calendar_seconds: int | None


@dataclass(frozen=True)
class Change:
    """Targets of open runs changed because of a priority change or a new policy/terms."""

    at: datetime
    event_id: int
    reason: str  # "priority" | "policy"
    detail: dict[str, Any]
    targets: list[dict[str, Any]]


@dataclass(frozen=True)
class Replay:
    runs: list[RunResult]
    changes: list[Change]
    priority: str
    paused_since: datetime | None
    terms: Terms


def _due(run: Run, schedule: Schedule) -> datetime | None:
    if run.target_minutes is None or not run.is_open or run.paused_since is not None:
        return None
    return run.reach(schedule, timedelta(minutes=run.target_minutes), None)


def _result(run: Run, schedule: Schedule, now: datetime) -> RunResult:
    until = run.ended_at or max(now, run.started_at)
    # For a paused run, the stored pause totals stop where the current pause began: readers add
    # the pause under way themselves, up to the moment they read.
    calendar_paused, business_paused = run.paused_total(schedule, run.paused_since or until)
    target = timedelta(minutes=run.target_minutes) if run.target_minutes is not None else None
    due = _due(run, schedule)
    risk = (
        run.reach(schedule, target * (1 - AT_RISK_SHARE), None)
        if target is not None and due is not None
        else None
    )
    breached_at = None
    if due is not None:  # running: missed once the due time is behind us
        breached_at = due if due < until else None
    elif target is not None and not run.cancelled:
        reached = run.reach(schedule, target, until)
        if reached is not None and reached < until:
            breached_at = reached
        if not run.is_open:
            # A finished run keeps the due time it had, on the calendar of the time: the
            # sync does not recount a finished run when the calendar changes later.
            due = run.reach(schedule, target, None)
    business = calendar = None
    if run.is_open:
        outcome = Outcome.OPEN
    else:
        business = run.elapsed(schedule, until)
        calendar = until - run.started_at - calendar_paused
        if run.cancelled or target is None:
            outcome = Outcome.CANCELLED
        else:
            outcome = Outcome.MET if business <= target else Outcome.BREACHED
    return RunResult(
        kind=run.kind,
        seq=run.seq,
        priority=run.priority,
        started_at=run.started_at,
        target_minutes=run.target_minutes,
        due_at=due,
        risk_at=risk,
        breached_at=breached_at,
        paused_since=run.paused_since,
        paused_seconds=int(calendar_paused.total_seconds()),
        paused_business_seconds=int(business_paused.total_seconds()),
        ended_at=run.ended_at,
        outcome=outcome,
        business_seconds=int(business.total_seconds()) if business is not None else None,
        calendar_seconds=int(calendar.total_seconds()) if calendar is not None else None,
    )


def clock_replay(
    *, steps: Iterable[Step], terms: Terms, schedule: Schedule, now: datetime
) -> Replay:
    """Replay the timeline (in order) into runs. `terms` apply from the start; "sla_policy"
    steps replace them from their time on."""
    runs: list[Run] = []
    changes: list[Change] = []
    priority = "normal"
    status = CaseStatus.NEW
    paused_since: datetime | None = None
    started = False
    last_at: datetime | None = None

    def open_runs() -> list[Run]:
        return [r for r in runs if r.is_open]

    def start(kind: str, seq: int, at: datetime) -> None:
        run = Run(kind, seq, at, priority, terms.target(priority, kind))
        if paused_since is not None:
            run.pauses.append([at, None])
        runs.append(run)

    def end(run: Run, at: datetime, *, cancelled: bool = False) -> None:
        if run.paused_since is not None:
            run.pauses[-1][1] = at
        run.ended_at = at
        run.cancelled = cancelled

    def retarget(at: datetime, step: Step, reason: str, detail: dict[str, Any]) -> None:
        moved = []
        for run in open_runs():
            new = terms.target(priority, run.kind)
            if new == run.target_minutes and run.priority == priority:
                continue
            old_due = _due(run, schedule) if new != run.target_minutes else None
            old = run.target_minutes
            run.priority, run.target_minutes = priority, new
            if old != new:
                moved.append(
                    {
                        "kind": run.kind,
                        "seq": run.seq,
                        "old_minutes": old,
                        "new_minutes": new,
                        "old_due": old_due.isoformat() if old_due else None,
                        "new_due": (d.isoformat() if (d := _due(run, schedule)) else None),
                    }
                )
        if moved:
            changes.append(Change(at, step.event_id, reason, detail, moved))

    for step in steps:
        at = step.at if last_at is None else max(step.at, last_at)
        last_at = at
        data = step.data or {}
        if step.kind == EventKind.CREATED and not started:
            started = True
            priority = data.get("priority") or priority
            start(TargetKind.FIRST_RESPONSE, 0, at)
            start(TargetKind.RESOLUTION, 0, at)
        elif not started:
            continue
        elif step.kind == EventKind.CONTACT_ADDED:
            contact_kind = data.get("contact_kind")
            if contact_kind == ContactKind.CUSTOMER_MESSAGE:
                first_done = any(
                    r.kind == TargetKind.FIRST_RESPONSE and not r.is_open for r in runs
                )
                waiting = any(r.kind == TargetKind.NEXT_RESPONSE for r in open_runs())
                if first_done and not waiting:
                    seq = 1 + sum(r.kind == TargetKind.NEXT_RESPONSE for r in runs)
                    start(TargetKind.NEXT_RESPONSE, seq, at)
            elif contact_kind in AGENT_RESPONSE_KINDS:
                for run in open_runs():
                    if run.kind in (TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE):
                        end(run, at)
        elif step.kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
            old, new = data.get("old", status), data.get("new", status)
            status = new
            if new in FINISHED and old not in FINISHED:
                measured = new == CaseStatus.RESOLVED
                for run in open_runs():
                    end(run, at, cancelled=not measured)
                paused_since = None
            elif old in FINISHED and new not in FINISHED:
                for run in runs:
                    if run.kind == TargetKind.RESOLUTION and run.ended_at is not None:
                        # The resolved (or closed) stretch counts as paused.
                        run.pauses.append([run.ended_at, at])
                        run.ended_at, run.cancelled = None, False
                if new == CaseStatus.WAITING_CUSTOMER and terms.pause_when_waiting:
                    paused_since = at
                    for run in open_runs():
                        run.pauses.append([at, None])
            elif new == CaseStatus.WAITING_CUSTOMER and terms.pause_when_waiting:
                if paused_since is None:
                    paused_since = at
                    for run in open_runs():
                        if run.paused_since is None:
                            run.pauses.append([at, None])
            elif old == CaseStatus.WAITING_CUSTOMER and paused_since is not None:
                paused_since = None
                for run in open_runs():
                    if run.paused_since is not None:
                        run.pauses[-1][1] = at
        elif step.kind == EventKind.PRIORITY_CHANGED:
            old_priority, priority = priority, data.get("new") or priority
            retarget(at, step, "priority", {"old": old_priority, "new": priority})
        elif step.kind == EventKind.SLA_POLICY:
            # A pause under way carries on; only later waits follow a new pausing rule.
            old_terms, terms = terms, Terms.from_data(data)
            retarget(
                at,
                step,
                "policy",
                {"old": old_terms.name, "new": terms.name, "cause": data.get("cause", "")},
            )

    return Replay(
        runs=[_result(run, schedule, now) for run in runs],
        changes=changes,
        priority=priority,
        paused_since=paused_since,
        terms=terms,
    )
