"""The reactivity report: read-only selectors over CaseTarget (one row per target run, with the
team, channel, priority and week copied in, so each figure is one GROUP BY on one table).

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
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import Team, User
from guichet.cases.access import case_queryset_for_user
from guichet.cases.choices import ACTIVE_STATUSES, Channel, Priority
from guichet.core.errors import ValidationFailed
from guichet.sla.choices import Countdown, Outcome, TargetKind
from guichet.sla.models import CaseTarget

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


def attainment(
    *, filters: ReportFilters, by: str = "all", now: datetime | None = None
) -> list[AttainmentRow]:
    if by not in GROUPS:
        raise _invalid("by", _("Group by one of: %(g)s.") % {"g": ", ".join(GROUPS)})
    now = now or timezone.now()
    field = GROUPS[by]
    keys = [field, "kind"] if field else ["kind"]
    measured = Q(outcome=Outcome.MET) | breached_q(now)
    rows = (
        _runs(filters)
        .filter(measured)
        .values(*keys)
        .annotate(
            met=Count("pk", filter=Q(outcome=Outcome.MET)),
            breached=Count("pk", filter=breached_q(now)),
        )
        .order_by(*keys)
    )
    names = dict(Team.objects.values_list("id", "name")) if by == "team" else {}
    order = {k: i for i, k in enumerate(TargetKind.values)}
    result = []
    for row in rows:
        group = row.get(field) if field else None
        if by == "team":
            group = names.get(group, _("No team")) if group is not None else _("No team")
        elif by == "week" and group is not None:
            group = group.isoformat()
        result.append(AttainmentRow(group, row["kind"], row["met"], row["breached"]))
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


def distribution(
    *, filters: ReportFilters, target: str = TargetKind.FIRST_RESPONSE
) -> Distribution:
    """Median and 90th percentile of the time taken by ended runs, to the minute: one GROUP BY
    on whole minutes per measure, then the quantiles are read off the histogram."""
    if target not in TargetKind.values:
        raise _invalid("target", _("Unknown target."))
    runs = _runs(filters).filter(kind=target, outcome__in=(Outcome.MET, Outcome.BREACHED))
    figures = []
    for column in ("business_seconds", "calendar_seconds"):
        minute = ExpressionWrapper(F(column) / 60, output_field=BigIntegerField())
        histogram = list(
            runs.annotate(minute=minute)
            .values("minute")
            .annotate(n=Count("pk"))
            .order_by("minute")
            .values_list("minute", "n")
        )
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
