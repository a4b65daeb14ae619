"""Keyset cursors: round-trip, and every tampered cursor is a 422."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from guichet.core.errors import ValidationFailed
from guichet.core.pagination import cursor_decode, cursor_encode


def _raw(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_cursor_round_trips_time_and_id():
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    assert cursor_decode(cursor_encode(at=at, pk=42)) == (at, 42)


def test_cursor_keeps_the_instant_across_offsets():
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 1, 1, 10, tzinfo=paris)
    decoded, _pk = cursor_decode(cursor_encode(at=at, pk=1))
    assert decoded == at
    assert decoded.utcoffset() == timedelta(0)


def test_cursor_is_url_safe():
    cursor = cursor_encode(at=datetime(2026, 3, 1, tzinfo=UTC), pk=2**62)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "%%%",
        "\x00",
        _raw(["2026-03-01T00:00:00+00:00"]),
        _raw(["2026-03-01T00:00:00+00:00", 1, 2]),
        _raw({"at": "2026-03-01T00:00:00+00:00", "pk": 1}),
        _raw(["not a date", 1]),
        _raw([None, 1]),
        _raw(["2026-03-01T00:00:00+00:00", "1"]),
        _raw(["2026-03-01T00:00:00+00:00", True]),
        _raw(["2026-03-01T00:00:00+00:00", 1.5]),
        _raw(["2026-03-01T00:00:00+00:00", -1]),
        _raw(["2026-03-01T00:00:00+00:00", 2**63]),
        _raw(["2026-03-01T00:00:00", 1]),  # no offset: ambiguous
        _raw(["0001-01-01T00:00:00+14:00", 1]),  # before year 1 in UTC
        _raw(42),
        base64.urlsafe_b64encode(b'["2026-03-01T00:00:00+00:00", 1e999]').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_tampered_cursor_is_a_validation_error(cursor):
    with pytest.raises(ValidationFailed) as caught:
        cursor_decode(cursor)
    assert caught.value.details == [{"field": "cursor", "message": "Invalid cursor."}]
