"""A seeded random.Random whose everyday draws are cheaper: the bulk mode draws tens of millions
of times. Same seed, same draws; never the global random module."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from typing import Any


class Chance(random.Random):
    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        if step != 1 or stop <= start:
            return super().randrange(start, stop, step)
        return start + int(self.random() * (stop - start))

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def choices(  # type: ignore[override]
        self,
        population: Sequence[Any],
        weights: Sequence[float] | None = None,
        *,
        cum_weights: Sequence[float] | None = None,
        k: int = 1,
    ) -> list[Any]:
        if k != 1:
            return super().choices(population, weights, cum_weights=cum_weights, k=k)
        if cum_weights is not None:
            x = self.random() * cum_weights[-1]
            return [population[bisect.bisect_right(cum_weights, x, 0, len(population) - 1)]]
        if weights is None:
            return [self.choice(population)]
        x = self.random() * sum(weights)
        running = 0.0
        for item, weight in zip(population, weights, strict=True):
            running += weight
            if x < running:
                return [item]
        return [population[-1]]
