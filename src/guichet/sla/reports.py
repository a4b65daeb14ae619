"""The reactivity report: read-only selectors over the pre-aggregates of finished runs
(sla.aggregates: ReportCell, ReportBucket) and, for running targets, over CaseTarget (one row per
target run, with the team, channel, priority and week copied in).

- attainment: share of target runs met, per target and per team / channel / priority / week,
  with its sample size and a 95 % Wilson interval; a run still open but past its due time counts
  as breached (it can no longer be met), runs not measured (spam, no target) are left out;
- distribution: median and 90th percentile of the time taken, business and calendar;
- at risk now: running targets with less than a quarter of their time left, or already overdue.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import Team, User
from guichet.cases.access import case_queryset_for_user
from guichet.cases.choices import ACTIVE_STATUSES, Channel, Priority
from guichet.core.errors import ValidationFailed
from guichet.sla.aggregates import MEASURES, bucket_end
from guichet.sla.choices import Countdown, Outcome, TargetKind
from guichet.sla.models import CaseTarget, ReportBucket, ReportCell

GROUPS = {
    "all": None,
    "team": "team_id",
    "channel": "channel",
    "priority": "priority",
    "week": "week",
}
# Below this many runs a proportion is shown but flagged as too few to judge.
MIN_SAMPLE = 30
DEFAULT_WEEKS = 12


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


@dataclass(frozen=True)
class ReportFilters:
    since: date  # first week (any day of it)
    until: date  # last week (any day of it)
    team: int | None = None
    channel: str | None = None
    priority: str | None = None

    @classmethod
    def build(
        cls,
        *,
        since: date | None = None,
        until: date | None = None,
        team: int | None = None,
        channel: str | None = None,
        priority: str | None = None,
        today: date | None = None,
    ) -> ReportFilters:
        today = today or timezone.localdate()
        until = until or today
        since = since or until - timedelta(weeks=DEFAULT_WEEKS - 1)
        if since > until:
            raise _invalid("since", _("The start of the period is after its end."))
        if (until - since).days > 3 * 366:
            raise _invalid("since", _("The period is limited to three years."))
        if channel and channel not in Channel.values:
            raise _invalid("channel", _("Unknown channel."))
        if priority and priority not in Priority.values:
            raise _invalid("priority", _("Unknown priority."))
        return cls(since=since, until=until, team=team, channel=channel, priority=priority)

    @property
    def first_week(self) -> date:
        return self.since - timedelta(days=self.since.weekday())

    @property
    def last_week(self) -> date:
        return self.until - timedelta(days=self.until.weekday())


def _runs(filters: ReportFilters) -> QuerySet[CaseTarget]:
    qs = CaseTarget.objects.filter(week__gte=filters.first_week, week__lte=filters.last_week)
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    return qs


def breached_q(now: datetime) -> Q:
    return Q(outcome=Outcome.BREACHED) | Q(
        Q(outcome=Outcome.OPEN) & (Q(breached_at__isnull=False) | Q(due_at__lt=now))
    )


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion; None without data."""
    if total == 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


@dataclass(frozen=True)
class AttainmentRow:
    group: str | None
    target: str
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def attainment(self) -> float | None:
        return self.met / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.met, self.total)

    @property
    def low(self) -> float | None:
        return self.interval[0] if self.interval else None

    @property
    def high(self) -> float | None:
        return self.interval[1] if self.interval else None

    @property
    def enough(self) -> bool:
        return self.total >= MIN_SAMPLE


# Literal conditions, as the partial indexes of CaseTarget say them: SQLite uses a partial
# index only when the query's condition is written the same way, not with bound parameters.
RUNNING_SQL = "outcome = 'open'"
FINISHED_SQL = "outcome IN ('met', 'breached')"
CELL_FIELDS = {"team": "team_key", "channel": "channel", "priority": "priority", "week": "week"}


def _cells(filters: ReportFilters) -> QuerySet[ReportCell]:
    qs = ReportCell.objects.filter(week__gte=filters.first_week, week__lte=filters.last_week)
    if filters.team is not None:
        qs = qs.filter(team_key=filters.team)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    return qs


def attainment(
    *, filters: ReportFilters, by: str = "all", now: datetime | None = None
) -> list[AttainmentRow]:
    """Finished runs from the pre-aggregates (sla.aggregates); running runs already overdue
    from CaseTarget, since that depends on the moment (a partial index holds only those)."""
    if by not in GROUPS:
        raise _invalid("by", _("Group by one of: %(g)s.") % {"g": ", ".join(GROUPS)})
    now = now or timezone.now()
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    cell_field = CELL_FIELDS.get(by)
    keys = [cell_field, "kind"] if cell_field else ["kind"]
    for row in (
        _cells(filters).values(*keys).annotate(met=Sum("met"), breached=Sum("breached"))
    ).order_by(*keys):
        group = row[cell_field] if cell_field else None
        if by == "team":
            group = group or None
        counts[(group, row["kind"])][0] += row["met"]
        counts[(group, row["kind"])][1] += row["breached"]
    run_field = GROUPS[by]
    keys = [run_field, "kind"] if run_field else ["kind"]
    overdue = (
        _runs(filters)
        .extra(where=[RUNNING_SQL])  # noqa: S610 (a constant)
        .filter(Q(breached_at__isnull=False) | Q(due_at__lt=now))
        .values(*keys)
        .annotate(n=Count("pk"))
        .order_by(*keys)
    )
    for row in overdue:
        counts[(row[run_field] if run_field else None, row["kind"])][1] += row["n"]
    names = dict(Team.objects.values_list("id", "name")) if by == "team" else {}
    merged: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (group, kind), (met, breached) in counts.items():
        if by == "team":
            # A deleted team's finished runs are counted with the runs of no team.
            group = names.get(group, _("No team")) if group is not None else _("No team")
        elif by == "week" and group is not None:
            group = group.isoformat() if isinstance(group, date) else str(group)
        merged[(group, kind)][0] += met
        merged[(group, kind)][1] += breached
    order = {k: i for i, k in enumerate(TargetKind.values)}
    result = [
        AttainmentRow(group, kind, met, breached)
        for (group, kind), (met, breached) in merged.items()
        if met or breached
    ]
    result.sort(key=lambda r: (str(r.group or ""), order.get(r.target, 9)))
    return result


@dataclass(frozen=True)
class Distribution:
    target: str
    count: int
    business_median: float | None
    business_p90: float | None
    calendar_median: float | None
    calendar_p90: float | None


def _quantiles(histogram: list[tuple[int, int]], shares: tuple[float, ...]) -> list[float | None]:
    """Nearest-rank quantiles from (value, count) pairs sorted by value."""
    total = sum(n for _value, n in histogram)
    if total == 0:
        return [None] * len(shares)
    ranks = [max(1, math.ceil(share * total)) for share in shares]
    result: list[float | None] = [None] * len(shares)
    seen = 0
    for value, n in histogram:
        seen += n
        for i, rank in enumerate(ranks):
            if result[i] is None and seen >= rank:
                result[i] = float(value)
    return result


def _dimension(filters: ReportFilters) -> tuple[str, str] | None:
    """The one histogram row set answering the filters: all runs, or one team / channel /
    priority; None when two filters combine (read from CaseTarget then)."""
    given = [
        (dim, value)
        for dim, value in (
            ("team", None if filters.team is None else str(filters.team)),
            ("channel", filters.channel or None),
            ("priority", filters.priority or None),
        )
        if value is not None
    ]
    if len(given) > 1:
        return None
    return given[0] if given else ("", "")


def _bucketed_quantiles(
    filters: ReportFilters, target: str, measure: str, dim: tuple[str, str]
) -> tuple[int, list[float | None]]:
    """Exact nearest-rank median and p90 to the minute: the bucket holding each rank comes from
    the pre-aggregated histogram; only that bucket's runs are read from CaseTarget."""
    coarse = list(
        ReportBucket.objects.filter(
            kind=target,
            measure=measure,
            dim=dim[0],
            value=dim[1],
            week__gte=filters.first_week,
            week__lte=filters.last_week,
        )
        .values("minute")
        .annotate(n=Sum("n"))
        .order_by("minute")
        .values_list("minute", "n")
    )
    total = sum(n for _minute, n in coarse)
    if total == 0:
        return 0, [None, None]
    column = MEASURES[measure]
    result: list[float | None] = []
    for share in (0.5, 0.9):
        rank, seen, first = max(1, math.ceil(share * total)), 0, coarse[-1][0]
        for minute, n in coarse:
            if seen + n >= rank:
                first = minute
                break
            seen += n
        end = bucket_end(first)
        if end == first + 1:
            result.append(float(first))
            continue
        fine = _histogram(
            _runs(filters)
            .filter(kind=target, **{f"{column}__gte": first * 60, f"{column}__lt": end * 60})
            .extra(where=[FINISHED_SQL]),  # noqa: S610 (a constant)
            column,
        )
        result.append(_value_at_rank(fine, rank - seen))
    return total, result


def _value_at_rank(histogram: list[tuple[int, int]], rank: int) -> float | None:
    seen = 0
    for value, n in histogram:
        seen += n
        if seen >= rank:
            return float(value)
    return None


def _histogram(runs: QuerySet[CaseTarget], column: str) -> list[tuple[int, int]]:
    minute = ExpressionWrapper(F(column) / 60, output_field=BigIntegerField())
    return list(
        runs.annotate(minute=minute)
        .values("minute")
        .annotate(n=Count("pk"))
        .order_by("minute")
        .values_list("minute", "n")
    )


def distribution(
    *, filters: ReportFilters, target: str = TargetKind.FIRST_RESPONSE
) -> Distribution:
    """Median and 90th percentile of the time taken by finished runs (met or breached), to the
    minute (nearest rank), business and calendar."""
    if target not in TargetKind.values:
        raise _invalid("target", _("Unknown target."))
    dim = _dimension(filters)
    figures = []
    for measure, column in MEASURES.items():
        if dim is not None:
            figures.append(_bucketed_quantiles(filters, target, measure, dim))
            continue
        runs = _runs(filters).filter(kind=target, outcome__in=(Outcome.MET, Outcome.BREACHED))
        histogram = _histogram(runs, column)
        figures.append((sum(n for _value, n in histogram), _quantiles(histogram, (0.5, 0.9))))
    (count, (b50, b90)), (_count, (c50, c90)) = figures
    return Distribution(target, count, b50, b90, c50, c90)


@dataclass(frozen=True)
class AtRisk:
    target: CaseTarget
    state: str


def at_risk_now(*, user: User, now: datetime | None = None, limit: int = 100) -> list[AtRisk]:
    """Running targets in their last quarter or overdue, on cases the user may see, nearest
    due time first."""
    now = now or timezone.now()
    visible = case_queryset_for_user(user=user).filter(status__in=ACTIVE_STATUSES)
    targets = (
        CaseTarget.objects.filter(
            outcome=Outcome.OPEN, due_at__isnull=False, risk_at__lte=now, case__in=visible
        )
        .select_related("case__owner", "case__team")
        .order_by("due_at", "id")[:limit]
    )
    return [
        AtRisk(t, Countdown.BREACHED if t.due_at <= now else Countdown.AT_RISK) for t in targets
    ]


def attainment_csv(rows: list[AttainmentRow], *, by: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([by, "target", "met", "breached", "total", "attainment", "low95", "high95"])
    for row in rows:
        writer.writerow(
            [
                row.group if row.group is not None else "",
                row.target,
                row.met,
                row.breached,
                row.total,
                f"{row.attainment:.4f}" if row.attainment is not None else "",
                f"{row.low:.4f}" if row.low is not None else "",
                f"{row.high:.4f}" if row.high is not None else "",
            ]
        )
    return out.getvalue()
