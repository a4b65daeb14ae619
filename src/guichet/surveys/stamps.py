"""Day stamps: which local days' figures changed, and when (for PeriodFigures).

Every change to case figures, survey answers or invitations calls `figure_days_touch` with the
local days its rows are dated, inside its own transaction. Stamps come from a database sequence
taken under its row lock, so they grow in commit order: a reader that reads the stamps first and
the data after can never store figures newer than the stamp it records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Max
from django.utils import timezone

from guichet.core.sequences import sequence_next
from guichet.surveys.models import FigureDay, PeriodFigures

STAMP_SEQUENCE = "barometer-figures"


def local_day(instant: datetime | None) -> date | None:
    return timezone.localtime(instant).date() if instant is not None else None


def figure_days_touch(days: Iterable[date | None]) -> None:
    wanted = sorted({d for d in days if d is not None})
    if not wanted:
        return
    stamp = sequence_next(name=STAMP_SEQUENCE)
    FigureDay.objects.bulk_create(
        [FigureDay(day=day, stamp=stamp) for day in wanted],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["stamp"],
        batch_size=500,
    )


def figure_days_stamp(first: date, last: date) -> int:
    """The newest stamp of the days first..last (0 when none changed since the start)."""
    found = FigureDay.objects.filter(day__gte=first, day__lte=last).aggregate(m=Max("stamp"))
    return found["m"] or 0


def period_figures_clear() -> int:
    """Forget every cached period and stored day (after a bulk change that did not stamp its
    days)."""
    from guichet.surveys.models import DayFigures

    return PeriodFigures.objects.all().delete()[0] + DayFigures.objects.all().delete()[0]
