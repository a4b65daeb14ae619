"""Time for the demo: the shop's opening hours in Paris, French public holidays, and when
customers write or call.

Times are whole seconds since the epoch (UTC): cheap to add and compare, and DST-safe because
local wall times are turned into instants only through zoneinfo."""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
OPEN_HOUR, CLOSE_HOUR = 9, 18
MINUTE, HOUR, DAY = 60, 3600, 86400

# Busier on Mondays, quiet at weekends; more in the January sales, November and December.
WEEKDAY_WEIGHT = (1.3, 1.15, 1.05, 1.0, 0.95, 0.3, 0.15)
MONTH_WEIGHT = (1.15, 0.95, 1.0, 0.95, 0.95, 0.95, 0.85, 0.75, 1.0, 1.0, 1.3, 1.35)
# Arrivals per hour of the day: business hours (phone and chat are answered only then) with
# late-morning and early-afternoon peaks, and the evenings when people write from home.
BUSINESS_PROFILE = (0,) * 9 + (8, 12, 11, 8, 6, 9, 10, 9, 7) + (0,) * 6
EVENING_PROFILE = (0,) * 7 + (2, 4) + (0,) * 9 + (4, 5, 6, 5, 3, 1)
WEEKEND_PROFILE = (0,) * 8 + (2, 4, 5, 5, 4, 4, 4, 4, 4, 4, 5, 5, 4, 3, 2, 1)


def to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def local_date(ts: int) -> date:
    return datetime.fromtimestamp(ts, PARIS).date()


def instant(day: date, seconds: int) -> int:
    """The instant at `seconds` after local midnight of `day` (wall-clock time in Paris)."""
    hours, rest = divmod(seconds, HOUR)
    return int(
        datetime(
            day.year, day.month, day.day, hours, rest // 60, rest % 60, tzinfo=PARIS
        ).timestamp()
    )


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    business: bool  # open: Monday to Friday and not a public holiday
    holiday: bool


class BusinessCalendar:
    """Opening windows (Monday–Friday 9:00–18:00, Paris, without French public holidays) between
    two dates, with business-time arithmetic over them."""

    def __init__(self, first: date, last: date) -> None:
        public = holidays.country_holidays("FR", years=range(first.year, last.year + 1))
        self.days: list[Day] = []
        self.opens: list[int] = []
        self.closes: list[int] = []
        day = first
        while day <= last:
            holiday = day in public
            business = day.weekday() < 5 and not holiday
            self.days.append(Day(day, business, holiday))
            if business:
                self.opens.append(instant(day, OPEN_HOUR * HOUR))
                self.closes.append(instant(day, CLOSE_HOUR * HOUR))
            day += timedelta(days=1)

    def is_open(self, ts: int) -> bool:
        i = bisect.bisect_right(self.opens, ts) - 1
        return i >= 0 and ts < self.closes[i]

    def business_add(self, ts: int, seconds: int) -> int:
        """The instant `seconds` of opening time after `ts` (from the next opening if closed)."""
        i = bisect.bisect_right(self.opens, ts) - 1
        if i < 0 or ts >= self.closes[i]:
            i += 1
            if i >= len(self.opens):
                return ts + seconds
            ts = self.opens[i]
        while True:
            room = self.closes[i] - ts
            if seconds <= room:
                return ts + seconds
            seconds -= room
            i += 1
            if i >= len(self.opens):
                return self.closes[-1] + seconds
            ts = self.opens[i]

    def next_open(self, ts: int) -> int:
        return self.business_add(ts, 0)


def day_weight(day: Day, position: float) -> float:
    """How many requests a day gets, relative to an ordinary Thursday; `position` (0→1) along
    the period adds the shop's growth."""
    weight = WEEKDAY_WEIGHT[day.day.weekday()] * MONTH_WEIGHT[day.day.month - 1]
    if day.holiday:
        weight = min(weight, 0.3)
    return weight * (0.85 + 0.3 * position)


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights`, summing exactly to `total`."""
    whole = sum(weights)
    counts, running, given = [], 0.0, 0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        counts.append(upto - given)
        given = upto
    return counts


_HOURS = range(24)
_CUMULATIVE = {
    profile: list(itertools.accumulate(profile))
    for profile in (BUSINESS_PROFILE, EVENING_PROFILE, WEEKEND_PROFILE)
}
assert all(len(profile) == 24 for profile in _CUMULATIVE)


def sample_time(rng: random.Random, day: date, profile: tuple[int, ...]) -> int:
    """A random instant on `day`, its hour drawn from `profile` (24 weights)."""
    hour = rng.choices(_HOURS, cum_weights=_CUMULATIVE[profile])[0]
    return instant(day, hour * HOUR + rng.randrange(HOUR))


def months_before(ts: int, months: int) -> int:
    """Local midnight, `months` calendar months before the day of `ts`."""
    day = local_date(ts)
    index = day.year * 12 + day.month - 1 - months
    return instant(date(index // 12, index % 12 + 1, min(day.day, 28)), 0)
