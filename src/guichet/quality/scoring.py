"""Review scores: pure functions (REQ-QA-01: a /20 and a % score from weighted criteria)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal


def review_percent(marks: Iterable[tuple[int, int, int | None]]) -> Decimal:
    """Weighted score in % from (weight, scale_max, value) triples; a None value is "not
    applicable" and leaves the criterion out of both the total and the maximum.

    >>> review_percent([(2, 4, 4), (1, 4, 2)])
    Decimal('83.3')
    """
    earned = Decimal(0)
    possible = Decimal(0)
    for weight, scale_max, value in marks:
        if value is None:
            continue
        earned += Decimal(weight) * Decimal(value) / Decimal(scale_max)
        possible += Decimal(weight)
    if possible == 0:
        raise ValueError("at least one criterion must be scored")
    return (earned * 100 / possible).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent_to_20(percent: Decimal) -> Decimal:
    """75 % → 15.0 /20 (the ESCDA scale, where 12/20 is the winning threshold)."""
    return (Decimal(percent) / 5).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def spread(values: Iterable[Decimal]) -> Decimal | None:
    """Calibration spread: highest minus lowest score; None with fewer than two reviewers."""
    items = list(values)
    if len(items) < 2:
        return None
    return max(items) - min(items)
