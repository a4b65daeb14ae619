"""Operational metrics of one case, computed from its contacts and timeline only (pure).

The selectors load `CaseHistory` values from the Contact and CaseEvent rows; these functions
turn each history into `CaseFacts`; the barometer counts facts. Definitions (docs/metrics.md,
BRIEF "Metrics", REQ-MET-01/09/10):

- resolution: the case's FIRST status change to "resolved" (a close without resolution — spam,
  duplicate, merge — is not a resolution). Merged duplicates are left out entirely: their
  contacts moved to the case that carries on.
- customer contact: a customer message, or an inbound call.
- agent response: a public reply, or a call (either way).
- repeat contact within W days after resolution T (T < t ≤ T + W): a customer contact on the
  case, a reopening, or a new case of the same customer on ANY channel in the same category
  (when either case has no category, any new case counts: we cannot tell them apart).
- operational FCR: resolved after exactly one agent response, with no customer contact after
  that response before resolution, and no repeat contact within W. A case resolved by a note
  only had no agent response: it is resolved, but not at the first contact.
- a case whose T + W is after `now` is not counted yet, either way (`fcr` is None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

RESOLVED = "resolved"
WAITING = "waiting_customer"
CUSTOMER_MESSAGE = "customer_message"
AGENT_RESPONSE_KINDS = frozenset({"reply", "call"})
STATUS_EVENTS = frozenset({"status_changed", "reopened"})


@dataclass(frozen=True)
class ContactRow:
    at: datetime
    kind: str
    direction: str = ""
    channel: str = ""

    @property
    def from_customer(self) -> bool:
        return self.kind == CUSTOMER_MESSAGE or (
            self.kind == "call" and self.direction == "inbound"
        )

    @property
    def agent_response(self) -> bool:
        return self.kind in AGENT_RESPONSE_KINDS

    @property
    def inbound(self) -> bool:
        return self.direction == "inbound"


@dataclass(frozen=True)
class EventRow:
    at: datetime
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OtherCase:
    """Another case of the same customer: enough to tell a repeat contact."""

    case_id: int
    created_at: datetime
    category_id: int | None


@dataclass
class CaseHistory:
    case_id: int
    created_at: datetime
    category_id: int | None = None
    merged: bool = False
    contacts: list[ContactRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    first_contact_at: datetime
    first_response_at: datetime | None
    first_response_seconds: float | None
    resolved_at: datetime | None
    resolution_seconds: float | None
    agent_responses: int
    # Exactly one agent response and no customer contact after it before resolution.
    single_response: bool
    transfers: int
    # Seconds from resolution to the customer's first repeat contact / first reopening (any
    # distance; None if none yet). Stored, so "within W" is decided at query time.
    repeat_delay_seconds: float | None
    reopen_delay_seconds: float | None
    # None: not resolved, merged, or resolved less than the window ago (not counted yet).
    fcr: bool | None
    repeat_contact: bool | None
    reopened: bool | None
    # The same durations counted in the business calendar's opening hours (None without one).
    first_response_business_seconds: float | None = None
    resolution_business_seconds: float | None = None
    # Customer effort (guichet.proximity's figures on the barometer): inbound contacts of the
    # case, times the next inbound contact came on another channel than the one before, and
    # seconds from the first contact to the first event naming an owner (None: never owned).
    inbound_contacts: int = 0
    channel_switches: int = 0
    owner_wait_seconds: float | None = None
    # Contacts from the customer up to the resolution, at least 1 (the one that opened the
    # case, whoever made it): the numerator of "contacts per resolved issue" (REQ-MET-02).
    contacts_to_resolution: int = 0


OWNER_EVENTS = frozenset({"assigned", "transferred"})


def first_owner_at(events: Sequence[EventRow]) -> datetime | None:
    """When an event first named an owner (an assignment or transfer to someone)."""
    times = [e.at for e in events if e.kind in OWNER_EVENTS and e.data.get("owner_id") is not None]
    return min(times) if times else None


def channel_switches(contacts: Sequence[ContactRow]) -> int:
    """Times an inbound contact came on another channel than the inbound contact before it
    (`contacts` in time order)."""
    channels = [c.channel for c in contacts if c.inbound]
    return sum(1 for a, b in pairwise(channels) if a != b)


def first_resolution(events: Sequence[EventRow]) -> datetime | None:
    times = [e.at for e in events if e.kind == "status_changed" and e.data.get("new") == RESOLVED]
    return min(times) if times else None


def waiting_intervals(
    events: Sequence[EventRow], *, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The stretches between start and end during which the case waited on the customer."""
    intervals: list[tuple[datetime, datetime]] = []
    waiting_since: datetime | None = None
    for event in sorted((e for e in events if e.kind in STATUS_EVENTS), key=lambda e: e.at):
        if event.at > end:
            break
        new, old = event.data.get("new"), event.data.get("old")
        if new == WAITING and waiting_since is None:
            waiting_since = max(event.at, start)
        elif old == WAITING and waiting_since is not None:
            if max(event.at, start) > waiting_since:
                intervals.append((waiting_since, max(event.at, start)))
            waiting_since = None
    if waiting_since is not None and end > waiting_since:
        intervals.append((waiting_since, end))
    return intervals


def waiting_seconds(events: Sequence[EventRow], *, start: datetime, end: datetime) -> float:
    """Seconds between start and end during which the case waited on the customer."""
    return sum((b - a).total_seconds() for a, b in waiting_intervals(events, start=start, end=end))


def first_repeat_after(
    history: CaseHistory, *, resolved_at: datetime, other_cases: Sequence[OtherCase] = ()
) -> datetime | None:
    """When the customer first came back after the resolution (any distance), or None."""
    times = [c.at for c in history.contacts if c.at > resolved_at and c.from_customer]
    times += [e.at for e in history.events if e.at > resolved_at and e.kind == "reopened"]
    for other in other_cases:
        if other.case_id == history.case_id or other.created_at <= resolved_at:
            continue
        if (
            history.category_id is None
            or other.category_id is None
            or other.category_id == history.category_id
        ):
            times.append(other.created_at)
    return min(times) if times else None


def case_facts(
    history: CaseHistory,
    *,
    now: datetime,
    fcr_window: timedelta = timedelta(days=7),
    reopen_window: timedelta = timedelta(days=14),
    other_cases: Sequence[OtherCase] = (),
    business_seconds: Callable[[datetime, datetime], float] | None = None,
) -> CaseFacts:
    """`business_seconds(a, b)`, when given, measures durations in the opening hours of the
    business calendar too (REQ-MET-06); calendar time is always given."""
    contacts = sorted(history.contacts, key=lambda c: c.at)
    customer_times = [c.at for c in contacts if c.from_customer]
    first_contact = customer_times[0] if customer_times else history.created_at
    first_response = next(
        (c.at for c in contacts if c.agent_response and c.at >= first_contact), None
    )
    resolved_at = None if history.merged else first_resolution(history.events)
    transfers = sum(1 for e in history.events if e.kind == "transferred")
    owner_at = first_owner_at(history.events)

    resolution_seconds = repeat_delay = reopen_delay = None
    response_business = resolution_business = None
    if business_seconds is not None and first_response is not None:
        response_business = business_seconds(first_contact, first_response)
    agent_responses = 0
    contacts_to_resolution = 0
    single_response = False
    fcr = repeat = reopened = None
    if resolved_at is not None:
        waits = waiting_intervals(history.events, start=first_contact, end=resolved_at)
        resolution_seconds = max(
            0.0,
            (resolved_at - first_contact).total_seconds()
            - sum((b - a).total_seconds() for a, b in waits),
        )
        if business_seconds is not None:
            resolution_business = max(
                0.0,
                business_seconds(first_contact, resolved_at)
                - sum(business_seconds(a, b) for a, b in waits),
            )
        responses = [c.at for c in contacts if c.agent_response and c.at <= resolved_at]
        agent_responses = len(responses)
        contacts_to_resolution = max(1, sum(1 for t in customer_times if t <= resolved_at))
        # One answer, and the customer did not have to write or call again before resolution.
        single_response = agent_responses == 1 and not any(
            responses[0] < t <= resolved_at for t in customer_times
        )
        came_back = first_repeat_after(history, resolved_at=resolved_at, other_cases=other_cases)
        if came_back is not None:
            repeat_delay = (came_back - resolved_at).total_seconds()
        reopenings = [e.at for e in history.events if e.kind == "reopened" and e.at > resolved_at]
        if reopenings:
            reopen_delay = (min(reopenings) - resolved_at).total_seconds()
        if resolved_at + fcr_window <= now:
            repeat = repeat_delay is not None and repeat_delay <= fcr_window.total_seconds()
            fcr = single_response and not repeat
        if resolved_at + reopen_window <= now:
            reopened = reopen_delay is not None and reopen_delay <= reopen_window.total_seconds()
    return CaseFacts(
        case_id=history.case_id,
        first_contact_at=first_contact,
        first_response_at=first_response,
        first_response_seconds=(
            (first_response - first_contact).total_seconds() if first_response else None
        ),
        first_response_business_seconds=response_business,
        resolved_at=resolved_at,
        resolution_seconds=resolution_seconds,
        resolution_business_seconds=resolution_business,
        agent_responses=agent_responses,
        single_response=single_response,
        transfers=transfers,
        repeat_delay_seconds=repeat_delay,
        reopen_delay_seconds=reopen_delay,
        fcr=fcr,
        repeat_contact=repeat,
        reopened=reopened,
        inbound_contacts=sum(1 for c in contacts if c.inbound),
        channel_switches=channel_switches(contacts),
        owner_wait_seconds=(
            None if owner_at is None else max(0.0, (owner_at - first_contact).total_seconds())
        ),
        contacts_to_resolution=contacts_to_resolution,
    )


BACKLOG_STATUSES = frozenset({"new", "open"})


def backlog_spans(history: CaseHistory) -> list[tuple[datetime, datetime | None]]:
    """The stretches during which the case was new or open, from its status events (a case
    starts "new" when created). Merged duplicates were closed by the merge like any case."""
    spans: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = history.created_at
    for event in sorted((e for e in history.events if e.kind in STATUS_EVENTS), key=lambda e: e.at):
        active = event.data.get("new") in BACKLOG_STATUSES
        if active and since is None:
            since = event.at
        elif not active and since is not None:
            if event.at > since:
                spans.append((since, event.at))
            since = None
    if since is not None:
        spans.append((since, None))
    return spans
