"""Stored daily counts of the barometer, so a period sums a few rows instead of reading its cases.

At a million cases a month holds ~60,000 cases and ~18,000 answers: reading them on every request
of a running period (the current month, week or quarter, never settled) costs ~0.5 s. Instead,
for each local day and set of filters, `DayFigures` keeps

- the counts of every figure of the barometer (answers by rating, invitations sent and answered,
  cases by first contact, cases by first resolution with their FCR, repeat and reopen counts), and
- a histogram of each of the five durations whose median is shown (bucket → cases), so the
  median's rank is found from the counts and only the few cases of that bucket are read back
  (an index on the value, then the date), and the median stays exact.

Whole months whose FCR and reopen windows are closed get one row of their own (a long custom
period then sums months, not days).

How they stay exact: a row is valid while none of its days has a newer stamp (`FigureDay`, bumped
in the same transaction as every change to case figures, answers or invitations dated that day)
than the stamp read *before* the row was computed — as for `PeriodFigures`. A stale or missing day
is recomputed from its rows (today's, in a live system: a few thousand rows at most). The rows do
not depend on the current time: the FCR and reopen counts of a day are used only once their window
has closed over the whole day; the day the window closes in is counted from the cases themselves.
`tests/surveys/test_daily.py` replays histories (a reopen, a late answer, a merge, a team change,
a calendar change …) and compares with a full recomputation after every step.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from guichet.surveys.facts import _raw, _when
from guichet.surveys.models import DayFigures, FigureDay

# Bump when what a row holds changes: rows of the old layout are then ignored.
DAILY_VERSION = 2

# The (value, date) index of each median's column (models.CaseFact).
VALUE_INDEXES = {
    "first_response_seconds": "casefact_frs_idx",
    "first_response_business_seconds": "casefact_frbs_idx",
    "owner_wait_seconds": "casefact_ows_idx",
    "resolution_seconds": "casefact_rs_idx",
    "resolution_business_seconds": "casefact_rbs_idx",
}
# Read a median's buckets through that index when they hold at most this share of the period's
# rows (SQLite, without range statistics, would otherwise walk the whole period by date).
VALUE_INDEX_SHARE = 0.2

# name → (CaseFact column, the date that puts a case in a period)
MEDIANS = {
    "first_response_seconds_median": ("first_response_seconds", "created_at"),
    "first_response_business_seconds_median": ("first_response_business_seconds", "created_at"),
    "time_to_owner_seconds_median": ("owner_wait_seconds", "created_at"),
    "resolution_seconds_median": ("resolution_seconds", "resolved_at"),
    "resolution_business_seconds_median": ("resolution_business_seconds", "resolved_at"),
}


def _bucket_bounds() -> list[float]:
    """Bucket i holds [BOUNDS[i], BOUNDS[i + 1]): below 0, each whole second below 64 s, then
    16 per doubling (64–68 s, …, 1 h 8 min–1 h 12 min, …) up to 2**41 s, and beyond. Small
    buckets keep the rows read back for a median few; whole numbers are exact as floats in
    both databases, so a bucket's range in SQL holds exactly the values counted in it."""
    bounds = [-math.inf] + [float(s) for s in range(64)]
    for bits in range(6, 41):
        width = 1 << (bits - 4)
        bounds += [float((1 << bits) + k * width) for k in range(16)]
    bounds.append(float(1 << 41))
    return bounds


BOUNDS = _bucket_bounds()


def bucket_of(value: float) -> int:
    return bisect_right(BOUNDS, value) - 1


def _put(hist: dict[int, list], value: float) -> None:
    """Count a value in its bucket, keeping the bucket's smallest and largest value: when they
    are equal (every case assigned at once: 0 s) the value at any rank in it is known."""
    bucket = bisect_right(BOUNDS, value) - 1
    entry = hist.get(bucket)
    if entry is None:
        hist[bucket] = [1, value, value]
        return
    entry[0] += 1
    if value < entry[1]:
        entry[1] = value
    elif value > entry[2]:
        entry[2] = value


def _merge(target: dict[int, list], hist: dict) -> None:
    for bucket, (count, low, high) in hist.items():
        bucket = int(bucket)
        entry = target.get(bucket)
        if entry is None:
            target[bucket] = [count, low, high]
            continue
        entry[0] += count
        if low < entry[1]:
            entry[1] = low
        if high > entry[2]:
            entry[2] = high


def bucket_range(first: int, last: int) -> tuple[float | None, float | None]:
    """The values of buckets first..last: value >= low (None: no bound), value < high."""
    low = BOUNDS[first] if first > 0 else None
    high = BOUNDS[last + 1] if last + 1 < len(BOUNDS) else None
    return low, high


def data_key(*, filters: dict[str, Any], fcr_window: float, reopen_window: float) -> str:
    identity = [
        DAILY_VERSION,
        sorted(filters.items()),
        fcr_window,
        reopen_window,
        str(timezone.get_current_timezone()),
    ]
    return hashlib.sha256(json.dumps(identity, default=str).encode()).hexdigest()


def midnight(day: date) -> datetime:
    """The start of a local day, as `selectors.Period.bounds` gives it."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# --- computing days from the rows ------------------------------------------------------------


@dataclass
class Sources:
    """The rows of the period with the barometer's filters applied (built by selectors)."""

    facts: QuerySet  # CaseFact, merged duplicates left out
    answers: QuerySet  # SurveyAnswer
    invitations: QuerySet  # SurveyInvitation
    fcr_window: float  # seconds
    reopen_window: float


def _empty() -> dict[str, Any]:
    return {"c": {}, "h": {name: {} for name in MEDIANS}}


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    run_first = run_last = None
    for day in sorted(days):
        if run_last is not None and day == run_last + timedelta(days=1):
            run_last = day
            continue
        if run_first is not None:
            yield run_first, run_last
        run_first = run_last = day
    if run_first is not None:
        yield run_first, run_last


def days_compute(days: Iterable[date], sources: Sources) -> dict[date, dict[str, Any]]:
    """Each day's counts and histograms, read from its rows (per run of consecutive days).

    Every test below is the one of the full computation in selectors (`_operational_figures`,
    `_answer_aggregates`, `_response_rate`), written in Python over the same rows."""
    wanted = sorted(set(days))
    counters = {day: Counter() for day in wanted}
    hists: dict[date, dict[str, dict[int, list]]] = {
        day: {name: {} for name in MEDIANS} for day in wanted
    }
    w, r = sources.fcr_window, sources.reopen_window
    for first, last in _runs(wanted):
        count = (last - first).days + 1
        edges = [midnight(first + timedelta(days=i)) for i in range(count + 1)]
        start, end = edges[0], edges[-1]
        run = [first + timedelta(days=i) for i in range(count)]

        def day_of(value: Any, edges: list[datetime] = edges, run: list[date] = run) -> date:
            return run[bisect_right(edges, _when(value)) - 1]

        created = sources.facts.filter(created_at__gte=start, created_at__lt=end).values_list(
            "created_at",
            "transfers",
            "inbound_contacts",
            "channel_switches",
            "first_response_seconds",
            "first_response_business_seconds",
            "owner_wait_seconds",
        )
        for at, transfers, inbound, switches, frs, frbs, ows in _raw(created):
            day = day_of(at)
            c, h = counters[day], hists[day]
            c["created_n"] += 1
            c["transfers"] += transfers
            c["inbound"] += inbound
            c["switches"] += switches
            if switches > 0:
                c["switched"] += 1
            if frs is not None:
                c["response_n"] += 1
                _put(h["first_response_seconds_median"], frs)
            if frbs is not None:
                c["response_business_n"] += 1
                _put(h["first_response_business_seconds_median"], frbs)
            if ows is not None:
                c["owned_n"] += 1
                _put(h["time_to_owner_seconds_median"], ows)
        resolved = sources.facts.filter(resolved_at__gte=start, resolved_at__lt=end).values_list(
            "resolved_at",
            "single_response",
            "repeat_delay_seconds",
            "reopen_delay_seconds",
            "contacts_to_resolution",
            "resolution_seconds",
            "resolution_business_seconds",
        )
        for at, single, repeat, reopen, contacts, rs, rbs in _raw(resolved):
            day = day_of(at)
            c, h = counters[day], hists[day]
            c["resolved_n"] += 1
            c["contacts_all"] += contacts
            if single and (repeat is None or repeat > w):
                c["fcr_all"] += 1
            if repeat is not None and repeat <= w:
                c["repeat_all"] += 1
            if reopen is not None and reopen <= r:
                c["reopened_all"] += 1
            if rs is not None:
                c["resolution_n"] += 1
                _put(h["resolution_seconds_median"], rs)
            if rbs is not None:
                c["resolution_business_n"] += 1
                _put(h["resolution_business_seconds_median"], rbs)
        answers = sources.answers.filter(answered_at__gte=start, answered_at__lt=end).values_list(
            "answered_at", "expectations_met", "fcr", "csat", "ces", "nps"
        )
        for at, met, fcr, csat, ces, nps in _raw(answers):
            c = counters[day_of(at)]
            if met is not None:
                c["em_n"] += 1
                if met:
                    c["em_yes"] += 1
            if fcr is not None:
                c["fcr_n"] += 1
                if fcr:
                    c["fcr_yes"] += 1
            if csat is not None:
                c[f"csat_{csat}"] += 1
            if ces is not None:
                c[f"ces_{ces}"] += 1
            if nps is not None:
                c[f"nps_{nps}"] += 1
        sent = sources.invitations.filter(sent_at__gte=start, sent_at__lt=end).values_list(
            "sent_at", "status"
        )
        for at, status in _raw(sent):
            c = counters[day_of(at)]
            c["invitations_n"] += 1
            if status == "answered":
                c["invitations_answered"] += 1
    return {
        day: {
            "c": dict(counters[day]),
            "h": {name: {str(b): e for b, e in hist.items()} for name, hist in hists[day].items()},
        }
        for day in wanted
    }


# --- a period from stored rows ---------------------------------------------------------------


@dataclass
class Sums:
    """A period's counts and histograms. `fcr_from` / `reopen_from`: cases resolved from then on
    are not in the FCR / reopen counts (their window had not closed over their whole day) and
    are counted from the cases."""

    counts: Counter = field(default_factory=Counter)
    # name → {bucket: [count, smallest, largest]}
    hists: dict[str, dict[int, list]] = field(default_factory=lambda: {n: {} for n in MEDIANS})
    fcr_from: datetime | None = None
    reopen_from: datetime | None = None
    computed_days: int = 0


@dataclass(frozen=True)
class _Unit:
    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def _units(start: date, end: date, *, now: datetime, settle: timedelta) -> list[_Unit]:
    """Whole settled months inside the period as one unit each, every other day alone."""
    units: list[_Unit] = []
    day = start
    while day <= end:
        last_of_month = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        whole = day.day == 1 and last_of_month <= end
        if whole and midnight(last_of_month + timedelta(days=1)) + settle <= now:
            units.append(_Unit(day, last_of_month))
            day = last_of_month + timedelta(days=1)
        else:
            units.append(_Unit(day, day))
            day += timedelta(days=1)
    return units


def _add(sums: Sums, data: dict[str, Any], *, fcr_ok: bool, reopen_ok: bool) -> None:
    counts = data["c"]
    for name, value in counts.items():
        sums.counts[name] += value
    if fcr_ok:
        sums.counts["fcr_n_mature"] += counts.get("resolved_n", 0)
        sums.counts["fcr_mature"] += counts.get("fcr_all", 0)
        sums.counts["repeat_mature"] += counts.get("repeat_all", 0)
        sums.counts["contacts_mature"] += counts.get("contacts_all", 0)
    if reopen_ok:
        sums.counts["reopen_n_mature"] += counts.get("resolved_n", 0)
        sums.counts["reopened_mature"] += counts.get("reopened_all", 0)
    for name, hist in data["h"].items():
        _merge(sums.hists[name], hist)


def _sum(datas: Iterable[dict[str, Any]]) -> dict[str, Any]:
    counts: Counter = Counter()
    hists: dict[str, dict[int, list]] = {name: {} for name in MEDIANS}
    for data in datas:
        counts.update(data["c"])
        for name, hist in data["h"].items():
            _merge(hists[name], hist)
    return {
        "c": dict(counts),
        "h": {name: {str(b): e for b, e in h.items()} for name, h in hists.items()},
    }


def period_sums(
    *, first: date, last: date, key: str, sources: Sources, now: datetime, store: bool = True
) -> Sums:
    """The counts of the days first..last, from stored rows where they are still valid; the
    others are computed from their rows (and stored)."""
    w = timedelta(seconds=sources.fcr_window)
    r = timedelta(seconds=sources.reopen_window)
    units = _units(first, last, now=now, settle=max(w, r))
    # The stamps are read BEFORE the rows: a change committed meanwhile has a newer stamp and
    # invalidates what is stored here.
    stamps = dict(
        FigureDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "stamp")
    )
    stored: dict[tuple[date, date], tuple[int, dict]] = {}

    def fetch(wanted: Q) -> None:
        rows = DayFigures.objects.filter(wanted, key=key).values_list(
            "first", "last", "stamp", "data"
        )
        stored.update({(f, la): (stamp, data) for f, la, stamp, data in rows})

    singles = [u.first for u in units if u.first == u.last]
    months = [u for u in units if u.first != u.last]
    wanted = Q(first__in=singles, last=F("first")) if singles else Q(pk__in=[])
    for unit in months:
        wanted |= Q(first=unit.first, last=unit.last)
    fetch(wanted)

    def valid(unit_first: date, unit_last: date) -> dict[str, Any] | None:
        found = stored.get((unit_first, unit_last))
        if found is None:
            return None
        newest = max(
            (stamps.get(d, 0) for d in _Unit(unit_first, unit_last).days),
            default=0,
        )
        return found[1] if found[0] >= newest else None

    datas: dict[_Unit, dict[str, Any]] = {}
    missing_days: set[date] = set()
    missing_months: list[_Unit] = []
    stale_months = [u for u in months if valid(u.first, u.last) is None]
    if stale_months:  # their days, to sum them up again
        days = Q(pk__in=[])
        for unit in stale_months:
            days |= Q(first__gte=unit.first, first__lte=unit.last)
        fetch(days & Q(last=F("first")))
    for unit in units:
        data = valid(unit.first, unit.last)
        if data is not None:
            datas[unit] = data
            continue
        if unit.first == unit.last:
            missing_days.add(unit.first)
            continue
        missing_months.append(unit)
        missing_days.update(d for d in unit.days if valid(d, d) is None)
    computed = days_compute(missing_days, sources) if missing_days else {}
    day_rows = [
        DayFigures(key=key, first=d, last=d, stamp=stamps.get(d, 0), data=data)
        for d, data in computed.items()
    ]
    for unit in units:
        if unit.first == unit.last and unit not in datas:
            datas[unit] = computed[unit.first]
    month_rows = []
    for unit in missing_months:
        datas[unit] = _sum(computed.get(d) or valid(d, d) for d in unit.days)
        newest = max((stamps.get(d, 0) for d in unit.days), default=0)
        month_rows.append(
            DayFigures(key=key, first=unit.first, last=unit.last, stamp=newest, data=datas[unit])
        )
    if store and (day_rows or month_rows):
        DayFigures.objects.bulk_create(
            day_rows + month_rows,
            update_conflicts=True,
            unique_fields=["key", "first", "last"],
            update_fields=["stamp", "data"],
            batch_size=200,
        )
    sums = Sums(computed_days=len(computed))
    fcr_from = reopen_from = midnight(first)
    for unit in units:
        unit_end = midnight(unit.last + timedelta(days=1))
        fcr_ok = unit_end <= now - w
        reopen_ok = unit_end <= now - r
        _add(sums, datas[unit], fcr_ok=fcr_ok, reopen_ok=reopen_ok)
        # Windows close in time order: the mature units come first.
        if fcr_ok:
            fcr_from = unit_end
        if reopen_ok:
            reopen_from = unit_end
    sums.fcr_from, sums.reopen_from = fcr_from, reopen_from
    return sums


def median_from_hist(
    hist: dict[int, list], *, qs: QuerySet, column: str, min_sample: int, fallback: Any
) -> dict[str, Any]:
    """The median figure (scoring.median) from a period's histogram of `column`: each rank's
    bucket is found from the counts; a bucket whose smallest and largest values are equal gives
    its value at once, any other is read back from the rows (`qs`: the period's rows with the
    filters), between its smallest and largest value. If the rows read back are not the ones the
    histogram counted (a change committed in between), the figure is computed the direct way
    (`fallback`)."""
    from guichet.surveys import scoring

    n = sum(entry[0] for entry in hist.values())
    if n < max(min_sample, 1):
        return scoring.insufficient(n, min_sample)
    ranks = sorted(set(scoring.median_ranks(n)))
    at_rank: dict[int, float] = {}
    to_read: dict[int, tuple[int, list[int]]] = {}  # bucket → (values before it, its ranks)
    below, i = 0, 0
    for bucket in sorted(hist):
        count, low, high = hist[bucket]
        upto = below + count
        while i < len(ranks) and ranks[i] <= upto:
            if low == high:
                at_rank[ranks[i]] = low
            else:
                to_read.setdefault(bucket, (below, []))[1].append(ranks[i])
            i += 1
        if i == len(ranks):
            break
        below = upto
    table = connection.ops.quote_name(qs.model._meta.db_table)
    for bucket, (before, bucket_ranks) in to_read.items():
        count, low, high = hist[bucket]
        rows = qs.filter(**{f"{column}__gte": low, f"{column}__lte": high}).values_list(column)
        sql, params = rows.query.sql_with_params()
        if connection.vendor == "sqlite" and count <= VALUE_INDEX_SHARE * n:
            sql = sql.replace(
                f"FROM {table}", f"FROM {table} INDEXED BY {VALUE_INDEXES[column]}", 1
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            values = sorted(v for (v,) in cursor.fetchall())
        if len(values) != count:
            return fallback()
        for rank in bucket_ranks:
            at_rank[rank] = values[rank - before - 1]
    return scoring.median_at_ranks(n, at_rank, min_sample=min_sample)


def day_figures_clear() -> int:
    return DayFigures.objects.all().delete()[0]
