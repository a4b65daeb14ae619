"""Keyset pagination: an opaque cursor carries the last row's sort key, so page 10,000 costs what
page 1 costs (OFFSET would scan every skipped row)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from guichet.core.errors import ValidationFailed

MAX_PK = 2**63 - 1


def cursor_encode(*, at: datetime, pk: int) -> str:
    raw = json.dumps([at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int]:
    """The (time, pk) a cursor carries; anything a client tampered with is a 422, never a 500."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(at, str) or isinstance(pk, bool) or not isinstance(pk, int):
            raise ValueError("cursor parts")
        at = datetime.fromisoformat(at)
        if at.utcoffset() is None or not 0 <= pk <= MAX_PK:
            raise ValueError("cursor range")
        return at.astimezone(UTC), pk
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            "Invalid cursor.", details=[{"field": "cursor", "message": "Invalid cursor."}]
        ) from exc


def keyset_page(
    queryset: QuerySet, *, field: str, cursor: str | None, limit: int
) -> tuple[list, str | None]:
    """Newest first by (`field`, pk). Returns the rows and the cursor of the next page, if any."""
    qs = queryset.order_by(f"-{field}", "-pk")
    if cursor:
        at, pk = cursor_decode(cursor)
        qs = qs.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk}))
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor_encode(at=getattr(rows[-1], field), pk=rows[-1].pk) if has_more else None
    return rows, next_cursor
