"""The stored per-case figures, kept up by the case hooks, equal a full recomputation, and the
barometer's operational figures built from them are the ones the definitions give."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from guichet.cases import services as case_services
from guichet.customers.services import customer_create
from guichet.surveys.facts import FACT_FIELDS, case_fact_rows
from guichet.surveys.models import CaseFact
from guichet.surveys.selectors import BarometerFilters, Period, barometer_figures
from tests.surveys.conftest import T0, open_case, reply, resolve, resolved_case

pytestmark = pytest.mark.django_db


def _as_dicts(rows):
    return {r.case_id: {f: getattr(r, f) for f in FACT_FIELDS} for r in rows}


def _build_history(run_hooks, agent, other_agent, customer, other_customer, category, supervisor):
    """A mix: plain FCR, repeat after 6 days, reopened, merged, note-only, channel switch."""
    run_hooks(resolved_case, agent=agent, customer=customer, at=T0, category=category)
    # repeat contact 6 days after resolution on the same case (reopens it)
    repeated = run_hooks(
        resolved_case, agent=agent, customer=other_customer, at=T0, category=category
    )
    run_hooks(
        case_services.contact_add,
        actor=None,
        case=repeated,
        kind="customer_message",
        body_text="Toujours rien.",
        at=T0 + timedelta(days=6),
    )
    # note only (a third customer, so it is nobody's repeat contact)
    third = customer_create(name="Léa Roux", email="lea.roux@example.test")
    note_case = run_hooks(
        open_case, agent=agent, customer=third, at=T0 + timedelta(days=1), category=category
    )
    run_hooks(reply, agent=agent, case=note_case, at=T0 + timedelta(days=1, hours=1), kind="note")
    run_hooks(resolve, agent=agent, case=note_case, at=T0 + timedelta(days=1, hours=2))
    # merged duplicate
    target = run_hooks(
        open_case, agent=agent, customer=customer, at=T0 + timedelta(days=20), category=category
    )
    duplicate = run_hooks(
        open_case,
        agent=agent,
        customer=customer,
        at=T0 + timedelta(days=20, minutes=5),
        category=category,
    )
    run_hooks(
        case_services.case_merge,
        actor=agent,
        source=duplicate,
        target=target,
        at=T0 + timedelta(days=20, minutes=10),
    )
    run_hooks(reply, agent=agent, case=target, at=T0 + timedelta(days=20, hours=1))
    run_hooks(resolve, agent=agent, case=target, at=T0 + timedelta(days=20, hours=2))
    # transfer to whichever colleague does not own it yet
    target.refresh_from_db()
    run_hooks(
        case_services.case_assign,
        actor=supervisor,
        case=target,
        owner=agent if target.owner == other_agent else other_agent,
        reason="absent",
        at=T0 + timedelta(days=20, hours=3),
    )


def test_incremental_figures_equal_a_full_recomputation(
    run_hooks, config, agent, other_agent, customer, other_customer, category, supervisor
):
    _build_history(run_hooks, agent, other_agent, customer, other_customer, category, supervisor)
    stored = _as_dicts(CaseFact.objects.all())
    fresh = _as_dicts(case_fact_rows(case_ids=stored.keys()))
    assert len(stored) == 5
    assert stored == fresh
    call_command("barometer_refresh", "--check")


def test_refresh_command_fills_cases_loaded_without_hooks(config, agent, customer):
    # given cases created without their after-commit hooks (a bulk import)
    resolved_case(agent=agent, customer=customer)
    assert not CaseFact.objects.exists()
    call_command("barometer_refresh")
    assert CaseFact.objects.count() == 1


def test_barometer_operational_figures_on_a_known_history(
    run_hooks, config, agent, other_agent, customer, other_customer, category, supervisor
):
    config.min_sample = 1
    config.save()
    _build_history(run_hooks, agent, other_agent, customer, other_customer, category, supervisor)
    period = Period(T0.date(), (T0 + timedelta(days=30)).date())
    figures = barometer_figures(
        period=period, filters=BarometerFilters(), config=config, now=T0 + timedelta(days=90)
    )
    # resolved (first resolution) in the period, merged duplicate left out: 4 cases.
    # FCR: the plain case and the merge target (the duplicate came before the reply); not the
    # case the customer came back to after 6 days, nor the one resolved by a note only.
    assert figures["fcr"]["n"] == 4
    assert figures["fcr"]["count"] == 2
    assert figures["reopen_rate"]["count"] == 1
    assert figures["transfers_per_case"]["value"] == pytest.approx(1 / 4)


def test_fcr_window_boundary_in_the_barometer(run_hooks, config, agent, customer, other_customer):
    config.min_sample = 1
    config.save()
    # given two cases resolved the same day; one customer comes back after 6 days, one after 8
    for who, days in ((customer, 6), (other_customer, 8)):
        case = run_hooks(resolved_case, agent=agent, customer=who, at=T0)
        run_hooks(
            case_services.contact_add,
            actor=None,
            case=case,
            kind="customer_message",
            body_text="Encore moi.",
            at=T0 + timedelta(hours=2, days=days),
        )
    period = Period(T0.date(), T0.date())
    figures = barometer_figures(
        period=period, filters=BarometerFilters(), config=config, now=T0 + timedelta(days=30)
    )
    assert (figures["fcr"]["n"], figures["fcr"]["count"]) == (2, 1)
    assert figures["repeat_contact_rate"]["count"] == 1
    # REQ-MET-02: one contact each up to resolution, plus the one who came back within 7 days
    assert figures["contacts_per_resolved_issue"]["value"] == 1.5
    assert figures["contacts_per_resolved_issue"]["n"] == 2


def test_recently_resolved_cases_are_not_counted_yet(run_hooks, config, agent, customer):
    config.min_sample = 1
    config.save()
    run_hooks(resolved_case, agent=agent, customer=customer, at=T0)
    figures = barometer_figures(
        period=Period(T0.date(), T0.date()),
        filters=BarometerFilters(),
        config=config,
        now=T0 + timedelta(days=3),
    )
    assert figures["fcr"] == {
        "value": None,
        "n": 0,
        "reason": "insufficient_sample",
        "min_sample": 1,
    }


def test_channel_switch_to_the_phone_breaks_fcr(run_hooks, config, agent, customer, category):
    config.min_sample = 1
    config.save()
    run_hooks(resolved_case, agent=agent, customer=customer, at=T0, category=category)
    run_hooks(
        open_case,
        agent=agent,
        customer=customer,
        at=T0 + timedelta(days=2),
        category=category,
        channel="phone",
    )
    figures = barometer_figures(
        period=Period(T0.date(), T0.date()),
        filters=BarometerFilters(channel="email"),
        config=config,
        now=T0 + timedelta(days=30),
    )
    assert (figures["fcr"]["n"], figures["fcr"]["count"]) == (1, 0)


def test_backlog_at_a_past_date_comes_from_the_timeline(run_hooks, config, agent, customer):
    # given a case open from T0 and resolved two days later
    run_hooks(resolved_case, agent=agent, customer=customer, at=T0)
    case = run_hooks(open_case, agent=agent, customer=customer, at=T0)
    run_hooks(resolve, agent=agent, case=case, at=T0 + timedelta(days=2))
    now = timezone.now()
    during = barometer_figures(
        period=Period(T0.date(), T0.date()), filters=BarometerFilters(), config=config, now=now
    )
    after = barometer_figures(
        period=Period((T0 + timedelta(days=3)).date(), (T0 + timedelta(days=3)).date()),
        filters=BarometerFilters(),
        config=config,
        now=now,
    )
    assert during["backlog"]["value"] == 1
    assert after["backlog"]["value"] == 0


def test_imported_history_gets_its_figures_from_the_import_hook(run_hooks, config, agent, customer):
    from guichet.core.hooks import hooks_emit, hooks_paused

    # given cases written with the hooks paused (like `guichet demo`)
    with hooks_paused():
        first = resolved_case(agent=agent, customer=customer, at=T0)
        last = resolved_case(agent=agent, customer=customer, at=T0 + timedelta(days=1))
    assert not CaseFact.objects.exists()
    # when the import is announced
    run_hooks(hooks_emit, "cases.imported", first_case_id=first.pk, last_case_id=last.pk)
    # then both cases have figures equal to a full recomputation
    stored = _as_dicts(CaseFact.objects.all())
    assert stored == _as_dicts(case_fact_rows(case_ids=[first.pk, last.pk]))
    assert stored[first.pk]["repeat_delay_seconds"] == 22 * 3600  # the next day's case


def test_backlog_from_spans_equals_the_replay_of_the_timeline(
    run_hooks, config, agent, other_agent, customer, other_customer, category, supervisor
):
    from guichet.surveys.selectors import backlog_at, backlog_replay_at

    _build_history(run_hooks, agent, other_agent, customer, other_customer, category, supervisor)
    waiting = run_hooks(open_case, agent=agent, customer=other_customer, at=T0 + timedelta(days=3))
    run_hooks(
        case_services.case_change_status,
        actor=agent,
        case=waiting,
        status="waiting_customer",
        at=T0 + timedelta(days=4),
    )
    now = timezone.now()
    instants = [T0 + timedelta(hours=h) for h in range(0, 24 * 40, 7)]
    instants += [T0 + timedelta(hours=2), T0 + timedelta(days=6, hours=2)]  # exact event times
    for filters in (BarometerFilters(), BarometerFilters(channel="email", category=category.pk)):
        for at in instants:
            assert backlog_at(at=at, filters=filters, now=now) == backlog_replay_at(
                at=at, filters=filters
            ), at


def test_weekend_is_left_out_of_business_time(run_hooks, config, agent, customer):
    # given a message on Saturday morning answered on Monday at 10:00 (Paris)
    saturday = T0 + timedelta(days=5)  # T0 is Monday 2 March 2026, 9:00 (UTC+1)
    case = run_hooks(open_case, agent=agent, customer=customer, at=saturday)
    run_hooks(reply, agent=agent, case=case, at=saturday + timedelta(days=2, hours=1))
    fact = CaseFact.objects.get(case_id=case.pk)
    # then calendar time counts the weekend and business time does not
    assert fact.first_response_seconds == (2 * 24 + 1) * 3600
    assert 0 < fact.first_response_business_seconds <= 2 * 3600


def test_cached_settled_period_always_equals_a_fresh_computation(
    run_hooks, config, agent, other_agent, customer, other_customer, category, supervisor
):
    from guichet.surveys import services
    from guichet.surveys.models import PeriodFigures

    config.min_sample = 1
    config.period_days = 0
    config.save()
    period = Period(T0.date(), (T0 + timedelta(days=30)).date())
    later = T0 + timedelta(days=90)

    def both():
        cached = barometer_figures(
            period=period, filters=BarometerFilters(), config=config, now=later
        )
        fresh = barometer_figures(
            period=period, filters=BarometerFilters(), config=config, now=later, use_cache=False
        )
        return cached, fresh

    # given figures computed (and stored) for a settled period
    _build_history(run_hooks, agent, other_agent, customer, other_customer, category, supervisor)
    cached, fresh = both()
    assert cached == fresh
    assert PeriodFigures.objects.count() == 1
    # when a late change lands in that period: a case, a contact, a transfer, an answer
    case = run_hooks(resolved_case, agent=agent, customer=other_customer, at=T0 + timedelta(days=9))
    assert both()[0] == both()[1]
    run_hooks(reply, agent=agent, case=case, at=T0 + timedelta(days=9, hours=3))
    assert both()[0] == both()[1]
    case.refresh_from_db()
    run_hooks(
        case_services.case_assign,
        actor=supervisor,
        case=case,
        owner=agent if case.owner == other_agent else other_agent,
        reason="absent",
        at=T0 + timedelta(days=9, hours=4),
    )
    cached, fresh = both()
    assert cached == fresh
    assert cached["transfers_per_case"]["value"] > 0
    from guichet.surveys.models import SurveyInvitation

    SurveyInvitation.objects.filter(case=case).delete()  # the hook's, dated today
    invitation, _reason = services.invitation_schedule(case_id=case.pk, now=case.resolved_at)
    services.invitation_send(invitation_id=invitation.pk, now=case.resolved_at)
    answer_time = case.resolved_at + timedelta(hours=1)
    services.answer_record(invitation=invitation, raw={"csat": "1"}, now=answer_time)
    # then the stored figures are recomputed, never stale
    cached, fresh = both()
    assert cached == fresh
    assert cached["csat"]["n"] == 1
    assert cached["response_rate"]["n"] == 1


def test_business_clock_agrees_with_the_sla_calendar_functions():
    import random

    from guichet.sla.businesstime import business_time_between
    from guichet.sla.schedules import default_schedule
    from guichet.surveys.facts import BusinessClock

    schedule = default_schedule()
    clock = BusinessClock(schedule)
    rng = random.Random(4)
    for _ in range(300):
        start = T0 + timedelta(minutes=rng.randint(-400_000, 400_000))
        end = start + timedelta(minutes=rng.randint(0, 60_000))
        expected = business_time_between(schedule, start, end).total_seconds()
        assert clock.seconds(start, end) == pytest.approx(expected, abs=1e-6), (start, end)


# --- each case's own business calendar (REQ-MET-06) -------------------------------------------


def _saturday_calendar(name):
    from guichet.sla.models import Calendar, OpeningHours

    calendar = Calendar.objects.create(name=name)
    OpeningHours.objects.create(calendar=calendar, weekday=5, start="09:00", end="18:00")
    return calendar


def _answered_on_saturday(run_hooks, agent, customer, channel="email"):
    """Opened Saturday 10:00 (Paris), answered at 12:00: closed all day in the default calendar."""
    saturday = T0 + timedelta(days=5, hours=1)
    case = run_hooks(open_case, agent=agent, customer=customer, at=saturday, channel=channel)
    run_hooks(reply, agent=agent, case=case, at=saturday + timedelta(hours=2))
    return CaseFact.objects.get(case_id=case.pk)


def test_business_time_uses_the_teams_calendar(run_hooks, config, agent, customer, team):
    from guichet.sla.models import TeamCalendar

    # given the team works on Saturdays (its own calendar) and the default calendar does not
    TeamCalendar.objects.create(team=team, calendar=_saturday_calendar("samedi"))
    # when a Saturday message is answered two hours later
    fact = _answered_on_saturday(run_hooks, agent, customer)
    # then two business hours passed, in the team's calendar
    assert fact.team_id == team.pk
    assert fact.first_response_business_seconds == 2 * 3600


def test_without_a_team_calendar_the_default_calendar_applies(run_hooks, config, agent, customer):
    fact = _answered_on_saturday(run_hooks, agent, customer)
    assert fact.first_response_business_seconds == 0


def test_a_policys_calendar_comes_before_the_teams(run_hooks, config, agent, customer, team):
    from guichet.sla.models import Calendar, Policy, TeamCalendar

    # given phone cases follow a policy whose calendar is open on Saturdays, while the team's
    # calendar is the default one
    TeamCalendar.objects.create(team=team, calendar=Calendar.objects.get(name="default"))
    Policy.objects.create(
        name="Téléphone", order=1, channel="phone", calendar=_saturday_calendar("tel")
    )
    # when a phone case and an email case are answered on Saturday
    phone = _answered_on_saturday(run_hooks, agent, customer, channel="phone")
    email = _answered_on_saturday(run_hooks, agent, customer, channel="email")
    # then only the phone case counts the two hours
    assert phone.first_response_business_seconds == 2 * 3600
    assert email.first_response_business_seconds == 0
    # and the stored figures are what a full recomputation gives
    call_command("barometer_refresh", "--check")


def test_a_new_category_refreshes_the_case_figures(run_hooks, config, agent, customer, category):
    case = run_hooks(resolved_case, agent=agent, customer=customer)
    assert CaseFact.objects.get(case_id=case.pk).category_id is None
    run_hooks(case_services.case_update, actor=agent, case=case, category=category)
    assert CaseFact.objects.get(case_id=case.pk).category_id == category.pk


def test_medians_are_the_same_picked_in_python_or_ranked_by_the_database(
    run_hooks, config, agent, other_agent, customer, other_customer, category, supervisor,
    monkeypatch,
):  # fmt: skip
    from guichet.surveys import selectors

    config.min_sample = 1
    config.save()
    _build_history(run_hooks, agent, other_agent, customer, other_customer, category, supervisor)
    period = Period(T0.date(), (T0 + timedelta(days=30)).date())

    def figures():
        return barometer_figures(
            period=period, filters=BarometerFilters(), config=config, use_cache=False,
            now=T0 + timedelta(days=90),
        )  # fmt: skip

    in_python = figures()
    monkeypatch.setattr(selectors, "PYTHON_MEDIAN_ROWS", 0)
    by_the_database = figures()
    assert in_python == by_the_database
    assert in_python["resolution_seconds_median"]["n"] == 4
    config.min_sample = 5  # too few now: "not enough" either way
    config.save()
    assert figures()["resolution_seconds_median"]["value"] is None
