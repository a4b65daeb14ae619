"""Pre-aggregates of the reactivity report, kept exact.

At a million cases the report cannot read every CaseTarget row: it reads two small tables.

- `ReportCell`: finished runs met and breached, per target, week, team, channel and priority.
- `ReportBucket`: finished runs per target, week and bucket of whole minutes of time taken
  (business and calendar), for all runs and per team, per channel, per priority. Buckets are
  one minute wide below 32 minutes, then 16 per doubling (32–33, 34–35, …, 64–67, …), so the
  bucket holding the median is small; the reader then reads only that bucket's runs from
  CaseTarget (an index on target, time taken, week) and the median and 90th percentile stay
  exact to the minute.

Running runs are not in the aggregates: whether one is overdue depends on the moment of reading,
so the report counts them from CaseTarget (a partial index holds only the running rows).

How they stay exact: `sla.services.sync` is the only writer of finished runs; every time it
rewrites a case's runs it calls `aggregates_apply(old_rows, new_rows)` in the same transaction,
which subtracts what the old rows counted and adds what the new ones count (an upsert per key,
in key order so concurrent transactions lock rows in the same order). The recompute after a
calendar change only moves running runs' due times, which the aggregates do not hold.
`aggregates_rebuild()` recomputes both tables from CaseTarget in SQL (`guichet sla aggregates`,
and after a bulk import); `aggregates_check()` compares them without writing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import connection, transaction

from guichet.sla.choices import Outcome
from guichet.sla.models import CaseTarget, ReportBucket, ReportCell

MEASURED = (Outcome.MET, Outcome.BREACHED)
MEASURES = {"business": "business_seconds", "calendar": "calendar_seconds"}
# The histogram rows kept per run: all runs, and per value of each report filter.
DIMS = {"": None, "team": "team_id", "channel": "channel", "priority": "priority"}
# Buckets are exact below 2**EXACT_BITS minutes, then 2**SUB_BITS per doubling.
EXACT_BITS = 5
SUB_BITS = 4
MAX_BITS = 48


def minute_of(seconds: int) -> int:
    """Whole minutes, truncated toward zero (what SQL's integer division gives)."""
    return seconds // 60 if seconds >= 0 else -((-seconds) // 60)


def bucket_of(minute: int) -> int:
    """The first minute of the bucket holding `minute`."""
    if minute < (1 << EXACT_BITS):
        return minute
    width = 1 << (minute.bit_length() - 1 - SUB_BITS)
    return minute - minute % width


def bucket_end(first: int) -> int:
    """The first minute after the bucket starting at `first`."""
    if first < (1 << EXACT_BITS):
        return first + 1
    return first + (1 << (first.bit_length() - 1 - SUB_BITS))


def _bucket_sql(minute: str) -> str:
    """`bucket_of` as a SQL expression (no logarithm: SQLite may lack math functions)."""
    parts = [f"WHEN {minute} < {1 << EXACT_BITS} THEN {minute}"]
    for bits in range(EXACT_BITS, MAX_BITS):
        width = 1 << (bits - SUB_BITS)
        parts.append(f"WHEN {minute} < {1 << (bits + 1)} THEN {minute} - {minute} % {width}")
    return f"(CASE {' '.join(parts)} ELSE {minute} END)"


def team_key(team_id: int | None) -> int:
    return team_id or 0


# --- Incremental upkeep ---------------------------------------------------------------------


def _count(
    rows: Iterable[Mapping[str, Any]], sign: int, cells: dict[tuple, list[int]], buckets: Counter
) -> None:
    for row in rows:
        outcome = row["outcome"]
        if outcome not in MEASURED:
            continue
        kind, week, team = row["kind"], row["week"], team_key(row["team_id"])
        counts = cells.setdefault((kind, week, team, row["channel"], row["priority"]), [0, 0])
        counts[0 if outcome == Outcome.MET else 1] += sign
        for measure, column in MEASURES.items():
            seconds = row[column]
            if seconds is None:
                continue
            first = bucket_of(minute_of(seconds))
            for dim, field in DIMS.items():
                value = "" if field is None else str(team if dim == "team" else row[field])
                buckets[(kind, measure, dim, value, week, first)] += sign


def aggregates_apply(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> None:
    """Move the aggregates from what `old` CaseTarget rows counted to what `new` ones count.
    Rows are dicts with kind, week, team_id, channel, priority, outcome, business_seconds and
    calendar_seconds. Call inside the transaction that writes the rows."""
    cells: dict[tuple, list[int]] = {}
    buckets: Counter = Counter()
    _count(old, -1, cells, buckets)
    _count(new, +1, cells, buckets)
    _upsert(
        ReportCell,
        ("kind", "week", "team_key", "channel", "priority"),
        ("met", "breached"),
        sorted((*key, met, breached) for key, (met, breached) in cells.items() if met or breached),
    )
    _upsert(
        ReportBucket,
        ("kind", "measure", "dim", "value", "week", "minute"),
        ("n",),
        sorted((*key, n) for key, n in buckets.items() if n),
    )


def _upsert(model, keys: tuple[str, ...], counts: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count, in one executemany
    (SQLite ≥ 3.24 and PostgreSQL)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(model._meta.get_field(f).column) for f in keys + counts]
    key_columns = ", ".join(columns[: len(keys)])
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns[len(keys) :])
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names from the model)
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({key_columns}) DO UPDATE SET {updates}"
    )
    if connection.vendor == "sqlite":
        rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- Full rebuild and check -------------------------------------------------------------------


def _cell_select() -> str:
    return (
        "SELECT kind, week, COALESCE(team_id, 0) AS team_key, channel, priority, "  # noqa: S608
        "SUM(CASE WHEN outcome = 'met' THEN 1 ELSE 0 END) AS met, "
        "SUM(CASE WHEN outcome = 'breached' THEN 1 ELSE 0 END) AS breached "
        f"FROM {CaseTarget._meta.db_table} WHERE outcome IN ('met', 'breached') "
        "GROUP BY kind, week, COALESCE(team_id, 0), channel, priority"
    )


def _bucket_selects() -> list[str]:
    selects = []
    for measure, column in MEASURES.items():
        bucket = _bucket_sql(f"({column} / 60)")
        for dim, field in DIMS.items():
            if field is None:
                value = "''"
            elif dim == "team":
                value = "CAST(COALESCE(team_id, 0) AS VARCHAR(20))"
            else:
                value = field
            selects.append(
                f"SELECT kind, '{measure}' AS measure, '{dim}' AS dim, {value} AS value, "  # noqa: S608
                "week, "
                f"{bucket} AS minute, COUNT(*) AS n FROM {CaseTarget._meta.db_table} "
                f"WHERE outcome IN ('met', 'breached') AND {column} IS NOT NULL "
                f"GROUP BY kind, {'' if field is None else value + ', '}week, {bucket}"
            )
    return selects


def aggregates_rebuild() -> tuple[int, int]:
    """Recompute both tables from CaseTarget, in one transaction. Returns (cells, buckets)."""
    cells, buckets = ReportCell._meta.db_table, ReportBucket._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Syncs committing meanwhile wait at their upsert, then add their change on top.
            cursor.execute(f"LOCK TABLE {cells}, {buckets} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {cells}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {cells} (kind, week, team_key, channel, priority, met, breached) "
            + _cell_select()
        )
        cursor.execute(f"DELETE FROM {buckets}")  # noqa: S608
        for select in _bucket_selects():
            cursor.execute(
                f"INSERT INTO {buckets} (kind, measure, dim, value, week, minute, n) " + select
            )
        return ReportCell.objects.count(), ReportBucket.objects.count()


def aggregates_check() -> list[str]:
    """What differs between the stored aggregates and a recomputation from CaseTarget (empty
    when they agree). Read-only."""
    with connection.cursor() as cursor:
        cursor.execute(_cell_select())
        expected_cells = {
            tuple(_norm(v) for v in row[:5]): (row[5], row[6]) for row in cursor.fetchall()
        }
        expected_buckets: dict[tuple, int] = {}
        for select in _bucket_selects():
            cursor.execute(select)
            for row in cursor.fetchall():
                expected_buckets[tuple(_norm(v) for v in row[:6])] = row[6]
    stored_cells = {
        (kind, _norm(week), team, channel, priority): (met, breached)
        for kind, week, team, channel, priority, met, breached in ReportCell.objects.values_list(
            "kind", "week", "team_key", "channel", "priority", "met", "breached"
        )
        if met or breached
    }
    stored_buckets = {
        (kind, measure, dim, value, _norm(week), minute): n
        for kind, measure, dim, value, week, minute, n in ReportBucket.objects.values_list(
            "kind", "measure", "dim", "value", "week", "minute", "n"
        )
        if n
    }
    problems = []
    for key in sorted(set(expected_cells) | set(stored_cells), key=str):
        if expected_cells.get(key, (0, 0)) != stored_cells.get(key, (0, 0)):
            problems.append(f"cell {key}: {stored_cells.get(key)} != {expected_cells.get(key)}")
    for key in sorted(set(expected_buckets) | set(stored_buckets), key=str):
        if expected_buckets.get(key, 0) != stored_buckets.get(key, 0):
            problems.append(
                f"bucket {key}: {stored_buckets.get(key)} != {expected_buckets.get(key)}"
            )
    return problems


def _norm(value: Any) -> Any:
    """Dates as ISO text (SQLite returns them as text from raw SQL)."""
    return value.isoformat() if isinstance(value, date) else value
