"""Customer effort, measured from the timeline (not asked): how often the customer had to come
back, switch channel, be passed on, and how long before a named person owned the request.
Shown on the barometer beside satisfaction (surveys/barometer.html includes
proximity/barometer_effort.html) and served at /api/v1/effort.

Over the cases whose first contact is in the period (merged duplicates left out), with the
barometer's filters (channel of first contact, team, agent, category, segment):
- contacts_per_case: inbound contacts (customer messages, inbound calls) per case;
- channel_switches_per_case: times the customer's next inbound contact came on another channel
  than the one before (Gartner/CEB: a high-effort sign), and the share of cases with one or more;
- transfers_per_case: TRANSFERRED events per case (a change of owner or team after the first);
- time_to_owner_seconds_median: from the first contact to the first event naming an owner
  (0 when routing gave one at once), over the cases that got one.
Every figure carries its sample size and reads "not enough" below the barometer's minimum.

The figures are counted from the barometer's per-case facts (guichet.surveys CaseFact, kept by
the case hooks) and stored with the barometer's other figures once the period is settled, so the
page costs one aggregate, not a pass over every contact. `effort_figures_replay` computes the
same figures straight from contacts and events: the reference the tests compare against."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.db.models import Min, Q

from guichet.cases.choices import ContactKind, Direction, EventKind
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


def effort_from_figures(figures: dict[str, Any], *, min_sample: int) -> dict[str, Any]:
    """The effort section from the barometer's figures of a period (they hold every one)."""
    cases = figures["contacts_per_case"]["n"]
    return {
        "cases": cases,
        "min_sample": min_sample,
        **{name: figures[name] for name in EFFORT_METRICS},
        "never_owned": cases - figures["time_to_owner_seconds_median"]["n"],
    }


def effort_figures(*, period, filters, min_sample: int | None = None) -> dict[str, Any]:
    """The effort figures of a period (see the module's docstring for each definition)."""
    from guichet.surveys.selectors import period_figures

    config = survey_config_get()
    if min_sample is not None and min_sample != config.min_sample:
        config.min_sample = min_sample  # this computation only; never saved
    figures = period_figures(period=period, filters=filters, config=config)
    return effort_from_figures(figures, min_sample=config.min_sample)


# --- The reference: the same figures replayed from contacts and events ------------------------


def effort_figures_replay(*, period, filters, min_sample: int) -> dict[str, Any]:
    """The effort figures computed directly from cases, contacts and events (slow; tests)."""
    start, end = period.bounds()
    cases = Case.objects.filter(merged_into__isnull=True)
    if getattr(filters, "channel", None):
        cases = cases.filter(channel=filters.channel)
    if getattr(filters, "team", None) is not None:
        cases = cases.filter(team_id=filters.team)
    if getattr(filters, "agent", None) is not None:
        cases = cases.filter(owner_id=filters.agent)
    if getattr(filters, "category", None) is not None:
        cases = cases.filter(category_id=filters.category)
    if getattr(filters, "segment", None):
        cases = cases.filter(customer__segment=filters.segment)
    created = dict(cases.values_list("pk", "created_at"))
    from_customer = Q(kind=ContactKind.CUSTOMER_MESSAGE) | Q(
        kind=ContactKind.CALL, direction=Direction.INBOUND
    )
    first_contact = dict(
        Contact.objects.filter(from_customer, case_id__in=list(created))
        .values("case_id")
        .annotate(first=Min("created_at"))
        .values_list("case_id", "first")
    )
    ids = [
        pk for pk, created_at in created.items() if start <= first_contact.get(pk, created_at) < end
    ]
    inbound: dict[int, list[str]] = {pk: [] for pk in ids}
    for case_id, channel in (
        Contact.objects.filter(case_id__in=ids, direction=Direction.INBOUND)
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "channel")
    ):
        inbound[case_id].append(channel)
    switches = {pk: sum(1 for a, b in pairwise(chs) if a != b) for pk, chs in inbound.items()}
    transfers = CaseEvent.objects.filter(case_id__in=ids, kind=EventKind.TRANSFERRED).count()
    first_owner: dict[int, Any] = {}
    for case_id, at, data in CaseEvent.objects.filter(
        case_id__in=ids, kind__in=(EventKind.ASSIGNED, EventKind.TRANSFERRED)
    ).values_list("case_id", "created_at", "data"):
        if (data or {}).get("owner_id") is not None:
            first_owner[case_id] = min(at, first_owner.get(case_id, at))
    waits = [
        max(0.0, (owner_at - first_contact.get(pk, created[pk])).total_seconds())
        for pk, owner_at in first_owner.items()
    ]
    n = len(ids)
    return {
        "cases": n,
        "min_sample": min_sample,
        "contacts_per_case": scoring.mean(
            sum(len(chs) for chs in inbound.values()), n, min_sample=min_sample
        ),
        "channel_switches_per_case": scoring.mean(sum(switches.values()), n, min_sample=min_sample),
        "cases_with_channel_switch": scoring.proportion(
            sum(1 for v in switches.values() if v), n, min_sample=min_sample
        ),
        "transfers_per_case": scoring.mean(transfers, n, min_sample=min_sample),
        "time_to_owner_seconds_median": scoring.median(waits, min_sample=min_sample),
        "never_owned": n - len(waits),
    }
