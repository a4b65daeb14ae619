"""The laws of business time, checked by hypothesis on random schedules, time zones (with DST
changes at 02:00, at midnight, by 30 minutes), holidays and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from guichet.sla.businesstime import (
    Schedule,
    business_time_add,
    business_time_between,
    business_time_subtract,
    is_open,
    next_opening,
)

ZONES = ["Europe/Paris", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "UTC"]
LAWS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@st.composite
def day_ranges(draw) -> tuple[tuple[int, int], ...]:
    cuts = draw(st.lists(st.integers(0, 96), min_size=0, max_size=6, unique=True))
    cuts = sorted(c * 15 for c in cuts)
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple((cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2))


@st.composite
def schedules(draw) -> Schedule:
    weekly = tuple(draw(day_ranges()) for _ in range(7))
    assume(any(weekly))
    days = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
    holidays = frozenset(draw(st.lists(days, max_size=20)))
    closed = frozenset(draw(st.lists(days, max_size=5)))
    openings = draw(st.dictionaries(days, day_ranges(), max_size=3))
    return Schedule(
        tz=ZoneInfo(draw(st.sampled_from(ZONES))),
        weekly=weekly,
        holidays=holidays,
        closed=closed,
        openings=openings,
    )


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=20_000).map(lambda m: timedelta(minutes=m))
seconds = st.integers(min_value=0, max_value=30 * 24 * 3600).map(lambda s: timedelta(seconds=s))


@LAWS
@given(schedules(), instants, durations)
def test_adding_then_measuring_gives_the_duration_back(schedule, start, duration):
    due = business_time_add(schedule, start, duration)
    assert due >= start
    assert business_time_between(schedule, start, due) == duration


@LAWS
@given(schedules(), instants, durations, durations)
def test_adding_is_monotonic(schedule, start, d1, d2):
    small, large = sorted((d1, d2))
    assert business_time_add(schedule, start, small) <= business_time_add(schedule, start, large)


@LAWS
@given(schedules(), instants, seconds, seconds)
def test_measuring_is_monotonic_and_never_more_than_real_time(schedule, start, a, b):
    near, far = sorted((a, b))
    first = business_time_between(schedule, start, start + near)
    second = business_time_between(schedule, start, start + far)
    assert timedelta(0) <= first <= second
    assert second - first <= far - near


@LAWS
@given(schedules(), instants, seconds, seconds)
def test_measuring_adds_up_over_consecutive_spans(schedule, start, a, b):
    middle, end = start + a, start + a + b
    total = business_time_between(schedule, start, end)
    assert total == business_time_between(schedule, start, middle) + business_time_between(
        schedule, middle, end
    )


@LAWS
@given(schedules(), instants, seconds)
def test_a_closed_period_adds_nothing(schedule, start, offset):
    closed_at = start + offset
    assume(not is_open(schedule, closed_at))
    reopens = next_opening(schedule, closed_at)
    assert business_time_between(schedule, closed_at, reopens) == timedelta(0)
    assert business_time_between(schedule, start, closed_at) == business_time_between(
        schedule, start, reopens
    )


@LAWS
@given(schedules(), instants, durations)
def test_the_due_instant_ends_an_open_stretch(schedule, start, duration):
    assume(duration > timedelta(0))
    due = business_time_add(schedule, start, duration)
    assert is_open(schedule, due - timedelta(microseconds=1))


@LAWS
@given(schedules(), instants, durations)
def test_subtracting_then_measuring_gives_the_duration_back(schedule, end, duration):
    begin = business_time_subtract(schedule, end, duration)
    assert begin <= end
    assert business_time_between(schedule, begin, end) == duration
