"""Review reads: calibration, quality scores over time, CSAT beside them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.models import Case
from guichet.quality.access import review_queryset_for_user
from guichet.quality.choices import (
    ComplaintStatus,
)
from guichet.quality.models import Review
from guichet.quality.scoring import percent_to_20, spread

S = ComplaintStatus


# ---- reviews: calibration and scores over time -----------------------------------------------


@dataclass
class Calibration:
    case: Case
    scorecard_name: str
    agent: User
    reviews: list[Review] = field(default_factory=list)

    @property
    def spread(self) -> Decimal | None:
        return spread(r.score_percent for r in self.reviews)

    @property
    def mean(self) -> Decimal:
        return (
            sum((r.score_percent for r in self.reviews), Decimal(0)) / len(self.reviews)
        ).quantize(Decimal("0.1"))

    def criterion_spreads(self) -> list[tuple[str, Decimal | None]]:
        """Per criterion, the spread of the reviewers' marks as % of the scale."""
        by_criterion: dict[int, list[Decimal]] = defaultdict(list)
        names: dict[int, str] = {}
        for review in self.reviews:
            for score in review.scores.all():
                names[score.criterion_id] = score.criterion.name
                if score.value is not None:
                    by_criterion[score.criterion_id].append(
                        Decimal(score.value * 100) / score.criterion.scale_max
                    )
        return [(names[k], spread(by_criterion.get(k, []))) for k in names]


def calibrations(*, user: User, case: Case | None = None) -> list[Calibration]:
    """Cases reviewed by two or more reviewers on the same scorecard, with the spread."""
    qs = review_queryset_for_user(user=user)
    groups = (
        qs.values("case_id", "scorecard_id", "agent_id")
        .annotate(n=Count("reviewer", distinct=True))
        .filter(n__gte=2)
    )
    if case is not None:
        groups = groups.filter(case_id=case.pk)
    keys = {(g["case_id"], g["scorecard_id"], g["agent_id"]) for g in groups}
    if not keys:
        return []
    reviews = (
        qs.filter(case_id__in={k[0] for k in keys})
        .select_related("case", "agent", "reviewer", "scorecard")
        .prefetch_related("scores__criterion")
        .order_by("created_at", "pk")
    )
    result: dict[tuple[int, int, int], Calibration] = {}
    for r in reviews:
        key = (r.case_id, r.scorecard_id, r.agent_id)
        if key not in keys:
            continue
        cal = result.setdefault(key, Calibration(r.case, r.scorecard.name, r.agent))
        cal.reviews.append(r)
    return sorted(result.values(), key=lambda c: -(c.spread or 0))


def _period_start(day: date, period: str) -> date:
    if period == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


@dataclass
class ScoreRow:
    period: date
    key: int
    name: str
    n: int
    mean_percent: Decimal
    csat: object = None  # whatever the CSAT provider returns (a surveys Figure), or None

    @property
    def mean_20(self) -> Decimal:
        return percent_to_20(self.mean_percent)

    @property
    def csat_text(self) -> str:
        return csat_text(self.csat) if isinstance(self.csat, dict) else str(self.csat or "—")


# The CSAT hook: a function
#   csat(group: "agent" | "team", key: int, start: date, end: date) -> Figure | None
# shown next to the quality score. By default it reads the surveys' answers (guichet.surveys,
# when installed) with the surveys' own CSAT formula and minimum sample; another provider can be
# set with `csat_provider_set(...)`.
_csat_provider: list[Callable[..., object]] = []


def surveys_csat(*, group: str, key: int, start: date, end: date) -> dict | None:
    """CSAT of the customers of one agent (case owner) or team, answers given in [start, end]."""
    if not apps.is_installed("guichet.surveys"):
        return None
    from guichet.surveys.models import SurveyAnswer
    from guichet.surveys.scoring import csat
    from guichet.surveys.services import survey_config_get

    tz = timezone.get_current_timezone()
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    answers = SurveyAnswer.objects.filter(answered_at__gte=lo, answered_at__lt=hi)
    answers = answers.filter(owner_id=key) if group == "agent" else answers.filter(team_id=key)
    counts = dict(
        answers.filter(csat__isnull=False).values_list("csat").annotate(n=Count("pk")).order_by()
    )
    distribution = {value: counts.get(value, 0) for value in range(1, 6)}
    return csat(distribution, min_sample=survey_config_get().min_sample)


def csat_text(figure) -> str:
    """A CSAT figure in words: "82 % (n=40)", or the sample size when it is too small."""
    if not figure:
        return "—"
    if figure.get("value") is None:
        return _("too few answers (n=%(n)d)") % {"n": figure.get("n", 0)}
    return f"{round(figure['value'] * 100)} % (n={figure['n']})"


def csat_provider_set(provider: Callable[..., object] | None) -> None:
    _csat_provider.clear()
    if provider is not None:
        _csat_provider.append(provider)


def quality_scores(
    *,
    user: User,
    group: str = "agent",
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
    with_csat: bool = True,
) -> list[ScoreRow]:
    """Mean review score per agent (or per team of the case) and per week or month."""
    if group not in ("agent", "team") or period not in ("week", "month"):
        raise ValueError("group is agent|team, period is week|month")
    qs = review_queryset_for_user(user=user).select_related("agent", "case__team")
    tz = timezone.get_current_timezone()
    if start:
        qs = qs.filter(created_at__gte=datetime.combine(start, datetime.min.time(), tzinfo=tz))
    if end:
        qs = qs.filter(
            created_at__lt=datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        )
    buckets: dict[tuple[date, int], list[Decimal]] = defaultdict(list)
    names: dict[int, str] = {}
    for review in qs.order_by("created_at"):
        if group == "agent":
            key, name = review.agent_id, review.agent.display_name
        else:
            if review.case.team_id is None:
                continue
            key, name = review.case.team_id, review.case.team.name
        names[key] = name
        day = timezone.localtime(review.created_at).date()
        buckets[(_period_start(day, period), key)].append(review.score_percent)
    rows = []
    for (period_start, key), values in sorted(
        buckets.items(), key=lambda kv: (kv[0][0], names[kv[0][1]])
    ):
        mean = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"))
        row = ScoreRow(period_start, key, names[key], len(values), mean)
        provider = _csat_provider[0] if _csat_provider else surveys_csat
        if with_csat:
            period_end = (
                (period_start.replace(day=28) + timedelta(days=4)).replace(day=1)
                - timedelta(days=1)
                if period == "month"
                else period_start + timedelta(days=6)
            )
            row.csat = provider(group=group, key=key, start=period_start, end=period_end)
        rows.append(row)
    return rows
