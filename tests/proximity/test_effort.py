"""Customer effort from the timeline: contacts per case, channel switches, transfers, time from
first contact to a named owner — counted from the barometer's stored per-case facts, and equal
to a replay straight from contacts and events."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client

from guichet.cases.choices import Channel, ContactKind
from guichet.cases.services import case_assign, case_open, contact_add
from guichet.proximity.effort import EFFORT_METRICS, effort_figures, effort_figures_replay
from guichet.surveys.selectors import BarometerFilters, Period
from tests.proximity.conftest import PARIS

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=PARIS)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def run_hooks(django_capture_on_commit_callbacks):
    """Run a service and its after-commit hooks (the barometer's facts), as in production."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def _history(run_hooks, customer, agent, other_agent, settings):
    """A case opened by email, followed by a portal message and an inbound call from the
    customer, owned after 3 h then transferred; a second case given an owner at once."""
    settings.GUICHET_AUTO_ASSIGN = False
    case = run_hooks(case_open, actor=None, customer=customer, subject="Colis", body_text="Où ?",
                     channel=Channel.EMAIL, at=T0)  # fmt: skip
    run_hooks(contact_add, actor=None, case=case, kind=ContactKind.CUSTOMER_MESSAGE,
              body_text="Alors ?", channel=Channel.PORTAL, at=T0 + timedelta(hours=1))  # fmt: skip
    run_hooks(contact_add, actor=agent, case=case, kind=ContactKind.CALL, body_text="Appel",
              channel=Channel.PHONE, direction="inbound", at=T0 + timedelta(hours=2))  # fmt: skip
    run_hooks(case_assign, actor=agent, case=case, owner=agent, at=T0 + timedelta(hours=3))
    run_hooks(case_assign, actor=agent, case=case, owner=other_agent, reason="Facturation",
              at=T0 + timedelta(hours=4))  # fmt: skip
    settings.GUICHET_AUTO_ASSIGN = True
    run_hooks(case_open, actor=None, customer=customer, subject="Autre", body_text="?", at=T0)
    return case


def test_effort_figures(run_hooks, customer, agent, other_agent, settings):
    # given the history above
    _history(run_hooks, customer, agent, other_agent, settings)
    # when the effort of March is computed (minimum sample 1)
    figures = effort_figures(period=MARCH, filters=BarometerFilters(), min_sample=1)
    # then: 4 inbound contacts over 2 cases, 2 channel switches (email→portal→phone) in 1 case,
    # 1 transfer, owners after 3 h and at once (median 1.5 h)
    assert figures["cases"] == 2
    assert figures["contacts_per_case"]["value"] == 2.0
    assert figures["channel_switches_per_case"]["value"] == 1.0
    assert figures["cases_with_channel_switch"]["value"] == 0.5
    assert figures["transfers_per_case"]["value"] == 0.5
    assert figures["time_to_owner_seconds_median"]["value"] == 1.5 * 3600
    assert figures["never_owned"] == 0


def test_stored_effort_equals_the_replay_of_the_timeline(
    run_hooks, customer, other_customer, agent, other_agent, settings
):
    # given the history above, then more changes after the facts were first stored: a new
    # inbound message by phone on the first case, a case never owned, another customer's case
    case = _history(run_hooks, customer, agent, other_agent, settings)
    run_hooks(contact_add, actor=None, case=case, kind=ContactKind.CUSTOMER_MESSAGE,
              body_text="Encore", channel=Channel.EMAIL, at=T0 + timedelta(days=1))  # fmt: skip
    settings.GUICHET_AUTO_ASSIGN = False
    run_hooks(case_open, actor=None, customer=other_customer, subject="Facture",
              body_text="?", channel=Channel.PORTAL, at=T0 + timedelta(days=2))  # fmt: skip
    # when the stored figures and the replay are computed, with and without a filter
    for filters in (BarometerFilters(), BarometerFilters(channel="email")):
        stored = effort_figures(period=MARCH, filters=filters, min_sample=1)
        replayed = effort_figures_replay(period=MARCH, filters=filters, min_sample=1)
        # then they are the same, figure by figure
        for name in ("cases", "never_owned", *EFFORT_METRICS):
            assert stored[name] == replayed[name], name
    everything = effort_figures(period=MARCH, filters=BarometerFilters(), min_sample=1)
    assert everything["never_owned"] == 1


def test_too_few_cases_read_as_not_enough(run_hooks, customer, agent):
    run_hooks(case_open, actor=None, customer=customer, subject="Colis", body_text="Où ?", at=T0)
    figures = effort_figures(period=MARCH, filters=BarometerFilters(), min_sample=30)
    assert figures["contacts_per_case"]["value"] is None
    assert figures["contacts_per_case"]["n"] == 1


def test_filters_apply(run_hooks, customer, agent):
    run_hooks(case_open, actor=None, customer=customer, subject="Colis", body_text="?", at=T0,
              channel=Channel.EMAIL)  # fmt: skip
    figures = effort_figures(period=MARCH, filters=BarometerFilters(channel="phone"), min_sample=1)
    assert figures["cases"] == 0
    figures = effort_figures(period=MARCH, filters=BarometerFilters(channel="email"), min_sample=1)
    assert figures["cases"] == 1


def test_the_barometer_shows_effort_beside_satisfaction(supervisor):
    client = Client()
    client.force_login(supervisor)
    html = client.get("/barometer/?period=custom&start=2026-03-01&end=2026-03-31").content.decode()
    assert 'id="customer-effort"' in html
    assert "Channel switches per case" in html
