"""Business time: pure functions over a weekly schedule, public holidays and exceptions.

Nothing here touches the database. A `Schedule` says, for any local date, which wall-clock
ranges are open; every function turns those ranges into real instants (UTC) before counting, so
nights, weekends, holidays and daylight-saving changes need no special case:

- a range that crosses a DST change lasts its real length (a 00:00–24:00 range lasts 23 h on the
  last Sunday of March in Paris, 25 h on the last Sunday of October);
- a range starting in the hour that does not exist (spring) starts when the clocks jump;
  a range ending in the hour that happens twice (autumn) ends at its second occurrence.

The laws (checked by property tests in tests/sla/test_businesstime_laws.py):
- `business_time_between(s, business_time_add(s, t, d)) == d`  (adding then measuring gives d back);
- `business_time_add` is monotonic in the duration, `business_time_between` in the end instant;
- a closed period adds nothing: moving the end of a span inside a closed period changes nothing.

REQ-CAL-02: a site's working calendar = weekly schedule − public holidays − the firm's closures,
plus the firm's exceptional openings. REQ-MET-06: DST-safe arithmetic.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far ahead `business_time_add` looks for opening hours before giving up.
HORIZON_DAYS = 3660

# Minutes since local midnight: (start, end) with 0 <= start < end <= 1440 (1440 = 24:00).
Range = tuple[int, int]
Interval = tuple[datetime, datetime]


class NeverOpen(ValueError):
    """The schedule has no opening hours within the horizon: no due instant exists."""


def _aware(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone offset")
    return instant.astimezone(UTC)


def ranges_validate(ranges: tuple[Range, ...] | list[Range]) -> tuple[Range, ...]:
    """Sorted, non-overlapping, within the day; raises ValueError otherwise."""
    result = tuple(sorted((int(a), int(b)) for a, b in ranges))
    for start, end in result:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"invalid opening range {start}-{end}")
    for (_, end), (start, _) in pairwise(result):
        if start < end:
            raise ValueError("opening ranges overlap")
    return result


def ranges_parse(text: str) -> tuple[Range, ...]:
    """ "09:00-12:30, 13:30-18:00" → ((540, 750), (810, 1080)); "" → (); "24:00" is midnight."""

    def minutes(value: str) -> int:
        hours, _, mins = value.strip().partition(":")
        if not hours.isdigit() or not (mins or "0").isdigit():
            raise ValueError(f"invalid time {value!r}")
        total = int(hours) * 60 + int(mins or 0)
        if int(mins or 0) >= 60 or total > MINUTES_PER_DAY:
            raise ValueError(f"invalid time {value!r}")
        return total

    ranges = []
    for part in (p for p in text.split(",") if p.strip()):
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(f"invalid range {part.strip()!r}: use HH:MM-HH:MM")
        ranges.append((minutes(start), minutes(end)))
    return ranges_validate(ranges)


def ranges_format(ranges: tuple[Range, ...]) -> str:
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in ranges)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Counting is done in whole microseconds since the epoch: exact, and integer arithmetic is what
# makes recomputing 100,000 due times fast.
Span = tuple[int, int]


def to_microseconds(instant: datetime) -> int:
    """µs since the epoch (exact)."""
    return (instant - EPOCH) // MICROSECOND


def from_microseconds(us: int) -> datetime:
    """The UTC instant `us` µs after the epoch."""
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, eq=False)
class Schedule:
    """When a site is open.

    `weekly[0]` is Monday's ranges … `weekly[6]` Sunday's. A date in `openings` uses those ranges
    instead of the weekly ones (an exceptional opening, or shorter hours on Christmas Eve), even on
    a holiday; otherwise a date in `holidays` or `closed` is closed all day."""

    tz: ZoneInfo
    weekly: tuple[tuple[Range, ...], ...]
    holidays: Container[date] = frozenset()
    closed: Container[date] = frozenset()
    openings: Mapping[date, tuple[Range, ...]] = field(default_factory=dict)
    # Per local date (as an ordinal): its open spans in µs since the epoch, and their total.
    _cache: dict[int, tuple[tuple[Span, ...], int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("a weekly schedule has 7 days, Monday first")
        object.__setattr__(self, "weekly", tuple(ranges_validate(r) for r in self.weekly))
        object.__setattr__(
            self, "openings", {d: ranges_validate(r) for d, r in dict(self.openings).items()}
        )

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        if day in self.openings:
            return self.openings[day]
        if day in self.closed or day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    def is_working_day(self, day: date) -> bool:
        return bool(self.ranges_on(day))

    def spans(self, ordinal: int) -> tuple[tuple[Span, ...], int]:
        """The open spans of a local date (given as an ordinal), sorted and merged, in µs since
        the epoch, with their total length."""
        cached = self._cache.get(ordinal)
        if cached is not None:
            return cached
        day = date.fromordinal(ordinal)
        spans: list[list[int]] = []
        # Days partition time: whatever DST does around midnight, no instant belongs to two days.
        day_start, day_end = (
            self._local_us(day, 0, fold=0),
            self._local_us(day, MINUTES_PER_DAY, fold=0),
        )
        for start, end in self.ranges_on(day):
            a = max(self._local_us(day, start, fold=0), day_start)
            b = min(self._local_us(day, end, fold=1), day_end)
            if b <= a:  # the range falls in the hour skipped in spring
                continue
            if spans and a <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], b)
            else:
                spans.append([a, b])
        result = (tuple((a, b) for a, b in spans), sum(b - a for a, b in spans))
        self._cache[ordinal] = result
        return result

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The open intervals of a local date, as UTC instants, sorted and merged."""
        spans, _total = self.spans(day.toordinal())
        return tuple((from_microseconds(a), from_microseconds(b)) for a, b in spans)

    def _local_us(self, day: date, minute: int, *, fold: int) -> int:
        if minute == MINUTES_PER_DAY:
            day, minute, fold = day + timedelta(days=1), 0, 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return to_microseconds(local.replace(fold=fold))

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def local_ordinal(self, instant: datetime) -> int:
        return instant.astimezone(self.tz).toordinal()


def _between_us(schedule: Schedule, start: int, end: int, first: int, last: int) -> int:
    total = 0
    for ordinal in range(first, last + 1):
        spans, day_total = schedule.spans(ordinal)
        if not spans:
            continue
        if spans[0][0] >= start and spans[-1][1] <= end:
            total += day_total
            continue
        for a, b in spans:
            lo = a if a > start else start
            hi = b if b < end else end
            if hi > lo:
                total += hi - lo
    return total


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """The open time between two instants; negative when `end` is before `start`."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end < start:
        return -business_time_between(schedule, end, start)
    # From the day before: where DST moves midnight, an instant may sit in the previous day.
    first = schedule.local_ordinal(start) - 1
    total = _between_us(
        schedule, to_microseconds(start), to_microseconds(end), first, schedule.local_ordinal(end)
    )
    return timedelta(microseconds=total)


def business_time_add(schedule: Schedule, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of open time has passed since `start`.

    The result is in the schedule's time zone. A zero duration gives `start` back; a duration
    that ends exactly at closing time gives the closing instant (due "before 18:00")."""
    start = _aware(start, "start")
    if duration < timedelta(0):
        raise ValueError("the duration cannot be negative")
    if duration == timedelta(0):
        return start.astimezone(schedule.tz)
    due = add_microseconds(
        schedule, to_microseconds(start), schedule.local_ordinal(start), duration // MICROSECOND
    )
    return from_microseconds(due).astimezone(schedule.tz)


def add_microseconds(schedule: Schedule, begin: int, ordinal: int, remaining: int) -> int:
    """`business_time_add` on integers: `begin` in µs since the epoch, `ordinal` its local date,
    `remaining` > 0 µs. For bulk recomputes, which skip the datetime conversions."""
    first = ordinal - 1  # from the day before: DST may move midnight
    for day in range(first, first + HORIZON_DAYS):
        spans, day_total = schedule.spans(day)
        if not spans or spans[-1][1] <= begin:
            continue
        if spans[0][0] >= begin and day_total < remaining:
            remaining -= day_total
            continue
        for a, b in spans:
            if b <= begin:
                continue
            lo = a if a > begin else begin
            available = b - lo
            if remaining <= available:
                return lo + remaining
            remaining -= available
    raise NeverOpen(f"the calendar has no opening hours within {HORIZON_DAYS} days")


def business_time_subtract(schedule: Schedule, end: datetime, duration: timedelta) -> datetime:
    """The latest instant from which `duration` of open time leads to `end` (a warning "one
    business hour before the due time"). Zero gives `end` back."""
    end = _aware(end, "end")
    if duration < timedelta(0):
        raise ValueError("the duration cannot be negative")
    if duration == timedelta(0):
        return end.astimezone(schedule.tz)
    remaining = duration // MICROSECOND
    finish = to_microseconds(end)
    last = schedule.local_ordinal(end) + 1
    for ordinal in range(last, last - HORIZON_DAYS, -1):
        spans, day_total = schedule.spans(ordinal)
        if not spans or spans[0][0] >= finish:
            continue
        if spans[-1][1] <= finish and day_total < remaining:
            remaining -= day_total
            continue
        for a, b in reversed(spans):
            if a >= finish:
                continue
            hi = b if b < finish else finish
            available = hi - a
            if remaining <= available:
                return from_microseconds(hi - remaining).astimezone(schedule.tz)
            remaining -= available
    raise NeverOpen(f"the calendar has no opening hours within {HORIZON_DAYS} days")


def business_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    return business_time_between(schedule, start, end).total_seconds() / 60


def business_minutes_add(schedule: Schedule, start: datetime, minutes: float) -> datetime:
    return business_time_add(schedule, start, timedelta(minutes=minutes))


def is_open(schedule: Schedule, instant: datetime) -> bool:
    instant = _aware(instant, "instant")
    at = to_microseconds(instant)
    ordinal = schedule.local_ordinal(instant)
    return any(a <= at < b for o in (ordinal - 1, ordinal) for a, b in schedule.spans(o)[0])


def next_opening(schedule: Schedule, instant: datetime) -> datetime:
    """`instant` itself when open, else the next instant the site opens."""
    instant = _aware(instant, "instant")
    at = to_microseconds(instant)
    first = schedule.local_ordinal(instant) - 1
    for ordinal in range(first, first + HORIZON_DAYS):
        for a, b in schedule.spans(ordinal)[0]:
            if b > at:
                return from_microseconds(max(a, at)).astimezone(schedule.tz)
    raise NeverOpen(f"the calendar has no opening hours within {HORIZON_DAYS} days")


CountingMode = Literal["ouvres", "ouvrables"]


def working_days_add(schedule: Schedule, day: date, days: int, *, mode: CountingMode) -> date:
    """The date `days` working days after `day` (REQ-CAL-03).

    "ouvrés": the days the schedule opens (its weekly hours, minus holidays and closures, plus
    exceptional openings). "ouvrables": Monday to Saturday except public holidays, whatever the
    opening hours — the legal count used by some regulators' deadlines."""
    if days < 0:
        raise ValueError("the number of days cannot be negative")

    def counts(d: date) -> bool:
        if mode == "ouvres":
            return schedule.is_working_day(d)
        if mode == "ouvrables":
            return d.weekday() < 6 and d not in schedule.holidays
        raise ValueError(f"unknown counting mode {mode!r}")

    current, left = day, days
    for _ in range(HORIZON_DAYS):
        if left == 0:
            return current
        current += timedelta(days=1)
        if counts(current):
            left -= 1
    raise NeverOpen(f"no working day within {HORIZON_DAYS} days")
