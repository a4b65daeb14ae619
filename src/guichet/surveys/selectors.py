"""The barometer's data: every figure of a period, its comparisons, trends, breakdowns and
comments. Survey figures come from SurveyAnswer; operational ones from CaseFact (derived from
contacts and events) and, for the backlog, from the timeline itself. docs/metrics.md has each
definition with the query computing it."""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from guichet.cases.choices import CaseStatus, EventKind
from guichet.cases.models import Case, CaseEvent
from guichet.core.errors import ValidationFailed
from guichet.surveys import scoring
from guichet.surveys.models import CaseFact, SurveyAnswer, SurveyConfig
from guichet.surveys.services import survey_config_get

# The national figure from the source texts: 55 % of French people say customer services do not
# meet their expectations (American Express customer-service barometer, 2012), i.e. 45 % met.
REFERENCE_EXPECTATIONS_MET = 0.45
REFERENCE_SOURCE = "American Express, 2012"
METRIC_NAMES = (
    "expectations_met",
    "csat",
    "fcr",
    "fcr_declared",
    "ces",
    "nps",
    "first_response_seconds_median",
    "resolution_seconds_median",
    "first_response_business_seconds_median",
    "resolution_business_seconds_median",
    "reopen_rate",
    "repeat_contact_rate",
    "transfers_per_case",
    "backlog",
    "response_rate",
    "contacts_per_resolved_issue",
)
# Customer effort from the timeline, shown by guichet.proximity's section of the page
# (proximity/barometer_effort.html) and in the JSON and CSV beside the other figures.
EFFORT_NAMES = (
    "contacts_per_case",
    "channel_switches_per_case",
    "cases_with_channel_switch",
    "time_to_owner_seconds_median",
)
FIGURE_NAMES = METRIC_NAMES + EFFORT_NAMES
PERIOD_KINDS = ("week", "month", "quarter", "custom")
MAX_DAYS = 3 * 366
TREND_MONTHS = 13
BACKLOG_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN)  # REQ-MET-09: not waiting on the customer


@dataclass(frozen=True)
class BarometerFilters:
    channel: str | None = None
    team: int | None = None
    agent: int | None = None
    category: int | None = None
    segment: str | None = None

    def as_query(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, in the site's time zone."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def last_year(self) -> Period:
        return Period(_year_back(self.start), _year_back(self.end))


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def period_for(
    kind: str, *, anchor: date, start: date | None = None, end: date | None = None
) -> Period:
    """The week (Monday–Sunday), month or quarter containing `anchor`, or a custom range."""
    if kind == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return Period(monday, monday + timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(anchor.year, anchor.month)[1]
        return Period(anchor.replace(day=1), anchor.replace(day=last))
    if kind == "quarter":
        first_month = 3 * ((anchor.month - 1) // 3) + 1
        last_month = first_month + 2
        return Period(
            date(anchor.year, first_month, 1),
            date(anchor.year, last_month, calendar.monthrange(anchor.year, last_month)[1]),
        )
    if kind == "custom" and start and end:
        return period_check(start, end)
    raise ValidationFailed(
        "Choose a period.",
        details=[
            {"field": "period", "message": "week, month, quarter, or custom with start and end"}
        ],
    )


def period_check(start: date, end: date) -> Period:
    if end < start:
        raise ValidationFailed(
            "The end is before the start.", details=[{"field": "end", "message": "end < start"}]
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(
            "The period is too long.",
            details=[{"field": "end", "message": f"At most {MAX_DAYS} days."}],
        )
    return Period(start, end)


# --- survey figures --------------------------------------------------------------------------


def _answers(filters: BarometerFilters) -> QuerySet[SurveyAnswer]:
    qs = SurveyAnswer.objects.all()
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    if filters.agent is not None:
        qs = qs.filter(owner_id=filters.agent)
    if filters.category is not None:
        qs = qs.filter(category_id=filters.category)
    if filters.segment:
        qs = qs.filter(segment=filters.segment)
    return qs


def _answer_aggregates() -> dict[str, Any]:
    aggregates: dict[str, Any] = {
        "em_yes": Count("pk", filter=Q(expectations_met=True)),
        "em_n": Count("expectations_met"),
        "fcr_yes": Count("pk", filter=Q(fcr=True)),
        "fcr_n": Count("fcr"),
    }
    for value in range(1, 6):
        aggregates[f"csat_{value}"] = Count("pk", filter=Q(csat=value))
    for value in range(1, 8):
        aggregates[f"ces_{value}"] = Count("pk", filter=Q(ces=value))
    for value in range(11):
        aggregates[f"nps_{value}"] = Count("pk", filter=Q(nps=value))
    return aggregates


def _distribution(row: dict[str, Any], prefix: str, values: Iterable[int]) -> dict[int, int]:
    return {v: row.get(f"{prefix}_{v}") or 0 for v in values}


def _survey_figures(row: dict[str, Any], *, min_sample: int) -> dict[str, scoring.Figure]:
    return {
        "expectations_met": scoring.proportion(
            row["em_yes"] or 0, row["em_n"] or 0, min_sample=min_sample
        ),
        "csat": scoring.csat(_distribution(row, "csat", range(1, 6)), min_sample=min_sample),
        "fcr_declared": scoring.proportion(
            row["fcr_yes"] or 0, row["fcr_n"] or 0, min_sample=min_sample
        ),
        "ces": scoring.ces(_distribution(row, "ces", range(1, 8)), min_sample=min_sample),
        "nps": scoring.nps(_distribution(row, "nps", range(11)), min_sample=min_sample),
    }


# --- operational figures ---------------------------------------------------------------------


def _filtered(qs: QuerySet, filters: BarometerFilters, *, segment_field: str = "segment"):
    """The barometer's filters, on any table that carries channel, team, owner and category."""
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    if filters.agent is not None:
        qs = qs.filter(owner_id=filters.agent)
    if filters.category is not None:
        qs = qs.filter(category_id=filters.category)
    if filters.segment:
        qs = qs.filter(**{segment_field: filters.segment})
    return qs


def _facts(filters: BarometerFilters) -> QuerySet[CaseFact]:
    return _filtered(CaseFact.objects.filter(merged=False), filters)


def _fcr_q(window_seconds: float) -> Q:
    return Q(single_response=True) & (
        Q(repeat_delay_seconds__isnull=True) | Q(repeat_delay_seconds__gt=window_seconds)
    )


def _repeat_q(window_seconds: float) -> Q:
    return Q(repeat_delay_seconds__isnull=False, repeat_delay_seconds__lte=window_seconds)


def _reopen_q(window_seconds: float) -> Q:
    return Q(reopen_delay_seconds__isnull=False, reopen_delay_seconds__lte=window_seconds)


def _median(
    qs: QuerySet[CaseFact], field: str, *, min_sample: int, n: int | None = None
) -> scoring.Figure:
    """The median and its interval computed by the database: count (unless `n` is known), then
    fetch only the values at the four ranks needed (a window function sorts; a million values
    never reach Python)."""
    qs = qs.filter(**{f"{field}__isnull": False})
    n = qs.count() if n is None else n
    if n < max(min_sample, 1):
        return scoring.insufficient(n, min_sample)
    ranks = scoring.median_ranks(n)
    rows = (
        qs.annotate(rank=Window(RowNumber(), order_by=[F(field).asc(), F("pk").asc()]))
        .filter(rank__in=sorted(set(ranks)))
        .values_list("rank", field)
    )
    return scoring.median_at_ranks(n, dict(rows), min_sample=min_sample)


# Up to this many rows, the medians of a period are picked in Python from one fetch of their
# columns (one query for several medians); beyond it, each is ranked by the database.
PYTHON_MEDIAN_ROWS = 250_000


def _medians(
    qs: QuerySet[CaseFact],
    specs: dict[str, tuple[str, int]],
    *,
    rows: int,
    min_sample: int,
) -> dict[str, scoring.Figure]:
    """Several medians over the same rows ({name: (column, non-null count)}); equal whichever
    way they are computed (tested)."""
    if rows > PYTHON_MEDIAN_ROWS:
        return {
            name: _median(qs, field, min_sample=min_sample, n=n)
            for name, (field, n) in specs.items()
        }
    wanted = {name: spec for name, spec in specs.items() if spec[1] >= max(min_sample, 1)}
    figures = {
        name: scoring.insufficient(n, min_sample)
        for name, (_field, n) in specs.items()
        if name not in wanted
    }
    if wanted:
        fields = [field for field, _n in wanted.values()]
        sql, params = qs.values_list(*fields).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        for i, name in enumerate(wanted):
            values = [r[i] for r in fetched if r[i] is not None]
            figures[name] = scoring.median(values, min_sample=min_sample)
    return {name: figures[name] for name in specs}


def backlog_at(*, at: datetime, filters: BarometerFilters, now: datetime) -> int:
    """Cases new or open (not waiting on the customer) at `at`: the current statuses when `at`
    is now or later, else the backlog spans covering `at` (derived from the timeline; equal to
    `backlog_replay_at`, which a test checks)."""
    if at >= now:
        return _backlog_cases(filters).filter(status__in=BACKLOG_STATUSES).count()
    from guichet.surveys.facts import BACKLOG_SHORT_DAYS
    from guichet.surveys.models import BacklogSpan

    spans = _filtered(BacklogSpan.objects.all(), filters)
    covering = Q(end_at__isnull=True) | Q(end_at__gt=at)
    short = spans.filter(
        covering,
        long=False,
        start_at__lte=at,
        start_at__gt=at - timedelta(days=BACKLOG_SHORT_DAYS),
    ).count()
    long = spans.filter(covering, long=True, start_at__lte=at).count()
    return short + long


def _backlog_cases(filters: BarometerFilters) -> QuerySet[Case]:
    return _filtered(
        Case.objects.filter(merged_into__isnull=True), filters, segment_field="customer__segment"
    )


def backlog_replay_at(*, at: datetime, filters: BarometerFilters) -> int:
    """The backlog at `at` replayed directly from the timeline (the reference definition).

    A case finished now whose last status change is before `at` was finished at `at` too, so
    only the others need the replay of their last status event."""
    cases = _backlog_cases(filters).filter(created_at__lte=at)
    finished_before = Q(status=CaseStatus.CLOSED, closed_at__lte=at) | Q(
        status=CaseStatus.RESOLVED, resolved_at__lte=at
    )
    last_status = (
        CaseEvent.objects.filter(
            case=OuterRef("pk"),
            kind__in=(EventKind.STATUS_CHANGED, EventKind.REOPENED),
            created_at__lte=at,
        )
        .order_by("-created_at", "-id")
        .annotate(new_status=KeyTextTransform("new", "data"))
        .values("new_status")[:1]
    )
    return (
        cases.exclude(finished_before)
        .annotate(
            status_then=Coalesce(
                Subquery(last_status), Value(str(CaseStatus.NEW)), output_field=CharField()
            )
        )
        .filter(status_then__in=BACKLOG_STATUSES)
        .count()
    )


def _operational_figures(
    *, period: Period, filters: BarometerFilters, config: SurveyConfig, now: datetime
) -> dict[str, scoring.Figure]:
    start, end = period.bounds()
    min_sample = config.min_sample
    fcr_window = config.fcr_window_days * 86400.0
    reopen_window = config.reopen_window_days * 86400.0
    facts = _facts(filters)
    in_resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    in_created = Q(created_at__gte=start, created_at__lt=end)
    # A case resolved less than the window ago is not counted yet, either way.
    fcr_mature = in_resolved & Q(resolved_at__lte=now - timedelta(seconds=fcr_window))
    reopen_mature = in_resolved & Q(resolved_at__lte=now - timedelta(seconds=reopen_window))
    # Every count of the period in one pass over the rows created or resolved in it.
    row = facts.filter(in_resolved | in_created).aggregate(
        fcr_n=Count("pk", filter=fcr_mature),
        fcr_contacts=Coalesce(Sum("contacts_to_resolution", filter=fcr_mature), 0),
        fcr=Count("pk", filter=fcr_mature & _fcr_q(fcr_window)),
        repeat=Count("pk", filter=fcr_mature & _repeat_q(fcr_window)),
        reopen_n=Count("pk", filter=reopen_mature),
        reopened=Count("pk", filter=reopen_mature & _reopen_q(reopen_window)),
        created_n=Count("pk", filter=in_created),
        transfers=Coalesce(Sum("transfers", filter=in_created), 0),
        response_n=Count("first_response_seconds", filter=in_created),
        resolution_n=Count("resolution_seconds", filter=in_resolved),
        response_business_n=Count("first_response_business_seconds", filter=in_created),
        resolution_business_n=Count("resolution_business_seconds", filter=in_resolved),
        inbound=Coalesce(Sum("inbound_contacts", filter=in_created), 0),
        switches=Coalesce(Sum("channel_switches", filter=in_created), 0),
        switched=Count("pk", filter=in_created & Q(channel_switches__gt=0)),
        owned_n=Count("owner_wait_seconds", filter=in_created),
    )
    created = facts.filter(in_created)
    resolved = facts.filter(in_resolved)
    medians = {
        **_medians(
            created,
            {
                "first_response_seconds_median": ("first_response_seconds", row["response_n"]),
                "first_response_business_seconds_median": (
                    "first_response_business_seconds",
                    row["response_business_n"],
                ),
                "time_to_owner_seconds_median": ("owner_wait_seconds", row["owned_n"]),
            },
            rows=row["created_n"],
            min_sample=min_sample,
        ),
        **_medians(
            resolved,
            {
                "resolution_seconds_median": ("resolution_seconds", row["resolution_n"]),
                "resolution_business_seconds_median": (
                    "resolution_business_seconds",
                    row["resolution_business_n"],
                ),
            },
            rows=row["resolution_n"],
            min_sample=min_sample,
        ),
    }
    return _operational_assemble(row, medians, min_sample=min_sample)


def _operational_assemble(
    row: dict[str, Any], medians: dict[str, scoring.Figure], *, min_sample: int
) -> dict[str, scoring.Figure]:
    """The operational figures from their counts (however they were counted) and medians."""
    fcr_row = {"n": row["fcr_n"], "fcr": row["fcr"], "repeat": row["repeat"]}
    reopen_row = {"n": row["reopen_n"], "reopened": row["reopened"]}
    transfers = {"n": row["created_n"], "total": row["transfers"]}
    return {
        "fcr": scoring.proportion(fcr_row["fcr"], fcr_row["n"], min_sample=min_sample),
        **medians,
        "reopen_rate": scoring.proportion(
            reopen_row["reopened"], reopen_row["n"], min_sample=min_sample
        ),
        "repeat_contact_rate": scoring.proportion(
            fcr_row["repeat"], fcr_row["n"], min_sample=min_sample
        ),
        "transfers_per_case": scoring.mean(
            transfers["total"], transfers["n"], min_sample=min_sample
        ),
        # REQ-MET-02: the customer's contacts up to resolution, plus one when they had to come
        # back within W, over the same resolved cases as FCR.
        "contacts_per_resolved_issue": scoring.mean(
            row["fcr_contacts"] + fcr_row["repeat"], fcr_row["n"], min_sample=min_sample
        ),
        "contacts_per_case": scoring.mean(row["inbound"], row["created_n"], min_sample=min_sample),
        "channel_switches_per_case": scoring.mean(
            row["switches"], row["created_n"], min_sample=min_sample
        ),
        "cases_with_channel_switch": scoring.proportion(
            row["switched"], row["created_n"], min_sample=min_sample
        ),
    }


def _response_rate(
    start: datetime, end: datetime, filters: BarometerFilters, *, min_sample: int
) -> scoring.Figure:
    """Invitations sent in the period that got an answer / invitations sent (REQ-SAT-07)."""
    from guichet.surveys.choices import InvitationStatus

    row = (
        _invitations(filters)
        .filter(sent_at__gte=start, sent_at__lt=end)
        .aggregate(n=Count("pk"), answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED)))
    )
    return scoring.proportion(row["answered"], row["n"], min_sample=min_sample)


def _invitations(filters: BarometerFilters) -> QuerySet:
    """Survey invitations with the barometer's filters (on their case, as it is now)."""
    from guichet.surveys.models import SurveyInvitation

    qs = SurveyInvitation.objects.all()
    if filters.channel:
        qs = qs.filter(case__channel=filters.channel)
    if filters.team is not None:
        qs = qs.filter(case__team_id=filters.team)
    if filters.agent is not None:
        qs = qs.filter(case__owner_id=filters.agent)
    if filters.category is not None:
        qs = qs.filter(case__category_id=filters.category)
    if filters.segment:
        qs = qs.filter(customer__segment=filters.segment)
    return qs


def barometer_figures(
    *,
    period: Period,
    filters: BarometerFilters,
    config: SurveyConfig | None = None,
    now: datetime | None = None,
    use_cache: bool = True,
) -> dict[str, scoring.Figure]:
    """Every metric of the period, under its stable name.

    A settled period (its FCR and reopen windows all closed) is computed once and reused while
    none of its days changed (PeriodFigures, FigureDay); a test checks the reused figures equal
    a fresh computation after every kind of change. The backlog is always computed."""
    config = config or survey_config_get()
    now = now or timezone.now()
    _start, end = period.bounds()
    figures = _figures_but_backlog(
        period=period, filters=filters, config=config, now=now, use_cache=use_cache
    )
    figures["backlog"] = scoring.count(backlog_at(at=min(end, now), filters=filters, now=now))
    return {name: figures[name] for name in FIGURE_NAMES}


def period_figures(
    *,
    period: Period,
    filters: BarometerFilters,
    config: SurveyConfig | None = None,
    now: datetime | None = None,
) -> dict[str, scoring.Figure]:
    """Every figure of the period but the backlog (stored once the period is settled)."""
    return _figures_but_backlog(
        period=period,
        filters=filters,
        config=config or survey_config_get(),
        now=now or timezone.now(),
    )


def _figures_but_backlog(
    *,
    period: Period,
    filters: BarometerFilters,
    config: SurveyConfig,
    now: datetime,
    use_cache: bool = True,
) -> dict[str, scoring.Figure]:
    _start, end = period.bounds()
    settle = timedelta(days=max(config.fcr_window_days, config.reopen_window_days))
    if use_cache and end + settle <= now:
        return _settled_figures(period=period, filters=filters, config=config, now=now)
    return _period_figures(
        period=period, filters=filters, config=config, now=now, use_cache=use_cache
    )


# Bump when a definition changes: cached periods computed by the old code are then ignored.
FIGURES_VERSION = 2


def _settled_figures(
    *, period: Period, filters: BarometerFilters, config: SurveyConfig, now: datetime
) -> dict[str, scoring.Figure]:
    from guichet.surveys.models import PeriodFigures
    from guichet.surveys.stamps import figure_days_stamp

    identity = [
        FIGURES_VERSION,
        period.start.isoformat(),
        period.end.isoformat(),
        sorted(filters.as_query().items()),
        config.min_sample,
        config.fcr_window_days,
        config.reopen_window_days,
        str(timezone.get_current_timezone()),
    ]
    key = hashlib.sha256(json.dumps(identity, default=str).encode()).hexdigest()
    # The stamp is read BEFORE the data: a change committed meanwhile has a newer stamp and
    # will invalidate what is stored here.
    stamp = figure_days_stamp(period.start, period.end)
    cached = PeriodFigures.objects.filter(key=key).values_list("stamp", "figures").first()
    if cached is not None and cached[0] >= stamp:
        return dict(cached[1])
    figures = _period_figures(period=period, filters=filters, config=config, now=now)
    PeriodFigures.objects.update_or_create(key=key, defaults={"stamp": stamp, "figures": figures})
    return figures


def _period_figures(
    *,
    period: Period,
    filters: BarometerFilters,
    config: SurveyConfig,
    now: datetime,
    use_cache: bool = True,
) -> dict[str, scoring.Figure]:
    """Every metric but the backlog: summed from the stored daily counts (daily.py), or with
    `use_cache=False` computed from the rows (the full recomputation they are tested against)."""
    if use_cache:
        return _period_figures_daily(period=period, filters=filters, config=config, now=now)
    start, end = period.bounds()
    row = (
        _answers(filters)
        .filter(answered_at__gte=start, answered_at__lt=end)
        .aggregate(**_answer_aggregates())
    )
    return {
        **_survey_figures(row, min_sample=config.min_sample),
        "response_rate": _response_rate(start, end, filters, min_sample=config.min_sample),
        **_operational_figures(period=period, filters=filters, config=config, now=now),
    }


def _period_figures_daily(
    *, period: Period, filters: BarometerFilters, config: SurveyConfig, now: datetime
) -> dict[str, scoring.Figure]:
    """The same figures as the full computation, from the days' stored counts: only the cases
    whose FCR or reopen window closed during their own day, and the few rows of the buckets
    holding each median's ranks, are read from the cases."""
    from guichet.surveys import daily

    start, end = period.bounds()
    min_sample = config.min_sample
    fcr_window = config.fcr_window_days * 86400.0
    reopen_window = config.reopen_window_days * 86400.0
    sources = daily.Sources(
        facts=_facts(filters),
        answers=_answers(filters),
        invitations=_invitations(filters),
        fcr_window=fcr_window,
        reopen_window=reopen_window,
    )
    key = daily.data_key(
        filters=filters.as_query(), fcr_window=fcr_window, reopen_window=reopen_window
    )
    sums = daily.period_sums(first=period.start, last=period.end, key=key, sources=sources, now=now)
    c = sums.counts
    row = {
        "fcr_n": c["fcr_n_mature"],
        "fcr": c["fcr_mature"],
        "repeat": c["repeat_mature"],
        "fcr_contacts": c["contacts_mature"],
        "reopen_n": c["reopen_n_mature"],
        "reopened": c["reopened_mature"],
        "created_n": c["created_n"],
        "transfers": c["transfers"],
        "inbound": c["inbound"],
        "switches": c["switches"],
        "switched": c["switched"],
    }
    # Cases resolved on the day a window closes in (or after): counted from the cases.
    fcr_limit = now - timedelta(seconds=fcr_window)
    reopen_limit = now - timedelta(seconds=reopen_window)
    fcr_q = Q(resolved_at__gte=sums.fcr_from, resolved_at__lte=fcr_limit)
    reopen_q = Q(resolved_at__gte=sums.reopen_from, resolved_at__lte=reopen_limit)
    late = [
        q
        for q, since, limit in (
            (fcr_q, sums.fcr_from, fcr_limit),
            (reopen_q, sums.reopen_from, reopen_limit),
        )
        if since < end and since <= limit
    ]
    if late:
        # Only the (at most two) part-days, not the days between them.
        either = late[0] | late[1] if len(late) == 2 else late[0]
        live = (
            _facts(filters)
            .filter(either, resolved_at__lt=end)
            .aggregate(
                fcr_n=Count("pk", filter=fcr_q),
                fcr_contacts=Coalesce(Sum("contacts_to_resolution", filter=fcr_q), 0),
                fcr=Count("pk", filter=fcr_q & _fcr_q(fcr_window)),
                repeat=Count("pk", filter=fcr_q & _repeat_q(fcr_window)),
                reopen_n=Count("pk", filter=reopen_q),
                reopened=Count("pk", filter=reopen_q & _reopen_q(reopen_window)),
            )
        )
        for name, value in live.items():
            row[name] += value
    medians = {}
    for name, (column, dated) in daily.MEDIANS.items():
        rows = _facts(filters).filter(**{f"{dated}__gte": start, f"{dated}__lt": end})
        medians[name] = daily.median_from_hist(
            sums.hists[name],
            qs=rows,
            column=column,
            min_sample=min_sample,
            fallback=lambda rows=rows, column=column: _median(rows, column, min_sample=min_sample),
        )
    return {
        **_survey_figures(c, min_sample=min_sample),
        "response_rate": scoring.proportion(
            c["invitations_answered"], c["invitations_n"], min_sample=min_sample
        ),
        **_operational_assemble(row, medians, min_sample=min_sample),
    }


def barometer(
    *, period: Period, filters: BarometerFilters, now: datetime | None = None
) -> dict[str, Any]:
    """The figures of the period beside the previous period and the same period last year."""
    config = survey_config_get()
    now = now or timezone.now()
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "filters": filters.as_query(),
        "min_sample": config.min_sample,
        "fcr_window_days": config.fcr_window_days,
        "reopen_window_days": config.reopen_window_days,
        "metrics": barometer_figures(period=period, filters=filters, config=config, now=now),
        "previous": {
            "start": period.previous().start.isoformat(),
            "end": period.previous().end.isoformat(),
            "metrics": barometer_figures(
                period=period.previous(), filters=filters, config=config, now=now
            ),
        },
        "last_year": {
            "start": period.last_year().start.isoformat(),
            "end": period.last_year().end.isoformat(),
            "metrics": barometer_figures(
                period=period.last_year(), filters=filters, config=config, now=now
            ),
        },
        "reference": {
            "expectations_met": REFERENCE_EXPECTATIONS_MET,
            "source": REFERENCE_SOURCE,
        },
    }


# --- charts ----------------------------------------------------------------------------------


def _months(last: date, count: int = TREND_MONTHS) -> list[date]:
    months = []
    year, month = last.year, last.month
    for _i in range(count):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months[::-1]


def _month_key(value: datetime | date) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}"


def barometer_trends(
    *, last_day: date, filters: BarometerFilters, now: datetime | None = None
) -> dict[str, Any]:
    """Monthly figures over the 13 months ending with `last_day`'s month; a month with too few
    answers is null, not a number."""
    config = survey_config_get()
    now = now or timezone.now()
    months = _months(last_day)
    min_sample = config.min_sample
    # A month is a period like any other: settled months come from PeriodFigures.
    per_month: dict[str, dict[str, scoring.Figure]] = {}
    for month in months:
        month_period = period_for("month", anchor=month)
        if month_period.bounds()[0] >= now:
            continue
        per_month[_month_key(month)] = _figures_but_backlog(
            period=month_period, filters=filters, config=config, now=now
        )
    series: dict[str, list[Any]] = {
        "expectations_met": [],
        "csat": [],
        "fcr": [],
        "first_response_seconds_median": [],
    }
    empty = scoring.insufficient(0, min_sample)
    for month in months:
        figures = per_month.get(_month_key(month), {})
        for name in series:
            series[name].append(figures.get(name, empty))
    return {"months": [_month_key(m) for m in months], "series": series}


def barometer_distribution(
    *, period: Period, filters: BarometerFilters
) -> dict[str, dict[int, int]]:
    start, end = period.bounds()
    row = (
        _answers(filters)
        .filter(answered_at__gte=start, answered_at__lt=end)
        .aggregate(**_answer_aggregates())
    )
    return {
        "csat": _distribution(row, "csat", range(1, 6)),
        "ces": _distribution(row, "ces", range(1, 8)),
        "nps": _distribution(row, "nps", range(11)),
        "expectations_met": {1: row["em_yes"] or 0, 0: (row["em_n"] or 0) - (row["em_yes"] or 0)},
    }


def barometer_breakdown(
    *, period: Period, filters: BarometerFilters, by: str, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Expectations met, CSAT and FCR for each channel or team of the period."""
    if by not in ("channel", "team"):
        raise ValueError(by)
    config = survey_config_get()
    now = now or timezone.now()
    start, end = period.bounds()
    min_sample = config.min_sample
    answer_field = "channel" if by == "channel" else "team_id"
    groups: dict[Any, dict[str, Any]] = {}
    for row in (
        _answers(filters)
        .filter(answered_at__gte=start, answered_at__lt=end)
        .values(answer_field)
        .annotate(**_answer_aggregates())
        .order_by(answer_field)
    ):
        survey = _survey_figures(row, min_sample=min_sample)
        groups.setdefault(row[answer_field], {})
        groups[row[answer_field]].update(
            expectations_met=survey["expectations_met"], csat=survey["csat"]
        )
    fcr_window = config.fcr_window_days * 86400.0
    for row in (
        _facts(filters)
        .filter(
            resolved_at__gte=start,
            resolved_at__lt=end,
            resolved_at__lte=now - timedelta(seconds=fcr_window),
        )
        .values(answer_field)
        .annotate(n=Count("pk"), fcr=Count("pk", filter=_fcr_q(fcr_window)))
        .order_by(answer_field)
    ):
        groups.setdefault(row[answer_field], {})["fcr"] = scoring.proportion(
            row["fcr"], row["n"], min_sample=min_sample
        )
    names: dict[Any, str] = {}
    if by == "team":
        from guichet.accounts.models import Team

        names = dict(Team.objects.filter(pk__in=[k for k in groups if k]).values_list("pk", "name"))
    else:
        from guichet.cases.choices import Channel

        names = {c.value: str(c.label) for c in Channel}
    empty = scoring.insufficient(0, min_sample)
    return [
        {
            "key": key,
            "label": names.get(key, str(key) if key is not None else "—"),
            "expectations_met": figures.get("expectations_met", empty),
            "csat": figures.get("csat", empty),
            "fcr": figures.get("fcr", empty),
        }
        for key, figures in sorted(groups.items(), key=lambda kv: names.get(kv[0], str(kv[0])))
    ]


def barometer_comments(
    *, period: Period, filters: BarometerFilters, csat: int | None = None, limit: int = 50
) -> list[SurveyAnswer]:
    """Verbatim comments of the period, newest first, optionally of one CSAT rating."""
    start, end = period.bounds()
    qs = (
        _answers(filters)
        .filter(answered_at__gte=start, answered_at__lt=end)
        .exclude(comment="")
        .select_related("case")
        .order_by("-answered_at", "-pk")
    )
    if csat is not None:
        qs = qs.filter(csat=csat)
    return list(qs[:limit])


def barometer_charts(
    *, period: Period, filters: BarometerFilters, now: datetime | None = None
) -> dict[str, Any]:
    """Everything the page's charts draw, in one JSON document (GET /api/v1/barometer/charts)."""
    now = now or timezone.now()
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "trend": barometer_trends(last_day=period.end, filters=filters, now=now),
        "distribution": barometer_distribution(period=period, filters=filters),
        "by_channel": barometer_breakdown(period=period, filters=filters, by="channel", now=now),
        "by_team": barometer_breakdown(period=period, filters=filters, by="team", now=now),
        "reference": {
            "expectations_met": REFERENCE_EXPECTATIONS_MET,
            "source": REFERENCE_SOURCE,
        },
    }


__all__ = [
    "METRIC_NAMES",
    "BarometerFilters",
    "Period",
    "barometer",
    "barometer_charts",
    "barometer_comments",
    "barometer_figures",
    "period_check",
    "period_for",
]


def _int_param(params: Any, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(
            f"Invalid {name}.", details=[{"field": name, "message": "Use a number."}]
        )
    return int(raw)


def _date_param(params: Any, name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(
            f"Invalid {name}.", details=[{"field": name, "message": "Use YYYY-MM-DD."}]
        ) from exc


def barometer_query_parse(params: Any, *, today: date) -> tuple[str, Period, BarometerFilters]:
    """Period and filters from a query string (page, CSV and print share it)."""
    from guichet.cases.choices import Channel

    start, end = _date_param(params, "start"), _date_param(params, "end")
    kind = (params.get("period") or "").strip() or ("custom" if start and end else "month")
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(
            "Unknown period.",
            details=[{"field": "period", "message": ", ".join(PERIOD_KINDS)}],
        )
    anchor = _date_param(params, "date") or today
    period = period_for(kind, anchor=anchor, start=start, end=end)
    channel = (params.get("channel") or "").strip() or None
    if channel and channel not in Channel.values:
        raise ValidationFailed(
            "Unknown channel.",
            details=[{"field": "channel", "message": ", ".join(Channel.values)}],
        )
    segment = (params.get("segment") or "").strip()[:50] or None
    filters = BarometerFilters(
        channel=channel,
        team=_int_param(params, "team"),
        agent=_int_param(params, "agent"),
        category=_int_param(params, "category"),
        segment=segment,
    )
    return kind, period, filters


def surveys_open_for_customer(*, customer: Any, now: datetime | None = None) -> list[dict]:
    """Surveys the customer may still answer, for the portal: case reference, subject, link."""
    from guichet.surveys.choices import InvitationStatus
    from guichet.surveys.models import SurveyInvitation
    from guichet.surveys.services import survey_url

    now = now or timezone.now()
    invitations = (
        SurveyInvitation.objects.filter(
            customer=customer,
            status__in=(InvitationStatus.SENT, InvitationStatus.ANSWERED),
            expires_at__gt=now,
        )
        .select_related("case")
        .order_by("-created_at")[:10]
    )
    return [
        {
            "reference": inv.case.reference,
            "subject": inv.case.subject,
            "answered": inv.status == InvitationStatus.ANSWERED,
            "url": survey_url(inv),
        }
        for inv in invitations
    ]
