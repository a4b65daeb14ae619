"""Keep `CaseFact` rows equal to `metrics.case_facts` of each case's contacts and timeline.

Called after commit by the case hooks (tasks.py), and in full by `guichet barometer_refresh`.
The rows do not depend on the current time, so nothing needs refreshing as days pass."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from guichet.cases.models import Case, CaseEvent, Contact
from guichet.surveys.metrics import (
    CaseHistory,
    ContactRow,
    EventRow,
    OtherCase,
    backlog_spans,
    case_facts,
)
from guichet.surveys.models import BacklogSpan, CaseFact, SurveyInvitation
from guichet.surveys.stamps import figure_days_touch, local_day

EVENT_KINDS = ("status_changed", "reopened", "transferred", "assigned")
BATCH = 500
BACKLOG_SHORT_DAYS = 30
FACT_FIELDS = [
    "channel",
    "team_id",
    "owner_id",
    "category_id",
    "segment",
    "customer_id",
    "created_at",
    "first_response_seconds",
    "resolved_at",
    "resolution_seconds",
    "first_response_business_seconds",
    "resolution_business_seconds",
    "agent_responses",
    "single_response",
    "transfers",
    "repeat_delay_seconds",
    "reopen_delay_seconds",
    "merged",
    "inbound_contacts",
    "channel_switches",
    "owner_wait_seconds",
    "contacts_to_resolution",
]


class BusinessClock:
    """Business seconds between instants by prefix sums over days: the open time of every local
    day since 2000 is added up once, so each duration costs two look-ups instead of a walk over
    its days (a case open for weeks). Agrees with guichet.sla's business_time_between (tested)."""

    BASE = date(2000, 1, 1).toordinal()

    def __init__(self, schedule: Any) -> None:
        self.schedule = schedule
        self.prefix = [0]  # open µs of the days BASE .. BASE + i - 1
        self.day_spans: dict[int, list] = {}  # a day's open stretches, looked up once

    def _before(self, ordinal: int) -> int:
        while len(self.prefix) <= ordinal - self.BASE:
            day = self.BASE + len(self.prefix) - 1
            self.prefix.append(self.prefix[-1] + self.schedule.spans(day)[1])
        return self.prefix[ordinal - self.BASE]

    def _until(self, instant: datetime) -> int:
        from guichet.sla.businesstime import to_microseconds

        ordinal = instant.astimezone(self.schedule.tz).date().toordinal()
        at = to_microseconds(instant)
        spans = self.day_spans.get(ordinal)
        if spans is None:
            spans = self.day_spans[ordinal] = self.schedule.spans(ordinal)[0]
        within = sum(min(b, at) - a for a, b in spans if at > a)
        return self._before(ordinal) + within

    def seconds(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        if start.date().toordinal() < self.BASE:
            from guichet.sla.businesstime import business_time_between

            return business_time_between(self.schedule, start, end).total_seconds()
        return (self._until(end) - self._until(start)) / 1_000_000


class CaseCalendars:
    """Each case's business calendar as guichet.sla chooses it (REQ-MET-06): the calendar of the
    first matching service policy, else the team's calendar, else "default" — the rule of
    `SlaContext.calendar_for`, loaded once for a batch of cases. One BusinessClock per calendar."""

    def __init__(self) -> None:
        from guichet.sla.selectors import sla_context_load

        self.context = sla_context_load()
        self.clocks: dict[int | None, BusinessClock] = {}
        # Without conditional policies the policy cannot depend on the case.
        self.uniform = not self.context.policies

    def calendar_id(self, row: dict[str, Any]) -> int | None:
        policy = (
            self.context.default_policy
            if self.uniform
            else self.context.policy_for(_PolicyCase(row))  # type: ignore[arg-type]
        )
        calendar = self.context.calendar_for(policy, row["team_id"])
        return calendar.pk if calendar is not None else None

    def seconds_function(self, row: dict[str, Any]) -> Callable[[datetime, datetime], float]:
        key = self.calendar_id(row)
        if key not in self.clocks:
            calendar = self.context.calendar_by_id(key) if key is not None else None
            self.clocks[key] = BusinessClock(self.context.schedule_for(calendar))
        return self.clocks[key].seconds


class _PolicyCase:
    """What `guichet.sla.selectors.policy_matches` reads of a case and its customer, from the
    values already loaded (no model instances for a million cases)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.channel = row["channel"]
        self.category_id = row["category_id"]
        self.team_id = row["team_id"]
        organisation_id = row["customer__organisation_id"]
        organisation = (
            _Namespace(segment=row["customer__organisation__segment"] or "")
            if organisation_id is not None
            else None
        )
        self.customer = _Namespace(
            segment=row["customer__segment"] or "",
            organisation_id=organisation_id,
            organisation=organisation,
        )


class _Namespace:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def _chunks(ids: list[int], size: int = BATCH) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _raw(qs: QuerySet) -> list[tuple]:
    """Rows of a values_list query straight from the cursor: Django's per-value converters
    cost more than the query itself at hundreds of thousands of rows (see _when)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _when(value: datetime | str) -> datetime:
    """A timestamp as the driver returns it: aware on PostgreSQL, UTC text on SQLite."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def case_histories_load(
    *, case_ids: Iterable[int]
) -> tuple[dict[int, dict], dict[int, CaseHistory]]:
    """The cases' own columns and their histories, in four queries per batch."""
    ids = sorted(set(case_ids))
    rows = {
        r["id"]: r
        for r in Case.objects.filter(pk__in=ids).values(
            "id",
            "created_at",
            "category_id",
            "merged_into_id",
            "customer_id",
            "channel",
            "team_id",
            "owner_id",
            "customer__segment",
            "customer__organisation_id",
            "customer__organisation__segment",
        )
    }
    histories = {
        pk: CaseHistory(
            case_id=pk,
            created_at=r["created_at"],
            category_id=r["category_id"],
            merged=r["merged_into_id"] is not None,
        )
        for pk, r in rows.items()
    }
    # In time order, ties by id: channel switches depend on the order of same-time contacts.
    contacts = (
        Contact.objects.filter(case_id__in=ids)
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "created_at", "kind", "direction", "channel")
    )
    for case_id, at, kind, direction, channel in _raw(contacts):
        histories[case_id].contacts.append(
            ContactRow(at=_when(at), kind=kind, direction=direction, channel=channel)
        )
    # Filtered on the case only, kinds in Python: given a kind, SQLite would pick the (kind, time)
    # index and read every status event of the database for each batch.
    events = (
        CaseEvent.objects.filter(case_id__in=ids)
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "created_at", "kind", "data")
    )
    for case_id, at, kind, data in _raw(events):
        if kind in EVENT_KINDS:
            if isinstance(data, str | bytes):
                data = json.loads(data)
            histories[case_id].events.append(EventRow(at=_when(at), kind=kind, data=data or {}))
    return rows, histories


def _other_cases(customer_ids: set[int]) -> dict[int, list[OtherCase]]:
    found: dict[int, list[OtherCase]] = defaultdict(list)
    rows = Case.objects.filter(customer_id__in=customer_ids).values_list(
        "id", "customer_id", "created_at", "category_id"
    )
    for pk, customer_id, created_at, category_id in _raw(rows):
        found[customer_id].append(
            OtherCase(case_id=pk, created_at=_when(created_at), category_id=category_id)
        )
    return found


def case_fact_rows(*, case_ids: Iterable[int], now: datetime | None = None) -> list[CaseFact]:
    """Unsaved CaseFact rows computed from scratch for these cases."""
    return case_derived_rows(case_ids=case_ids, now=now)[0]


def case_derived_rows(
    *, case_ids: Iterable[int], now: datetime | None = None
) -> tuple[list[CaseFact], list[BacklogSpan]]:
    """Unsaved CaseFact and BacklogSpan rows computed from scratch for these cases."""
    now = now or timezone.now()
    facts: list[CaseFact] = []
    spans: list[BacklogSpan] = []
    short = timedelta(days=BACKLOG_SHORT_DAYS)
    calendars = CaseCalendars()
    for chunk in _chunks(sorted(set(case_ids))):
        rows, histories = case_histories_load(case_ids=chunk)
        others = _other_cases({r["customer_id"] for r in rows.values()})
        for pk, row in rows.items():
            f = case_facts(
                histories[pk],
                now=now,
                other_cases=others[row["customer_id"]],
                business_seconds=calendars.seconds_function(row),
            )
            facts.append(
                CaseFact(
                    case_id=pk,
                    channel=row["channel"],
                    team_id=row["team_id"],
                    owner_id=row["owner_id"],
                    category_id=row["category_id"],
                    segment=row["customer__segment"] or "",
                    customer_id=row["customer_id"],
                    created_at=f.first_contact_at,
                    first_response_seconds=f.first_response_seconds,
                    resolved_at=f.resolved_at,
                    resolution_seconds=f.resolution_seconds,
                    first_response_business_seconds=f.first_response_business_seconds,
                    resolution_business_seconds=f.resolution_business_seconds,
                    agent_responses=f.agent_responses,
                    single_response=f.single_response,
                    transfers=f.transfers,
                    repeat_delay_seconds=f.repeat_delay_seconds,
                    reopen_delay_seconds=f.reopen_delay_seconds,
                    merged=histories[pk].merged,
                    inbound_contacts=f.inbound_contacts,
                    channel_switches=f.channel_switches,
                    owner_wait_seconds=f.owner_wait_seconds,
                    contacts_to_resolution=f.contacts_to_resolution,
                )
            )
            for start, end in backlog_spans(histories[pk]):
                spans.append(
                    BacklogSpan(
                        case_id=pk,
                        start_at=start,
                        end_at=end,
                        long=end is None or end - start > short,
                        channel=row["channel"],
                        team_id=row["team_id"],
                        owner_id=row["owner_id"],
                        category_id=row["category_id"],
                        segment=row["customer__segment"] or "",
                    )
                )
    return facts, spans


def _insert(model: type, rows: list, fields: list[str]) -> None:
    """Plain multi-row INSERT through the cursor: Django's bulk_create spends more time building
    SQL than the database spends writing, at a million rows."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from our own models)
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    prep = [
        (f.attname, connection.ops.adapt_datetimefield_value)
        if f.get_internal_type() == "DateTimeField"
        else (f.attname, None)
        for f in columns
    ]
    values = [
        tuple(
            adapt(getattr(row, attname)) if adapt else getattr(row, attname)
            for attname, adapt in prep
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _analyze_sources() -> None:
    """Fresh planner statistics before a bulk rebuild (PostgreSQL). Right after a bulk import
    they still describe the tables as they were early in the import (the events table had never
    been analysed): the planner then estimates ~20,000 contacts for 500 cases and scans the whole
    contacts table for every batch instead of using its case index (at 20,000 cases: 73 ms →
    15 ms a batch; the scan grows with the table, the index read does not)."""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (Case, Contact, CaseEvent, CaseFact, BacklogSpan)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


@transaction.atomic
def case_facts_refresh(*, case_ids: Iterable[int]) -> int:
    """Recompute and store the facts (and backlog spans) of these cases; returns how many."""
    ids = sorted(set(case_ids))
    # Lock the cases first (in id order): two refreshes of one case run one after the other and
    # the second reads what the first one saw committed.
    for chunk in _chunks(ids):
        list(Case.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values("pk"))
    facts, spans = case_derived_rows(case_ids=ids)
    days: set = set()
    for chunk in _chunks(ids):
        for created_at, resolved_at in CaseFact.objects.filter(case_id__in=chunk).values_list(
            "created_at", "resolved_at"
        ):
            days.update((local_day(created_at), local_day(resolved_at)))
        # The response rate's filters read the case as it is now (team, channel …): its
        # invitation's day changes with it.
        days.update(
            local_day(sent_at)
            for sent_at in SurveyInvitation.objects.filter(
                case_id__in=chunk, sent_at__isnull=False
            ).values_list("sent_at", flat=True)
        )
        BacklogSpan.objects.filter(case_id__in=chunk).delete()
        CaseFact.objects.filter(case_id__in=chunk).delete()
    for fact in facts:
        days.update((local_day(fact.created_at), local_day(fact.resolved_at)))
    figure_days_touch(days)
    _insert(CaseFact, facts, ["case", *FACT_FIELDS])
    _insert(
        BacklogSpan, spans, [f.name for f in BacklogSpan._meta.concrete_fields if not f.primary_key]
    )
    return len(facts)


def case_facts_refresh_around(*, case_id: int) -> int:
    """After a change to one case: that case, the case it was merged into, and the customer's
    other cases resolved before this one began (this one may be their repeat contact)."""
    case = (
        Case.objects.filter(pk=case_id)
        .values("customer_id", "created_at", "merged_into_id")
        .first()
    )
    if case is None:
        return 0
    ids = {case_id}
    if case["merged_into_id"]:
        ids.add(case["merged_into_id"])
    ids.update(
        CaseFact.objects.filter(
            customer_id=case["customer_id"],
            resolved_at__isnull=False,
            resolved_at__lt=case["created_at"] + timedelta(seconds=1),
        ).values_list("case_id", flat=True)
    )
    return case_facts_refresh(case_ids=ids)


def case_facts_rebuild(*, batch: int = 5000) -> int:
    """Recompute every case's facts (after a bulk import, or to check the incremental rows)."""
    _analyze_sources()
    total = 0
    last = 0
    while True:
        ids = list(
            Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return total
        total += case_facts_refresh(case_ids=ids)
        last = ids[-1]


def case_facts_refresh_range(*, first_case_id: int, last_case_id: int, batch: int = 5000) -> int:
    """After an import of past cases (hook "cases.imported"): their facts, and those of earlier
    cases of the same customers (the imported cases may be their repeat contacts)."""
    _analyze_sources()
    total = 0
    last = first_case_id - 1
    while last < last_case_id:
        ids = list(
            Case.objects.filter(pk__gt=last, pk__lte=last_case_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        customers = set(
            Case.objects.filter(pk__in=ids).values_list("customer_id", flat=True).distinct()
        )
        earlier = CaseFact.objects.filter(
            customer_id__in=customers, case_id__lt=first_case_id
        ).values_list("case_id", flat=True)
        total += case_facts_refresh(case_ids=[*ids, *earlier])
        last = ids[-1]
    return total
