"""The reactivity report: attainment with its sample size and interval, distributions, at risk."""

from __future__ import annotations

from datetime import date

import pytest

from guichet.cases import services as case_services
from guichet.sla.reports import (
    ReportFilters,
    at_risk_now,
    attainment,
    attainment_csv,
    distribution,
    wilson,
)
from guichet.sla.services import clocks_rebuild
from tests.conftest import bearer_client
from tests.sla.conftest import paris

pytestmark = pytest.mark.django_db

MAY = ReportFilters.build(since=date(2026, 5, 1), until=date(2026, 5, 31))
LATE_MAY = paris(2026, 5, 29, 12, 0)


@pytest.fixture
def answered(open_case, hooks, agent):
    """Three cases opened Monday 4 May at 09:00 (first response due 18:00), answered after 1 h,
    3 h and on Tuesday at 10:00 (breached); a fourth, by phone, never answered."""
    cases = []
    for answer in (paris(2026, 5, 4, 10), paris(2026, 5, 4, 12), paris(2026, 5, 5, 10)):
        case = open_case()
        with hooks():
            case_services.contact_add(
                actor=agent, case=case, kind="reply", body_text="Bonjour", at=answer
            )
        cases.append(case)
    cases.append(open_case(channel="phone"))
    clocks_rebuild(only_active=False, now=LATE_MAY)
    return cases


def test_attainment_counts_met_and_breached_first_responses(answered):
    rows = attainment(filters=MAY, by="all", now=LATE_MAY)
    first = next(r for r in rows if r.target == "first_response")
    # 2 met; 1 answered late and 1 never answered but overdue: both breached
    assert (first.met, first.breached, first.total) == (2, 2, 4)
    assert first.attainment == 0.5
    assert first.low < 0.5 < first.high
    assert first.enough is False  # 4 runs are too few to judge


def test_attainment_by_channel(answered):
    rows = attainment(filters=MAY, by="channel", now=LATE_MAY)
    first = {r.group: (r.met, r.breached) for r in rows if r.target == "first_response"}
    assert first == {"phone": (0, 1), "portal": (2, 1)}


def test_attainment_by_team_and_week(answered, team):
    by_team = attainment(filters=MAY, by="team", now=LATE_MAY)
    assert {r.group for r in by_team} == {team.name}
    by_week = attainment(filters=MAY, by="week", now=LATE_MAY)
    assert {r.group for r in by_week} == {"2026-05-04"}


def test_an_unknown_grouping_is_refused():
    from guichet.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        attainment(filters=MAY, by="colour")


def test_distribution_of_first_response_times(answered):
    d = distribution(filters=MAY, target="first_response")
    # business minutes: 60, 180 (09:00–12:00), 570 (Monday 09:00–18:00 = 480, Tuesday 09:00–10:00)
    assert d.count == 3
    assert d.business_median == 180
    assert d.business_p90 == 540
    assert d.calendar_median == 180
    assert d.calendar_p90 == 25 * 60


def test_cases_at_risk_now_are_the_visible_running_ones_in_their_last_quarter(
    open_case, agent, supervisor
):
    case = open_case(at=paris(2026, 5, 4, 9, 0))
    clocks_rebuild(now=paris(2026, 5, 4, 9, 0))
    assert at_risk_now(user=supervisor, now=paris(2026, 5, 4, 10, 0)) == []
    risky = at_risk_now(user=supervisor, now=paris(2026, 5, 4, 16, 30))
    assert [(r.target.case_id, r.state) for r in risky] == [(case.pk, "at_risk")]
    late = at_risk_now(user=agent, now=paris(2026, 5, 4, 18, 30))
    assert [r.state for r in late] == ["breached"]


def test_wilson_interval_is_within_zero_and_one():
    assert wilson(0, 0) is None
    low, high = wilson(10, 10)
    assert 0.7 < low < 1 and high == 1.0


def test_csv_export_has_one_row_per_group_and_target(answered):
    text = attainment_csv(attainment(filters=MAY, by="channel", now=LATE_MAY), by="channel")
    lines = text.strip().splitlines()
    assert lines[0] == "channel,target,met,breached,total,attainment,low95,high95"
    assert "portal,first_response,2,1,3,0.6667" in text


def test_the_report_api_is_for_supervisors(answered, agent_api, supervisor):
    assert agent_api.get("/api/v1/sla/report/attainment").status_code == 403
    api = bearer_client(supervisor)
    response = api.get(
        "/api/v1/sla/report/attainment", {"since": "2026-05-01", "until": "2026-05-31"}
    )
    assert response.status_code == 200
    csv = api.get("/api/v1/sla/report/attainment.csv", {"since": "2026-05-01", "by": "team"})
    assert csv["Content-Type"].startswith("text/csv")
    dist = api.get("/api/v1/sla/report/distribution", {"since": "2026-05-01"}).json()
    assert [d["target"] for d in dist] == ["first_response", "next_response", "resolution"]


def test_a_reversed_period_is_refused(supervisor):
    api = bearer_client(supervisor)
    response = api.get(
        "/api/v1/sla/report/attainment", {"since": "2026-06-01", "until": "2026-05-01"}
    )
    assert response.status_code == 422
