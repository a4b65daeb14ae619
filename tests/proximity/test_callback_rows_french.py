"""A word with two meanings gets a context: the callback badge says « escaladé », while the
model field of the same English word is the date « date d'escalade »."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils import translation

from guichet.proximity.models import Callback


def _row(escalated: bool) -> SimpleNamespace:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return SimpleNamespace(
        pk=1, slot_start=at, slot_end=at, due_at=at, attempts=0, case=None, topic="",
        phone="0102030405", customer=SimpleNamespace(name="Léa"),
        escalated_at=at if escalated else None,
    )  # fmt: skip


def test_escalated_badge_in_french_is_a_state_not_a_date():
    with translation.override("fr"):
        html = render_to_string(
            "proximity/partials/callback_rows.html", {"rows": [_row(True)], "outcomes": []}
        )
        field = str(Callback._meta.get_field("escalated_at").verbose_name)
    assert "escaladé" in html
    assert "date d" not in html
    assert field == "date d'escalade"


def test_no_badge_when_not_escalated():
    with translation.override("fr"):
        html = render_to_string(
            "proximity/partials/callback_rows.html", {"rows": [_row(False)], "outcomes": []}
        )
    assert "escaladé" not in html


def test_absence_start_is_a_date_not_a_status():
    # quality's status transition says "from" too (« statut initial »); an absence has its own.
    from guichet.proximity.models import Absence

    with translation.override("fr"):
        label = str(Absence._meta.get_field("starts_at").verbose_name)
    assert label == "du"
