"""Writing many rows at once with executemany: rebuilding or recomputing 100,000 cases' clocks
spends more time building and preparing model instances than the database spends writing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from guichet.cases.models import CaseEvent


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT many rows given as {attname: value} in one executemany: what bulk_create does,
    without building and preparing a model instance per row (most of a rebuild's time)."""
    if not rows:
        return
    meta = model._meta
    names = list(rows[0])
    fields = [meta.get_field(n[:-3] if n.endswith("_id") else n) for n in names]
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    adapters = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "DateTimeField" and sqlite:
            adapters.append(_sqlite_datetime)
        elif kind == "DateField" and sqlite:
            adapters.append(lambda v: None if v is None else v.isoformat())
        elif kind == "JSONField":
            adapters.append(lambda v, f=field: f.get_db_prep_save(v, connection))
        else:
            adapters.append(None)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (names from the model's meta)
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    values = [
        tuple(
            adapt(row[name]) if adapt else row[name]
            for name, adapt in zip(names, adapters, strict=True)
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def insert_events(events: Sequence[Any]) -> None:
    """The bulk form of cases.events.event_record: `events` have case_id, kind, data and
    created_at (CaseEvent instances or lighter objects); one executemany."""
    if not events:
        return
    meta = CaseEvent._meta
    fields = [meta.get_field(name) for name in ("case", "kind", "actor", "data", "created_at")]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)"
    )
    data_field = meta.get_field("data")
    adapt = _sqlite_datetime if connection.vendor == "sqlite" else (lambda v: v)
    rows = [
        (
            e.case_id,
            e.kind,
            None,
            data_field.get_db_prep_save(e.data, connection),
            adapt(e.created_at),
        )
        for e in events
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _sqlite_datetime(value: datetime | None) -> str | None:
    # What Django's SQLite backend stores (naive UTC, str()), without its per-value checks.
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]  # the naive form, without building a naive copy


def fetch_rows(queryset, columns: tuple[str, ...], *, datetimes: tuple[int, ...] = ()) -> list:
    """`queryset.values_list(*columns)` through the cursor, without Django's per-value
    converters (most of the time of reading 100,000 rows). The date-times at positions
    `datetimes` come back aware (on SQLite they are read as text and parsed by fromisoformat,
    which is much faster than the driver's converter)."""
    sqlite = connection.vendor == "sqlite"
    wanted = [
        Cast(name, TextField()) if sqlite and i in datetimes else name
        for i, name in enumerate(columns)
    ]
    sql, params = queryset.values_list(*wanted).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not sqlite or not datetimes:
        return rows
    parse = datetime.fromisoformat
    result = []
    for row in rows:
        row = list(row)
        for i in datetimes:
            if row[i] is not None:
                row[i] = parse(row[i]).replace(tzinfo=UTC)
        result.append(row)
    return result


def update_many(model, fields: tuple[str, ...], key: str, rows: list[tuple]) -> None:
    """UPDATE … WHERE key = ? for many rows in one executemany: the recompute writes every open
    case's due times, and per-row ORM updates (or bulk_update's CASE expressions) cost far more."""
    if not rows:
        return
    meta = model._meta
    columns = ", ".join(
        f"{connection.ops.quote_name(meta.get_field(f).column)} = %s" for f in fields
    )
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {columns} "  # noqa: S608
        f"WHERE {connection.ops.quote_name(meta.get_field(key).column)} = %s"
    )
    datetime_fields = {
        i for i, f in enumerate(fields) if meta.get_field(f).get_internal_type() == "DateTimeField"
    }
    adapt = _sqlite_datetime if connection.vendor == "sqlite" else (lambda v: v)
    values = [
        tuple(adapt(v) if i in datetime_fields else v for i, v in enumerate(row)) for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
