"""Customer effort, measured from the timeline (not asked): how often the customer had to come
back, switch channel, be passed on, and how long before a named person owned the request.
Shown on the barometer beside satisfaction (surveys/barometer.html includes
proximity/barometer_effort.html) and served at /api/v1/effort.

Over the cases first contacted in the period (merged duplicates left out), with the barometer's
filters (channel of first contact, team, agent, category, segment):
- contacts_per_case: inbound contacts (customer messages, inbound calls) per case;
- channel_switches_per_case: times the customer's next inbound contact came on another channel
  than the one before (Gartner/CEB: a high-effort sign), and the share of cases with one or more;
- transfers_per_case: TRANSFERRED events per case (a change of owner or team after the first);
- time_to_owner_seconds_median: from the first contact to the first event naming an owner
  (0 when routing gave one at once), over the cases that got one.
Every figure carries its sample size and reads "not enough" below the barometer's minimum."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Min, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Lag

from guichet.cases.choices import Direction, EventKind
from guichet.cases.models import Case, CaseEvent, Contact
from guichet.surveys import scoring
from guichet.surveys.services import survey_config_get

EFFORT_METRICS = (
    "contacts_per_case",
    "channel_switches_per_case",
    "cases_with_channel_switch",
    "transfers_per_case",
    "time_to_owner_seconds_median",
)


def _cases(period, filters) -> QuerySet[Case]:
    start, end = period.bounds()
    qs = Case.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
    if getattr(filters, "channel", None):
        qs = qs.filter(channel=filters.channel)
    if getattr(filters, "team", None) is not None:
        qs = qs.filter(team_id=filters.team)
    if getattr(filters, "agent", None) is not None:
        qs = qs.filter(owner_id=filters.agent)
    if getattr(filters, "category", None) is not None:
        qs = qs.filter(category_id=filters.category)
    if getattr(filters, "segment", None):
        qs = qs.filter(customer__segment=filters.segment)
    return qs


def _switches(case_ids: QuerySet) -> tuple[int, int]:
    """(switches, cases with at least one) among the inbound contacts of these cases."""
    previous = Window(
        Lag("channel"), partition_by=[F("case_id")], order_by=[F("created_at"), F("id")]
    )
    rows = (
        Contact.objects.filter(case_id__in=case_ids, direction=Direction.INBOUND)
        .annotate(previous_channel=previous)
        .filter(previous_channel__isnull=False)
        .exclude(previous_channel=F("channel"))
        .values_list("case_id", flat=True)
    )
    ids = list(rows)
    return len(ids), len(set(ids))


def effort_figures(*, period, filters, min_sample: int | None = None) -> dict[str, Any]:
    """The effort figures of a period (see the module's docstring for each definition)."""
    if min_sample is None:
        min_sample = survey_config_get().min_sample
    cases = _cases(period, filters)
    ids = cases.values("pk")
    n = cases.count()
    inbound = Contact.objects.filter(case_id__in=ids, direction=Direction.INBOUND).count()
    transfers = CaseEvent.objects.filter(case_id__in=ids, kind=EventKind.TRANSFERRED).count()
    switches, switched_cases = _switches(ids)
    first_owner = (
        CaseEvent.objects.filter(
            case=OuterRef("pk"), kind__in=(EventKind.ASSIGNED, EventKind.TRANSFERRED)
        )
        .filter(data__has_key="owner_id")
        .exclude(data__owner_id=None)
        .order_by()
        .values("case")
        .annotate(first=Min("created_at"))
        .values("first")[:1]
    )
    owned = cases.annotate(first_owner_at=Subquery(first_owner)).filter(
        first_owner_at__isnull=False
    )
    waits = [
        max(0.0, (owner_at - created).total_seconds())
        for created, owner_at in owned.values_list("created_at", "first_owner_at")
    ]
    return {
        "cases": n,
        "min_sample": min_sample,
        "contacts_per_case": scoring.mean(inbound, n, min_sample=min_sample),
        "channel_switches_per_case": scoring.mean(switches, n, min_sample=min_sample),
        "cases_with_channel_switch": scoring.proportion(switched_cases, n, min_sample=min_sample),
        "transfers_per_case": scoring.mean(transfers, n, min_sample=min_sample),
        "time_to_owner_seconds_median": scoring.median(waits, min_sample=min_sample),
        "never_owned": n - len(waits),
    }
