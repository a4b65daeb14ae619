"""Keep `CaseFact` rows equal to `metrics.case_facts` of each case's contacts and timeline.

Called after commit by the case hooks (tasks.py), and in full by `guichet barometer_refresh`.
The rows do not depend on the current time, so nothing needs refreshing as days pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.db import transaction
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
from guichet.surveys.models import BacklogSpan, CaseFact

EVENT_KINDS = ("status_changed", "reopened", "transferred")
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
    "agent_responses",
    "single_response",
    "transfers",
    "repeat_delay_seconds",
    "reopen_delay_seconds",
    "merged",
]


def _chunks(ids: list[int], size: int = BATCH) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


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
    for case_id, at, kind, direction in Contact.objects.filter(case_id__in=ids).values_list(
        "case_id", "created_at", "kind", "direction"
    ):
        histories[case_id].contacts.append(ContactRow(at=at, kind=kind, direction=direction))
    for case_id, at, kind, data in (
        CaseEvent.objects.filter(case_id__in=ids, kind__in=EVENT_KINDS)
        .order_by("created_at", "id")
        .values_list("case_id", "created_at", "kind", "data")
    ):
        histories[case_id].events.append(EventRow(at=at, kind=kind, data=data or {}))
    return rows, histories


def _other_cases(customer_ids: set[int]) -> dict[int, list[OtherCase]]:
    found: dict[int, list[OtherCase]] = defaultdict(list)
    for pk, customer_id, created_at, category_id in Case.objects.filter(
        customer_id__in=customer_ids
    ).values_list("id", "customer_id", "created_at", "category_id"):
        found[customer_id].append(
            OtherCase(case_id=pk, created_at=created_at, category_id=category_id)
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
    for chunk in _chunks(sorted(set(case_ids))):
        rows, histories = case_histories_load(case_ids=chunk)
        others = _other_cases({r["customer_id"] for r in rows.values()})
        for pk, row in rows.items():
            f = case_facts(histories[pk], now=now, other_cases=others[row["customer_id"]])
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
                    agent_responses=f.agent_responses,
                    single_response=f.single_response,
                    transfers=f.transfers,
                    repeat_delay_seconds=f.repeat_delay_seconds,
                    reopen_delay_seconds=f.reopen_delay_seconds,
                    merged=histories[pk].merged,
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


@transaction.atomic
def case_facts_refresh(*, case_ids: Iterable[int]) -> int:
    """Recompute and store the facts of these cases; returns how many rows were written."""
    ids = sorted(set(case_ids))
    facts, spans = case_derived_rows(case_ids=ids)
    for chunk in _chunks(ids):
        BacklogSpan.objects.filter(case_id__in=chunk).delete()
    BacklogSpan.objects.bulk_create(spans, batch_size=BATCH)
    for chunk_start in range(0, len(facts), BATCH):
        CaseFact.objects.bulk_create(
            facts[chunk_start : chunk_start + BATCH],
            update_conflicts=True,
            unique_fields=["case"],
            update_fields=FACT_FIELDS,
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
