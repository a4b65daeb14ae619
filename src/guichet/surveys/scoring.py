"""Pure scoring functions: counts in, figures out. No database, no Django.

Every figure is a dict with a stable shape, as the API returns it:
- enough data: {"value", "n", "low", "high"} (proportions as fractions 0–1 with their 95 % Wilson
  interval; NPS an integer −100..100; times in seconds);
- too little:  {"value": None, "n", "reason": "insufficient_sample", "min_sample"} — never a number
  that pretends (BRIEF "Metrics"; REQ-SAT-07).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

# Two-sided 95 %: the 0.975 quantile of the standard normal distribution.
Z95 = 1.959963984540054
DEFAULT_MIN_SAMPLE = 30
INSUFFICIENT = "insufficient_sample"

Figure = dict[str, Any]


def insufficient(n: int, min_sample: int) -> Figure:
    return {"value": None, "n": n, "reason": INSUFFICIENT, "min_sample": min_sample}


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    Unlike the normal approximation it stays inside [0, 1] and behaves at 0 % and 100 %."""
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = (z / denominator) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(successes: int, n: int, *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Figure:
    """A share with its sample size and 95 % Wilson interval; null below the minimum sample."""
    if n < max(min_sample, 1):
        return insufficient(n, min_sample)
    low, high = wilson_interval(successes, n)
    return {"value": successes / n, "n": n, "low": low, "high": high, "count": successes}


def csat(ratings: Mapping[int, int], *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Figure:
    """CSAT = share of 4 and 5 on a 1–5 scale ("top-2-box", REQ-MET-03). The mean is reported
    beside it, labelled, never as CSAT."""
    n = sum(ratings.values())
    top = ratings.get(4, 0) + ratings.get(5, 0)
    figure = proportion(top, n, min_sample=min_sample)
    if figure["value"] is not None:
        figure["mean"] = sum(k * v for k, v in ratings.items()) / n
    return figure


def nps(scores: Mapping[int, int], *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Figure:
    """NPS = % of 9–10 minus % of 0–6 on 0–10, an integer −100..100 (REQ-MET-04), with the
    counts and shares of each group. Interval: normal approximation of the difference of two
    shares of one multinomial sample, clamped to −100..100."""
    n = sum(scores.values())
    if n < max(min_sample, 1):
        return insufficient(n, min_sample)
    promoters = sum(v for k, v in scores.items() if k >= 9)
    detractors = sum(v for k, v in scores.items() if k <= 6)
    passives = n - promoters - detractors
    p_pro, p_det = promoters / n, detractors / n
    score = p_pro - p_det
    variance = (p_pro + p_det - score * score) / n
    half = Z95 * math.sqrt(max(variance, 0.0))
    return {
        "value": round(score * 100),
        "n": n,
        "low": max(-100, math.floor((score - half) * 100)),
        "high": min(100, math.ceil((score + half) * 100)),
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "promoters_share": p_pro,
        "passives_share": passives / n,
        "detractors_share": p_det,
    }


def ces(scores: Mapping[int, int], *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Figure:
    """CES on 1–7: the mean, with a 95 % interval for the mean, and the share who agree (5–7)
    with its Wilson interval (REQ-MET-05)."""
    n = sum(scores.values())
    if n < max(min_sample, 1):
        return insufficient(n, min_sample)
    mean = sum(k * v for k, v in scores.items()) / n
    variance = sum(v * (k - mean) ** 2 for k, v in scores.items()) / (n - 1) if n > 1 else 0.0
    half = Z95 * math.sqrt(variance / n)
    agree = sum(v for k, v in scores.items() if k >= 5)
    agree_low, agree_high = wilson_interval(agree, n)
    return {
        "value": mean,
        "n": n,
        "low": max(1.0, mean - half),
        "high": min(7.0, mean + half),
        "agree": agree / n,
        "agree_low": agree_low,
        "agree_high": agree_high,
    }


def median_ranks(n: int) -> tuple[int, int, int, int]:
    """1-based ranks of the sorted sample needed for the median and its distribution-free 95 %
    interval: (lower bound, middle low, middle high, upper bound) — the ranks
    n/2 ± 1.96·√n/2 (Conover, order statistics)."""
    spread = Z95 * math.sqrt(n) / 2
    lower_rank = max(1, math.floor(n / 2 - spread))
    upper_rank = min(n, math.ceil(1 + n / 2 + spread))
    middle_low = (n + 1) // 2
    middle_high = n // 2 + 1
    return lower_rank, middle_low, middle_high, upper_rank


def median_at_ranks(
    n: int, at_rank: Mapping[int, float], *, min_sample: int = DEFAULT_MIN_SAMPLE
) -> Figure:
    """The median figure from the values at `median_ranks(n)` (the database sorts; we pick)."""
    if n < max(min_sample, 1):
        return insufficient(n, min_sample)
    lower_rank, middle_low, middle_high, upper_rank = median_ranks(n)
    return {
        "value": (at_rank[middle_low] + at_rank[middle_high]) / 2
        if middle_low != middle_high
        else at_rank[middle_low],
        "n": n,
        "low": at_rank[lower_rank],
        "high": at_rank[upper_rank],
    }


def median(values: Iterable[float], *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Figure:
    """The median with a distribution-free 95 % interval from order statistics."""
    ordered = sorted(values)
    n = len(ordered)
    if n < max(min_sample, 1):
        return insufficient(n, min_sample)
    return median_at_ranks(
        n, {rank: ordered[rank - 1] for rank in median_ranks(n)}, min_sample=min_sample
    )


def mean(total: float, n: int, *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Figure:
    """A plain mean (transfers per case); no interval without the spread."""
    if n < max(min_sample, 1):
        return insufficient(n, min_sample)
    value = total / n
    return {"value": value, "n": n, "low": None, "high": None}


def count(value: int) -> Figure:
    """A count at a point in time (backlog): exact, so its interval is itself."""
    return {"value": value, "n": value, "low": value, "high": value}
