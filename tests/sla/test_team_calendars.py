"""The calendar of the team (or of the policy) is the one every due time, countdown and promise
uses; moving a case to another team moves its running targets to that team's calendar and
leaves its finished ones as they were judged."""

from __future__ import annotations

from datetime import time

import pytest

from guichet.accounts.services import team_create
from guichet.cases import services as case_services
from guichet.sla.models import Calendar, CaseClock, OpeningHours, Policy, TeamCalendar
from guichet.sla.promise import first_response_due
from guichet.sla.selectors import case_countdown
from tests.sla.conftest import paris, synced, target
from tests.sla.test_clocks import reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_days(db) -> Calendar:
    """Open Monday to Saturday, 08:00–20:00 (Paris), French public holidays."""
    calendar = Calendar.objects.create(name="long-days", time_zone="Europe/Paris", country="FR")
    for weekday in range(6):
        OpeningHours.objects.create(calendar=calendar, weekday=weekday, start=time(8), end=time(20))
    return calendar


@pytest.fixture
def night_team(long_days):
    team = team_create(name="Astreinte")
    TeamCalendar.objects.create(team=team, calendar=long_days)
    return team


def test_a_case_of_a_team_with_its_own_calendar_is_due_on_that_calendar(
    open_case, night_team, long_days
):
    # opened Monday 4 May at 09:00: 480 business minutes on 08:00–20:00 days end at 17:00
    case = open_case(at=paris(2026, 5, 4, 9, 0), team=night_team)
    synced(case, now=paris(2026, 5, 4, 9, 0))
    assert target(case, "first_response").due_at == paris(2026, 5, 4, 17, 0)
    clock = CaseClock.objects.select_related("calendar").get(case=case)
    assert clock.calendar == long_days
    countdown = case_countdown(case, now=paris(2026, 5, 4, 16, 0))
    assert countdown.minutes_left == 60
    assert first_response_due(case) == paris(2026, 5, 4, 17, 0)


def test_a_policy_calendar_wins_over_the_team_calendar(open_case, night_team):
    policy = Policy.objects.get(is_default=True)
    policy.calendar = Calendar.objects.get(name="default")
    policy.save()
    case = open_case(at=paris(2026, 5, 4, 9, 0), team=night_team)
    synced(case, now=paris(2026, 5, 4, 9, 0))
    # the default calendar: 09:00–12:30, 13:30–18:00, so 480 minutes end at 18:00
    assert target(case, "first_response").due_at == paris(2026, 5, 4, 18, 0)


def test_a_transfer_moves_running_targets_to_the_new_teams_calendar_only(
    open_case, hooks, agent, supervisor, night_team
):
    case = open_case(at=paris(2026, 5, 4, 9, 0))
    reply(hooks, agent, case, paris(2026, 5, 4, 10, 0))
    first_before = target(case, "first_response")
    assert target(case, "resolution").due_at == paris(2026, 5, 11, 18, 0)
    with hooks():
        case_services.case_assign(
            actor=supervisor, case=case, owner=None, team=night_team, reason="Astreinte"
        )
    # resolution, 2,400 min = 40 h on 08:00–20:00 days: Monday 11 h, Tuesday and Wednesday 12 h,
    # then 5 h on Thursday
    assert target(case, "resolution").due_at == paris(2026, 5, 7, 13, 0)
    assert CaseClock.objects.get(case=case).calendar.name == "long-days"
    first_after = target(case, "first_response")
    assert (first_after.outcome, first_after.due_at, first_after.business_seconds) == (
        first_before.outcome,
        first_before.due_at,
        first_before.business_seconds,
    )
    assert first_after.team_id == night_team.pk
