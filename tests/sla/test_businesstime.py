"""Examples of business-time arithmetic on the default French calendar and on edge schedules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.sla.businesstime import (
    NeverOpen,
    Schedule,
    business_minutes_add,
    business_minutes_between,
    business_time_subtract,
    is_open,
    next_opening,
    ranges_format,
    ranges_parse,
    working_days_add,
)
from guichet.sla.schedules import public_holidays

PARIS = ZoneInfo("Europe/Paris")
DAY = ranges_parse("09:00-12:30, 13:30-18:00")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture(scope="module")
def france() -> Schedule:
    return Schedule(tz=PARIS, weekly=(DAY,) * 5 + ((), ()), holidays=public_holidays("FR"))


@pytest.fixture(scope="module")
def always() -> Schedule:
    return Schedule(tz=PARIS, weekly=(((0, 1440),),) * 7)


def test_ranges_parse_reads_several_ranges_and_midnight():
    assert ranges_parse("09:00-12:30,13:30-18:00") == ((540, 750), (810, 1080))
    assert ranges_parse("22:00-24:00") == ((1320, 1440),)
    assert ranges_format(((540, 750), (810, 1080))) == "09:00-12:30, 13:30-18:00"


@pytest.mark.parametrize("text", ["9-8", "09:00", "10:00-12:00,11:00-13:00", "25:00-26:00", "a-b"])
def test_ranges_parse_refuses_bad_ranges(text):
    with pytest.raises(ValueError):
        ranges_parse(text)


def test_adding_within_the_morning_stays_in_the_morning(france):
    # given Monday 4 May 2026 at 09:30, when 60 business minutes are added
    due = business_minutes_add(france, paris(2026, 5, 4, 9, 30), 60)
    # then the due time is 10:30 the same morning, written with its offset
    assert due.isoformat() == "2026-05-04T10:30:00+02:00"


def test_adding_skips_the_lunch_break(france):
    due = business_minutes_add(france, paris(2026, 5, 4, 12, 0), 60)
    assert due == paris(2026, 5, 4, 14, 0)


def test_adding_skips_the_night(france):
    due = business_minutes_add(france, paris(2026, 5, 4, 17, 30), 60)
    assert due == paris(2026, 5, 5, 9, 30)


def test_adding_skips_a_weekend_and_may_day(france):
    # Thursday 30 April 17:00 + 2 h: 1 h on Thursday, Friday 1 May is a holiday, then the weekend.
    due = business_minutes_add(france, paris(2026, 4, 30, 17, 0), 120)
    assert due == paris(2026, 5, 4, 10, 0)


def test_a_target_ending_at_closing_time_is_due_at_closing_time(france):
    due = business_minutes_add(france, paris(2026, 5, 4, 9, 0), 480)
    assert due == paris(2026, 5, 4, 18, 0)


def test_starting_while_closed_counts_from_the_next_opening(france):
    due = business_minutes_add(france, paris(2026, 5, 9, 23, 0), 30)  # a Saturday night
    assert due == paris(2026, 5, 11, 9, 30)


def test_zero_minutes_gives_the_start_back(france):
    start = paris(2026, 5, 9, 23, 0)
    assert business_minutes_add(france, start, 0) == start


def test_between_counts_only_opening_hours(france):
    # Monday 09:00 → Tuesday 18:00: two business days of 8 h.
    assert business_minutes_between(france, paris(2026, 5, 4, 9), paris(2026, 5, 5, 18)) == 960


def test_between_is_negative_backwards(france):
    assert business_minutes_between(france, paris(2026, 5, 4, 10), paris(2026, 5, 4, 9)) == -60


def test_a_whole_holiday_counts_nothing(france):
    assert business_minutes_between(france, paris(2026, 7, 14), paris(2026, 7, 15)) == 0


def test_alsace_moselle_closes_on_good_friday_and_saint_stephen():
    # REQ-CAL-01: subdivision "57" (Moselle) and "6AE" (Alsace) add two holidays.
    for subdivision in ("57", "6AE"):
        moselle = Schedule(
            tz=PARIS, weekly=(DAY,) * 5 + ((), ()), holidays=public_holidays("FR", subdivision)
        )
        assert business_minutes_between(moselle, paris(2026, 4, 3), paris(2026, 4, 4)) == 0
        assert date(2026, 12, 26) in moselle.holidays
    national = public_holidays("FR")
    assert date(2026, 4, 3) not in national


def test_other_countries_use_their_own_holidays():
    # REQ-CAL-04: Belgium's national day, 21 July.
    assert date(2026, 7, 21) in public_holidays("BE")
    assert date(2026, 7, 21) not in public_holidays("FR")


def test_spring_dst_day_is_23_hours_long(always):
    # 29 March 2026: clocks jump from 02:00 to 03:00 in Paris.
    assert business_minutes_between(always, paris(2026, 3, 29), paris(2026, 3, 30)) == 23 * 60


def test_autumn_dst_day_is_25_hours_long(always):
    assert business_minutes_between(always, paris(2026, 10, 25), paris(2026, 10, 26)) == 25 * 60


def test_adding_across_the_autumn_change_counts_real_time(always):
    start = paris(2026, 10, 25, 0, 0)
    due = business_minutes_add(always, start, 4 * 60)
    # 4 real hours after midnight CEST (22:00 UTC) is 02:00 UTC = 03:00 CET.
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert due.isoformat() == "2026-10-25T03:00:00+01:00"


def test_a_range_inside_the_skipped_hour_is_empty():
    night = Schedule(tz=PARIS, weekly=(((135, 165),),) * 7)  # 02:15-02:45
    assert night.intervals_on(date(2026, 3, 29)) == ()
    assert len(night.intervals_on(date(2026, 3, 30))) == 1


def test_exceptional_opening_replaces_a_holiday_and_closure_removes_a_day(france):
    schedule = Schedule(
        tz=PARIS,
        weekly=(DAY,) * 5 + ((), ()),
        holidays=public_holidays("FR"),
        closed=frozenset({date(2026, 5, 4)}),
        openings={date(2026, 5, 1): ((600, 720),), date(2026, 5, 2): ((540, 600),)},
    )
    assert business_minutes_between(schedule, paris(2026, 5, 1), paris(2026, 5, 2)) == 120
    assert business_minutes_between(schedule, paris(2026, 5, 2), paris(2026, 5, 3)) == 60
    assert business_minutes_between(schedule, paris(2026, 5, 4), paris(2026, 5, 5)) == 0


def test_subtract_finds_the_warning_time_before_a_due_time(france):
    # One business hour before Tuesday 09:30 is Monday 17:30.
    warn = business_time_subtract(france, paris(2026, 5, 5, 9, 30), timedelta(hours=1))
    assert warn == paris(2026, 5, 4, 17, 30)


def test_open_and_next_opening(france):
    assert is_open(france, paris(2026, 5, 4, 9, 0))
    assert not is_open(france, paris(2026, 5, 4, 12, 45))
    assert next_opening(france, paris(2026, 5, 4, 12, 45)) == paris(2026, 5, 4, 13, 30)


def test_a_calendar_that_never_opens_says_so():
    closed = Schedule(tz=PARIS, weekly=((),) * 7)
    with pytest.raises(NeverOpen):
        business_minutes_add(closed, paris(2026, 5, 4), 1)


def test_naive_instants_are_refused(france):
    with pytest.raises(ValueError):
        business_minutes_between(france, datetime(2026, 5, 4), paris(2026, 5, 5))


def test_working_days_ouvres_and_ouvrables(france):
    # REQ-CAL-03: from Thursday 30 April 2026, 2 working days.
    # "ouvrés": Friday 1 May is a holiday, the weekend is closed → Monday 4, Tuesday 5.
    assert working_days_add(france, date(2026, 4, 30), 2, mode="ouvres") == date(2026, 5, 5)
    # "ouvrables": Monday–Saturday except holidays → Saturday 2, Monday 4.
    assert working_days_add(france, date(2026, 4, 30), 2, mode="ouvrables") == date(2026, 5, 4)
