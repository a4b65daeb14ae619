"""The first-response promise in words, and in the customer's acknowledgement."""

from __future__ import annotations

import pytest
from django.core import mail

from guichet.cases.tasks import case_send_acknowledgement
from guichet.sla.promise import clock_time_words, promise_words, sla_promise_text
from tests.sla.conftest import paris

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("hour", "minute", "language", "words"),
    [
        (14, 0, "fr", "14 h"),
        (14, 30, "fr", "14 h 30"),
        (14, 0, "en", "2 pm"),
        (9, 5, "en", "9:05 am"),
        (0, 0, "en", "12 am"),
        (14, 0, "de", "14:00"),
    ],
)
def test_clock_time_is_written_the_way_each_language_writes_it(hour, minute, language, words):
    assert clock_time_words(paris(2026, 5, 5, hour, minute), language) == words


def test_a_due_time_within_the_week_names_the_weekday():
    words = promise_words(paris(2026, 5, 5, 14, 0), now=paris(2026, 5, 1, 10, 0), language="en")
    assert words == "we will answer you by Tuesday 2 pm"


def test_the_weekday_is_in_the_customers_language():
    words = promise_words(paris(2026, 5, 5, 14, 0), now=paris(2026, 5, 1, 10, 0), language="fr")
    assert "mardi 14 h" in words


def test_today_tomorrow_and_later_are_said_so():
    now = paris(2026, 5, 4, 9, 0)
    assert promise_words(paris(2026, 5, 4, 18), now=now, language="en") == (
        "we will answer you today by 6 pm"
    )
    assert promise_words(paris(2026, 5, 5, 10), now=now, language="en") == (
        "we will answer you tomorrow by 10 am"
    )
    assert promise_words(paris(2026, 5, 19, 10), now=now, language="en") == (
        "we will answer you by Tuesday 19 May, 10 am"
    )


def test_the_promise_of_a_case_uses_its_first_response_due_time(open_case):
    # Thursday 7 May 14:00, normal priority (480 business minutes); Friday 8 May is a holiday:
    # 4 h on Thursday, then Monday 09:00–12:30 and 13:30–14:00.
    case = open_case(at=paris(2026, 5, 7, 14, 0))
    text = sla_promise_text(case, "en", now=paris(2026, 5, 7, 14, 0))
    assert text == "we will answer you by Monday 2 pm"


def test_no_promise_once_the_due_time_has_passed(open_case):
    case = open_case(at=paris(2026, 5, 4, 9, 0))
    assert sla_promise_text(case, "en", now=paris(2026, 5, 5, 9, 0)) == ""


def test_the_acknowledgement_states_the_promise(open_case):
    # A case opened on a future Monday morning: its first response is due that evening.
    case = open_case(at=paris(2030, 5, 6, 9, 0), channel="portal")
    case_send_acknowledgement.call(case.pk)
    body = mail.outbox[-1].body
    assert "lundi 6 mai, 18 h" in body
