"""The countdown in the agent workspace (inbox rows, case page) and its Python rendering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guichet.sla.choices import Countdown
from guichet.sla.selectors import CaseCountdown
from guichet.sla.templatetags.sla import business_duration, countdown_html
from tests.sla.conftest import paris

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_browser(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_the_inbox_row_shows_the_countdown(open_case, agent_browser):
    # a case opened in 2030: its first response is on track
    case = open_case(at=paris(2030, 5, 6, 9, 0))
    html = agent_browser.get("/?view=open").content.decode()
    assert case.reference in html
    assert 'class="sla-countdown sla-countdown--on_track"' in html
    assert "sla/countdown" in html  # the stylesheet


def test_the_case_page_shows_the_countdown(open_case, agent_browser):
    case = open_case(at=paris(2026, 5, 4, 9, 0))  # long overdue by now
    html = agent_browser.get(f"/cases/{case.reference}/").content.decode()
    assert "sla-countdown--breached" in html


def test_countdown_html_escapes_and_says_how_late():
    due = timezone.now() - timedelta(hours=2)
    late = CaseCountdown(Countdown.BREACHED, "first_response", due, timedelta(minutes=-135))
    html = str(countdown_html(late))
    assert 'data-state="breached"' in html
    assert "2 h 15 min late" in html
    assert str(countdown_html(CaseCountdown(Countdown.NONE, "", None, None))) == ""


@pytest.mark.parametrize(
    ("minutes", "text"), [(45, "45 min"), (120, "2 h"), (135, "2 h 15 min"), (-30, "-30 min")]
)
def test_business_duration(minutes, text):
    assert business_duration(minutes) == text
