"""The report's pre-aggregates (sla.aggregates) stay equal to a recomputation from the clocks
through a realistic run of events, and the report read from them gives the direct figures."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from guichet.accounts.services import team_create
from guichet.cases import services as case_services
from guichet.sla.aggregates import (
    aggregates_check,
    aggregates_rebuild,
    bucket_end,
    bucket_of,
)
from guichet.sla.businesstime import business_time_add
from guichet.sla.choices import Outcome
from guichet.sla.models import (
    Calendar,
    CalendarException,
    CaseClock,
    CaseTarget,
    OpeningHours,
    ReportBucket,
    ReportCell,
)
from guichet.sla.reports import ReportFilters, attainment, distribution
from guichet.sla.schedules import calendar_schedule
from guichet.sla.services import clocks_rebuild, clocks_rebuild_imported, clocks_recompute_calendar
from tests.sla.conftest import paris
from tests.sla.test_clocks import customer_writes, reply, status

pytestmark = pytest.mark.django_db

MAY = ReportFilters.build(since=date(2026, 4, 27), until=date(2026, 6, 30))


def agree() -> None:
    assert aggregates_check() == []


def test_buckets_are_exact_below_32_minutes_then_16_per_doubling():
    assert [bucket_of(m) for m in (0, 1, 31)] == [0, 1, 31]
    assert [bucket_of(m) for m in (32, 33, 34, 63, 64, 67, 68)] == [32, 32, 34, 62, 64, 64, 68]
    assert bucket_of(540) == 512 and bucket_end(512) == 544
    for minute in range(0, 5000):
        first = bucket_of(minute)
        assert first <= minute < bucket_end(first)
        assert bucket_of(bucket_end(first)) == bucket_end(first)  # buckets tile the line


@pytest.fixture
def billing(db):
    return team_create(name="Facturation")


def test_incremental_aggregates_equal_a_full_recount_through_a_realistic_history(
    open_case, hooks, agent, supervisor, billing, customer
):
    # a case answered, then a customer message (next response), a wait on the customer
    # (pause) and their reply (resume), resolved, reopened with a priority change, resolved
    a = open_case(at=paris(2026, 5, 4, 9, 0))
    reply(hooks, agent, a, paris(2026, 5, 4, 10, 0))
    agree()
    customer_writes(hooks, a, paris(2026, 5, 4, 11, 0))
    reply(hooks, agent, a, paris(2026, 5, 4, 14, 0))
    status(hooks, agent, a, "waiting_customer", paris(2026, 5, 4, 15, 0))
    customer_writes(hooks, a, paris(2026, 5, 6, 9, 30))
    status(hooks, agent, a, "resolved", paris(2026, 5, 6, 11, 0))
    agree()
    assert ReportCell.objects.exists() and ReportBucket.objects.exists()
    status(hooks, agent, a, "open", paris(2026, 5, 7, 9, 0), reason="Pas réglé")
    with hooks():
        case_services.case_update(actor=agent, case=a, priority="urgent")
    agree()
    status(hooks, agent, a, "resolved", paris(2026, 5, 12, 9, 0))
    agree()

    # a phone case made urgent, answered late, then moved to another team (every finished run
    # moves to that team's cells), then resolved
    b = open_case(at=paris(2026, 5, 5, 9, 0), channel="phone")
    with hooks():
        case_services.case_update(actor=agent, case=b, priority="urgent")
    reply(hooks, agent, b, paris(2026, 5, 6, 16, 0))
    agree()
    with hooks():
        case_services.case_assign(
            actor=supervisor, case=b, owner=None, team=billing, reason="Facture"
        )
    agree()
    assert set(ReportCell.objects.filter(met__gt=0).values_list("team_key", flat=True)) | set(
        ReportCell.objects.filter(breached__gt=0).values_list("team_key", flat=True)
    ) >= {billing.pk}
    status(hooks, agent, b, "resolved", paris(2026, 5, 7, 9, 0))
    agree()

    # a duplicate merged into another case of the same customer: closed, not measured
    c = open_case(at=paris(2026, 5, 11, 9, 0))
    d = open_case(at=paris(2026, 5, 11, 9, 5))
    reply(hooks, agent, c, paris(2026, 5, 11, 9, 30))
    with hooks():
        case_services.case_merge(actor=agent, source=c, target=d)
    agree()

    # a case never answered: its running runs are not in the aggregates, only counted when read
    open_case(at=paris(2026, 5, 12, 9, 0))
    agree()

    # the calendar changes: running due times move, finished runs keep their figures
    calendar = Calendar.objects.get(name="default")
    OpeningHours.objects.create(calendar=calendar, weekday=5, start="09:00", end="12:00")
    calendar.save()
    clocks_recompute_calendar(calendar_id=calendar.pk)
    agree()
    clocks_rebuild(only_active=False)
    agree()
    clocks_rebuild(only_active=False, recount=True)
    agree()

    # and the report read from the aggregates is what a direct count gives
    rows = CaseTarget.objects.filter(outcome__in=(Outcome.MET, Outcome.BREACHED))
    read = {(r.target, r.met, r.breached) for r in attainment(filters=MAY, by="all")}
    now_overdue = CaseTarget.objects.filter(outcome=Outcome.OPEN).count()  # all in the past
    direct = set()
    for kind in ("first_response", "next_response", "resolution"):
        met = rows.filter(kind=kind, outcome=Outcome.MET).count()
        breached = rows.filter(kind=kind, outcome=Outcome.BREACHED).count()
        breached += CaseTarget.objects.filter(kind=kind, outcome=Outcome.OPEN).count()
        if met or breached:
            direct.add((kind, met, breached))
    assert now_overdue > 0
    assert read == direct


def schedule():
    return calendar_schedule(Calendar.objects.get(name="default"))


def nearest_rank(values: list[int], share: float) -> float:
    values = sorted(values)
    return float(values[max(1, math.ceil(share * len(values))) - 1])


@pytest.mark.parametrize("team_filter", [False, True])
def test_median_and_p90_from_the_buckets_are_exact(
    open_case, hooks, agent, customer, team, team_filter
):
    # first responses after 5 min … 26 h of business time: most land in wide buckets
    starts = [paris(2026, 5, 4, 9, 0), paris(2026, 5, 11, 9, 0), paris(2026, 5, 18, 9, 0)]
    offsets = [5, 17, 33, 47, 95, 130, 131, 250, 260, 300, 301, 470, 479, 481, 900, 1500]
    for i, minutes in enumerate(offsets):
        case = open_case(at=starts[i % 3])
        answered = business_time_add(schedule(), starts[i % 3], timedelta(minutes=minutes))
        reply(hooks, agent, case, answered)
    filters = ReportFilters.build(
        since=date(2026, 5, 1), until=date(2026, 5, 31), team=team.pk if team_filter else None
    )
    d = distribution(filters=filters, target="first_response")
    runs = CaseTarget.objects.filter(kind="first_response", outcome__in=("met", "breached"))
    business = [r.business_seconds // 60 for r in runs]
    calendar = [r.calendar_seconds // 60 for r in runs]
    assert d.count == len(offsets)
    assert d.business_median == nearest_rank(business, 0.5)
    assert d.business_p90 == nearest_rank(business, 0.9)
    assert d.calendar_median == nearest_rank(calendar, 0.5)
    assert d.calendar_p90 == nearest_rank(calendar, 0.9)


def test_a_bulk_import_rebuilds_the_aggregates_once(open_case, hooks, agent):
    case = open_case(at=paris(2026, 5, 4, 9, 0))
    reply(hooks, agent, case, paris(2026, 5, 4, 10, 0))
    ReportCell.objects.all().delete()
    ReportBucket.objects.all().delete()
    assert aggregates_check() != []
    clocks_rebuild_imported(first_case_id=case.pk, last_case_id=case.pk)
    agree()
    assert aggregates_rebuild()[0] == ReportCell.objects.count() > 0


def test_the_aggregates_command_checks_and_rebuilds(open_case, hooks, agent):
    from django.core.management import CommandError, call_command

    case = open_case(at=paris(2026, 5, 4, 9, 0))
    reply(hooks, agent, case, paris(2026, 5, 4, 10, 0))
    call_command("sla", "aggregates", "--check")
    ReportCell.objects.update(met=99)
    with pytest.raises(CommandError, match="differ"):
        call_command("sla", "aggregates", "--check")
    call_command("sla", "aggregates")
    call_command("sla", "aggregates", "--check")


def test_a_finished_target_keeps_the_due_time_and_outcome_it_was_judged_with(
    open_case, hooks, agent
):
    # opened Monday 4 May 09:00, answered Tuesday 10:00: 540 business minutes, first response
    # (480) missed at Monday 18:00
    case = open_case(at=paris(2026, 5, 4, 9, 0))
    reply(hooks, agent, case, paris(2026, 5, 5, 10, 0))
    first = CaseTarget.objects.get(case=case, kind="first_response")
    assert (first.outcome, first.due_at, first.business_seconds) == (
        Outcome.BREACHED,
        paris(2026, 5, 4, 18, 0),
        540 * 60,
    )
    # the firm later marks Monday 4 May closed: on today's calendar it would have been met
    calendar = Calendar.objects.get(name="default")
    CalendarException.objects.create(calendar=calendar, date=date(2026, 5, 4), kind="closed")
    calendar.save()
    clocks_rebuild(only_active=False)
    kept = CaseTarget.objects.get(case=case, kind="first_response")
    assert (kept.outcome, kept.due_at, kept.business_seconds) == (
        Outcome.BREACHED,
        paris(2026, 5, 4, 18, 0),
        540 * 60,
    )
    # a new case is judged with the new calendar
    later = open_case(at=paris(2026, 5, 4, 9, 0))
    reply(hooks, agent, later, paris(2026, 5, 5, 10, 0))
    assert CaseTarget.objects.get(case=later, kind="first_response").outcome == Outcome.MET
    # an operator may recount history on purpose
    clocks_rebuild(case_ids=[case.pk], only_active=False, recount=True)
    recounted = CaseTarget.objects.get(case=case, kind="first_response")
    assert (recounted.outcome, recounted.business_seconds) == (Outcome.MET, 60 * 60)
    agree()


def test_a_finished_target_with_its_due_time_schedules_no_alert(open_case, hooks, agent):
    case = open_case(at=paris(2026, 5, 4, 9, 0))
    reply(hooks, agent, case, paris(2026, 5, 5, 10, 0))
    status(hooks, agent, case, "resolved", paris(2026, 5, 5, 11, 0))
    assert CaseTarget.objects.filter(case=case, due_at__isnull=False).count() == 2
    clock = CaseClock.objects.get(case=case)
    assert (clock.next_due_at, clock.next_alert_at) == (None, None)
