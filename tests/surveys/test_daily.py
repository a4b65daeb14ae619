"""The stored daily counts (surveys/daily.py) give exactly the figures of a full recomputation,
for running periods too, after every kind of change — replayed step by step."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command

from guichet.accounts.services import team_create
from guichet.cases import services as case_services
from guichet.customers.services import customer_create
from guichet.surveys import daily, services
from guichet.surveys.facts import case_facts_refresh
from guichet.surveys.models import CaseFact, DayFigures, SurveyInvitation
from guichet.surveys.selectors import BarometerFilters, Period, barometer_figures, period_for
from guichet.surveys.stamps import figure_days_touch, local_day
from tests.surveys.conftest import T0, open_case, reply, resolve, resolved_case

pytestmark = pytest.mark.django_db


def _periods(now):
    today = local_day(now)
    return [
        period_for("month", anchor=today),
        period_for("week", anchor=today),
        period_for("quarter", anchor=today),
        Period(T0.date() - timedelta(days=3), today),  # custom, running
        Period(T0.date(), T0.date() + timedelta(days=9)),  # custom, past
        period_for("month", anchor=T0.date() - timedelta(days=20)),  # the month before
    ]


def _filters(team, other_team):
    return [
        BarometerFilters(),
        BarometerFilters(channel="email"),
        BarometerFilters(team=team.pk),
        BarometerFilters(team=other_team.pk),
        BarometerFilters(channel="email", team=team.pk),
    ]


def _check(config, now, team, other_team):
    """Every period and filter: the figures from the stored days equal a full recount."""
    for period in _periods(now):
        for filters in _filters(team, other_team):
            stored = barometer_figures(period=period, filters=filters, config=config, now=now)
            fresh = barometer_figures(
                period=period, filters=filters, config=config, now=now, use_cache=False
            )
            assert stored == fresh, (period, filters, now)


def _answer(case, *, at, raw):
    SurveyInvitation.objects.filter(case=case).delete()  # the hook's, dated today
    invitation, _reason = services.invitation_schedule(case_id=case.pk, now=case.resolved_at)
    services.invitation_send(invitation_id=invitation.pk, now=case.resolved_at)
    services.answer_record(invitation=invitation, raw=raw, now=at)


def test_stored_days_equal_a_full_recount_after_every_change(
    run_hooks, config, agent, other_agent, customer, other_customer, category, supervisor, team
):
    config.min_sample = 1
    config.period_days = 0
    config.save()
    other_team = team_create(name="Recouvrement", members=[other_agent])
    third = customer_create(name="Léa Roux", email="lea.roux@example.test")
    # Moments: inside a day where the 7-day window closes between two resolutions (T0 + 1 day
    # 1 h and 2 h), a week later, and once every window has closed.
    nows = [
        T0 + timedelta(days=8, hours=1, minutes=30),
        T0 + timedelta(days=15, hours=12),
        T0 + timedelta(days=21, hours=3),
        T0 + timedelta(days=75),
    ]

    def check_all():
        for now in nows:
            _check(config, now, team, other_team)

    # given a plain case, a note-only case, and a case the customer came back to after 6 days
    first = run_hooks(resolved_case, agent=agent, customer=customer, at=T0, category=category)
    note_case = run_hooks(open_case, agent=agent, customer=third, at=T0 + timedelta(days=1))
    run_hooks(reply, agent=agent, case=note_case, at=T0 + timedelta(days=1, hours=1), kind="note")
    run_hooks(resolve, agent=agent, case=note_case, at=T0 + timedelta(days=1, hours=2))
    repeated = run_hooks(resolved_case, agent=agent, customer=other_customer, at=T0)
    run_hooks(
        case_services.contact_add,
        actor=None,
        case=repeated,
        kind="customer_message",
        body_text="Toujours rien.",
        at=T0 + timedelta(days=6),
    )
    phone = run_hooks(
        resolved_case, agent=agent, customer=third, at=T0 + timedelta(days=2), channel="phone"
    )
    check_all()
    assert DayFigures.objects.exists()

    # when a resolved case is reopened by the agent, then resolved again
    run_hooks(
        case_services.case_change_status,
        actor=agent,
        case=first,
        status="open",
        reason="Pas réglé",
        at=T0 + timedelta(days=3),
    )
    first.refresh_from_db()
    run_hooks(resolve, agent=agent, case=first, at=T0 + timedelta(days=3, hours=2))
    check_all()

    # when a survey answer comes late (ten days after the resolution), then is changed
    _answer(phone, at=T0 + timedelta(days=12), raw={"csat": "2", "expectations_met": "no"})
    check_all()
    _answer(first, at=T0 + timedelta(days=12, hours=1), raw={"csat": "5", "nps": "9"})
    check_all()

    # when two cases of one customer are merged, days after they were opened
    target = run_hooks(open_case, agent=agent, customer=customer, at=T0 + timedelta(days=4))
    duplicate = run_hooks(
        open_case, agent=agent, customer=customer, at=T0 + timedelta(days=4, minutes=5)
    )
    check_all()
    run_hooks(
        case_services.case_merge,
        actor=agent,
        source=duplicate,
        target=target,
        at=T0 + timedelta(days=9),
    )
    run_hooks(reply, agent=agent, case=target, at=T0 + timedelta(days=9, hours=1))
    check_all()

    # when a case opened in the period is resolved after it (next month)
    late = run_hooks(open_case, agent=agent, customer=third, at=T0 + timedelta(days=20))
    run_hooks(reply, agent=agent, case=late, at=T0 + timedelta(days=20, hours=5))
    check_all()
    run_hooks(resolve, agent=agent, case=late, at=T0 + timedelta(days=40))
    check_all()

    # when an answered case moves to another team (the response rate filters by its team now)
    phone.refresh_from_db()
    run_hooks(
        case_services.case_assign,
        actor=supervisor,
        case=phone,
        owner=other_agent,
        team=other_team,
        reason="Recouvrement",
        at=T0 + timedelta(days=13),
    )
    check_all()

    # when the team's calendar changes (the business durations are recomputed by the command)
    from guichet.sla.models import Calendar, OpeningHours, TeamCalendar

    saturday = Calendar.objects.create(name="samedi")
    OpeningHours.objects.create(calendar=saturday, weekday=5, start="09:00", end="18:00")
    OpeningHours.objects.create(calendar=saturday, weekday=0, start="06:00", end="20:00")
    TeamCalendar.objects.create(team=team, calendar=saturday)
    call_command("barometer_refresh", "--all")
    check_all()
    # then the stored days were really used, and a second reading recomputes none
    assert DayFigures.objects.filter(first__lt=T0.date()).exists()


def test_a_second_reading_recomputes_only_the_changed_days(run_hooks, config, agent, monkeypatch):
    config.min_sample = 1
    config.save()
    for day in range(5):  # one customer each: none is another's repeat contact
        who = customer_create(name=f"Client {day}", email=f"client{day}@example.test")
        run_hooks(resolved_case, agent=agent, customer=who, at=T0 + timedelta(days=day))
    now = T0 + timedelta(days=9, hours=20)
    period = period_for("month", anchor=local_day(now))
    computed = []
    original = daily.days_compute

    def counting(days, sources):
        days = list(days)
        computed.append(sorted(days))
        return original(days, sources)

    monkeypatch.setattr(daily, "days_compute", counting)

    def figures():
        return barometer_figures(period=period, filters=BarometerFilters(), config=config, now=now)

    first = figures()
    assert len(computed[0]) == period.days  # every day once
    assert figures() == first
    assert len(computed) == 1  # nothing recomputed
    # when a contact lands on the third day's case, only its days are recomputed
    case = CaseFact.objects.order_by("created_at")[2].case
    run_hooks(reply, agent=agent, case=case, at=T0 + timedelta(days=2, hours=3))
    after = figures()
    assert computed[1] == [local_day(T0 + timedelta(days=2))]
    assert after == barometer_figures(
        period=period, filters=BarometerFilters(), config=config, now=now, use_cache=False
    )


def test_medians_from_histograms_equal_sorted_values(config, agent, customer):
    # given cases whose durations spread over every kind of bucket (negative, zero, fractions,
    # seconds, hours, years), several per bucket
    config.min_sample = 1
    config.save()
    ids = [
        resolved_case(agent=agent, customer=customer, at=T0 + timedelta(hours=3 * i)).pk
        for i in range(61)
    ]
    case_facts_refresh(case_ids=ids)
    rng = random.Random(7)
    values = [-5.0, 0.0, 0.25, 1.0, 63.5, 64.0, 3600.0, 3600.0, 3601.5, 86400.0 * 800]
    for i, pk in enumerate(ids):
        value = values[i] if i < len(values) else rng.choice([rng.uniform(0, 7200), 3600.0])
        # owner waits: all 0 s but one (a bucket whose values are all equal is not read back)
        CaseFact.objects.filter(case_id=pk).update(
            first_response_seconds=value,
            resolution_seconds=value * 2 if i % 3 else None,
            owner_wait_seconds=0.0 if i != 5 else 5.0,
        )
    figure_days_touch([local_day(T0 + timedelta(days=d)) for d in range(9)])
    now = T0 + timedelta(days=60)
    for min_sample in (1, 30, 59, 61, 62):
        config.min_sample = min_sample
        for period in (
            Period(T0.date(), T0.date() + timedelta(days=8)),
            Period(T0.date(), T0.date()),
        ):
            stored = barometer_figures(
                period=period, filters=BarometerFilters(), config=config, now=now
            )
            fresh = barometer_figures(
                period=period, filters=BarometerFilters(), config=config, now=now, use_cache=False
            )
            for name in (
                "first_response_seconds_median",
                "resolution_seconds_median",
                "time_to_owner_seconds_median",
            ):
                assert stored[name] == fresh[name], (min_sample, period, name)


def test_a_histogram_that_no_longer_matches_the_rows_falls_back():
    from guichet.surveys.models import CaseFact as Fact

    # the rows say nothing is there, the histogram says three values are: computed directly
    result = daily.median_from_hist(
        {daily.bucket_of(10.0): [3, 10.0, 10.5]},
        qs=Fact.objects.all(),
        column="first_response_seconds",
        min_sample=1,
        fallback=lambda: "direct",
    )
    assert result == "direct"


def test_bucket_bounds_hold_their_values():
    for value in (-1.0, 0.0, 0.5, 63.999, 64.0, 67.9, 68.0, 3600.0, 1e12, 3e12):
        bucket = daily.bucket_of(value)
        low, high = daily.bucket_range(bucket, bucket)
        assert low is None or low <= value
        assert high is None or value < high
