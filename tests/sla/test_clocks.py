"""Case clocks kept in step with the event log through the after-commit hooks."""

from __future__ import annotations

import pytest

from guichet.cases import services as case_services
from guichet.cases.choices import EventKind
from guichet.cases.models import Case, CaseEvent, Category
from guichet.sla.choices import Countdown, Outcome
from guichet.sla.models import (
    Calendar,
    CalendarException,
    CaseClock,
    CaseTarget,
    Policy,
    PolicyTarget,
)
from guichet.sla.selectors import case_countdown, cases_after_by_time_left, cases_by_time_left
from guichet.sla.services import clocks_rebuild, clocks_recompute_calendar
from tests.sla.conftest import MONDAY_9, paris, synced, target

pytestmark = pytest.mark.django_db


def reply(hooks, agent, case, at, kind="reply"):
    with hooks():
        case_services.contact_add(actor=agent, case=case, kind=kind, body_text="Bonjour", at=at)


def customer_writes(hooks, case, at):
    with hooks():
        case_services.contact_add(
            actor=None, case=case, kind="customer_message", body_text="Et alors ?", at=at
        )


def status(hooks, agent, case, new, at, reason=""):
    with hooks():
        case_services.case_change_status(actor=agent, case=case, status=new, reason=reason, at=at)


def test_a_new_case_gets_first_response_and_resolution_due_times(open_case):
    # given the default policy (normal: first response 480, resolution 2400 business minutes)
    # when a case is opened on Monday 4 May 2026 at 09:00
    case = open_case()
    synced(case, now=MONDAY_9)
    # then the first response is due the same evening, the resolution five business days later
    # (Friday 8 May is a public holiday)
    assert target(case, "first_response").due_at == paris(2026, 5, 4, 18, 0)
    assert target(case, "resolution").due_at == paris(2026, 5, 11, 18, 0)
    clock = CaseClock.objects.get(case=case)
    assert clock.next_kind == "first_response"
    assert clock.next_due_at == paris(2026, 5, 4, 18, 0)
    assert clock.policy.is_default and clock.calendar.name == "default"


def test_the_policy_applied_is_written_in_the_timeline(open_case):
    case = open_case()
    event = CaseEvent.objects.get(case=case, kind=EventKind.SLA_POLICY)
    assert event.created_at == MONDAY_9
    assert event.data["cause"] == "opened"
    assert event.data["minutes"]["normal"]["first_response"] == 480


def test_an_agent_reply_meets_the_first_response(open_case, hooks, agent):
    case = open_case()
    reply(hooks, agent, case, paris(2026, 5, 4, 14, 0))
    synced(case, now=paris(2026, 5, 4, 15, 0))
    first = target(case, "first_response")
    assert first.outcome == Outcome.MET
    # 09:00–12:30 and 13:30–14:00: 4 business hours; 5 hours of calendar time.
    assert first.business_seconds == 4 * 3600
    assert first.calendar_seconds == 5 * 3600
    assert CaseClock.objects.get(case=case).next_kind == "resolution"


def test_a_late_first_response_is_breached(open_case, hooks, agent):
    case = open_case()
    reply(hooks, agent, case, paris(2026, 5, 5, 10, 0))
    first = target(case, "first_response")
    assert first.outcome == Outcome.BREACHED
    assert first.breached_at == paris(2026, 5, 4, 18, 0)


def test_waiting_on_the_customer_pauses_and_their_reply_resumes(open_case, hooks, agent):
    # given a case answered at 10:00 and put on hold waiting for the customer
    case = open_case()
    reply(hooks, agent, case, paris(2026, 5, 4, 10, 0))
    status(hooks, agent, case, "waiting_customer", paris(2026, 5, 4, 10, 0))
    clock = synced(case, now=paris(2026, 5, 5, 9, 0))
    # then the resolution clock is paused: no due time, no countdown
    assert clock.paused_since == paris(2026, 5, 4, 10, 0)
    assert target(case, "resolution").due_at is None
    assert case_countdown(Case.objects.get(pk=case.pk)).state == Countdown.PAUSED
    # when the customer answers the next day at 10:00 (8 business hours later)
    customer_writes(hooks, case, paris(2026, 5, 5, 10, 0))
    synced(case, now=paris(2026, 5, 5, 10, 0))
    resolution = target(case, "resolution")
    # then the clock resumes and the due time moved by the 8 paused business hours
    assert resolution.paused_since is None
    assert resolution.paused_business_seconds == 8 * 3600
    assert resolution.due_at == paris(2026, 5, 12, 18, 0)
    # and their message starts a next-response target (480 business minutes)
    assert target(case, "next_response", 1).due_at == paris(2026, 5, 6, 10, 0)


def test_a_policy_may_keep_counting_while_waiting(open_case, hooks, agent):
    Policy.objects.filter(is_default=True).update(pause_when_waiting=False)
    case = open_case()
    reply(hooks, agent, case, paris(2026, 5, 4, 10, 0))
    status(hooks, agent, case, "waiting_customer", paris(2026, 5, 4, 10, 0))
    synced(case, now=paris(2026, 5, 5, 9, 0))
    assert target(case, "resolution").due_at == paris(2026, 5, 11, 18, 0)


def test_next_response_runs_from_the_first_unanswered_message(open_case, hooks, agent):
    case = open_case()
    reply(hooks, agent, case, paris(2026, 5, 4, 10, 0))
    customer_writes(hooks, case, paris(2026, 5, 4, 11, 0))
    customer_writes(hooks, case, paris(2026, 5, 4, 15, 0))
    reply(hooks, agent, case, paris(2026, 5, 4, 16, 0))
    runs = CaseTarget.objects.filter(case=case, kind="next_response")
    assert runs.count() == 1
    run = runs.get()
    assert run.started_at == paris(2026, 5, 4, 11, 0)
    assert run.outcome == Outcome.MET
    assert run.business_seconds == 4 * 3600  # 11:00–12:30, 13:30–16:00


def test_changing_the_priority_recomputes_and_says_why(open_case, hooks, agent):
    # given a normal case opened at 09:00
    case = open_case()
    # when an agent raises it to urgent at 09:30 (first response 60 business minutes)
    with hooks():
        case_services.case_update(
            actor=agent, case=case, priority="urgent", at=paris(2026, 5, 4, 9, 30)
        )
    synced(case, now=paris(2026, 5, 4, 9, 30))
    # then the first response is due one business hour after the case opened
    assert target(case, "first_response").due_at == paris(2026, 5, 4, 10, 0)
    assert target(case, "first_response").priority == "urgent"
    # and the timeline says why the due times moved
    event = CaseEvent.objects.get(case=case, kind=EventKind.SLA_RECOMPUTED)
    assert event.data["reason"] == "priority"
    assert event.data["detail"] == {"old": "normal", "new": "urgent"}
    moved = {t["kind"]: t for t in event.data["targets"]}
    assert moved["first_response"]["old_minutes"] == 480
    assert moved["first_response"]["new_minutes"] == 60


def test_recomputing_twice_writes_the_reason_once(open_case, hooks, agent):
    case = open_case()
    with hooks():
        case_services.case_update(actor=agent, case=case, priority="high", at=MONDAY_9)
    synced(case, now=MONDAY_9)
    synced(case, now=MONDAY_9)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SLA_RECOMPUTED).count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SLA_POLICY).count() == 1


def test_first_matching_policy_by_order_wins(open_case):
    # given two phone policies; the one with the lower order must win
    for order, minutes in ((20, 30), (10, 15)):
        policy = Policy.objects.create(name=f"Phone {order}", order=order, channel="phone")
        PolicyTarget.objects.create(
            policy=policy, priority="normal", first_response_minutes=minutes
        )
    case = open_case(channel="phone")
    assert CaseClock.objects.get(case=case).policy.name == "Phone 10"
    assert target(case, "first_response").due_at == paris(2026, 5, 4, 9, 15)
    # a policy without a resolution target leaves that run unmeasured
    assert target(case, "resolution").due_at is None


def test_a_category_change_applies_another_policy_and_records_it(open_case, hooks, agent):
    billing = Category.objects.create(name="Facturation", slug="facturation")
    policy = Policy.objects.create(name="Facturation", order=1, category=billing)
    PolicyTarget.objects.create(policy=policy, priority="normal", first_response_minutes=120)
    case = open_case()
    with hooks():
        case_services.case_update(
            actor=agent, case=case, category=billing, at=paris(2026, 5, 4, 9, 30)
        )
    synced(case, now=paris(2026, 5, 4, 9, 30))
    assert target(case, "first_response").due_at == paris(2026, 5, 4, 11, 0)
    applied = CaseEvent.objects.filter(case=case, kind=EventKind.SLA_POLICY).order_by("id")
    assert [e.data["policy"] for e in applied] == ["Engagement standard", "Facturation"]
    assert applied.last().data["cause"] == "matched"
    recomputed = CaseEvent.objects.get(case=case, kind=EventKind.SLA_RECOMPUTED)
    assert recomputed.data["reason"] == "policy"


def test_segment_condition_matches_the_customers_segment(open_case, customer):
    customer.segment = "premium"
    customer.save()
    policy = Policy.objects.create(name="Premium", order=1, segment="premium")
    PolicyTarget.objects.create(policy=policy, priority="normal", first_response_minutes=60)
    case = open_case()
    assert CaseClock.objects.get(case=case).policy == policy


def test_resolving_ends_every_target_and_reopening_resumes_resolution(open_case, hooks, agent):
    case = open_case()
    reply(hooks, agent, case, paris(2026, 5, 4, 10, 0))
    status(hooks, agent, case, "resolved", paris(2026, 5, 4, 11, 0))
    resolution = target(case, "resolution")
    assert resolution.outcome == Outcome.MET
    assert resolution.business_seconds == 2 * 3600
    # the customer writes again the next morning: the case reopens
    customer_writes(hooks, case, paris(2026, 5, 5, 9, 0))
    synced(case, now=paris(2026, 5, 5, 9, 0))
    resolution = target(case, "resolution")
    assert resolution.outcome == Outcome.OPEN
    # the resolved stretch (11:00 → next day 09:00, 6 business hours) counts as paused
    assert resolution.paused_business_seconds == 6 * 3600
    assert resolution.due_at == paris(2026, 5, 12, 16, 0)


def test_closing_without_resolving_is_not_measured(open_case, hooks, agent):
    case = open_case()
    status(hooks, agent, case, "closed", paris(2026, 5, 4, 9, 5), reason="spam")
    assert set(CaseTarget.objects.filter(case=case).values_list("outcome", flat=True)) == {
        Outcome.CANCELLED
    }
    assert CaseClock.objects.get(case=case).next_due_at is None


def test_countdown_states_follow_the_time_left(open_case):
    case = open_case()
    synced(case, now=MONDAY_9)
    case = Case.objects.select_related("sla_clock__calendar").get(pk=case.pk)
    # 480 minutes of target: at risk in the last 120 minutes (from 16:00), breached after 18:00
    assert case_countdown(case, now=paris(2026, 5, 4, 10, 0)).state == Countdown.ON_TRACK
    at_risk = case_countdown(case, now=paris(2026, 5, 4, 16, 30))
    assert at_risk.state == Countdown.AT_RISK and at_risk.minutes_left == 90
    late = case_countdown(case, now=paris(2026, 5, 5, 9, 30))
    assert late.state == Countdown.BREACHED and late.minutes_late == 30


def test_inbox_order_is_by_time_left_with_paused_cases_last(open_case, hooks, agent):
    later = open_case(at=paris(2026, 5, 4, 11, 0))
    sooner = open_case(at=paris(2026, 5, 4, 10, 0), priority="urgent")
    waiting = open_case(at=paris(2026, 5, 4, 9, 0))
    status(hooks, agent, waiting, "waiting_customer", paris(2026, 5, 4, 9, 30))
    ordered = list(cases_by_time_left(Case.objects.all()).values_list("pk", flat=True))
    assert ordered == [sooner.pk, later.pk, waiting.pk]


def test_rebuilding_from_the_event_log_gives_the_same_clocks(open_case, hooks, agent):
    case = open_case()
    reply(hooks, agent, case, paris(2026, 5, 4, 14, 0))
    status(hooks, agent, case, "resolved", paris(2026, 5, 5, 11, 0))
    before = list(CaseTarget.objects.filter(case=case).values().order_by("kind", "seq"))
    CaseTarget.objects.all().delete()
    CaseClock.objects.all().delete()
    assert clocks_rebuild(only_active=False) == 1
    after = list(CaseTarget.objects.filter(case=case).values().order_by("kind", "seq"))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]  # noqa: E731
    assert strip(before) == strip(after)


def test_next_case_follows_the_time_left_order(open_case, hooks, agent):
    later = open_case(at=paris(2026, 5, 4, 11, 0))
    sooner = open_case(at=paris(2026, 5, 4, 10, 0), priority="urgent")
    waiting = open_case(at=paris(2026, 5, 4, 9, 0))
    status(hooks, agent, waiting, "waiting_customer", paris(2026, 5, 4, 9, 30))
    cases = Case.objects.select_related("sla_clock")
    after_sooner = cases_after_by_time_left(Case.objects.all(), case=cases.get(pk=sooner.pk))
    assert set(after_sooner.values_list("pk", flat=True)) == {later.pk, waiting.pk}
    after_waiting = cases_after_by_time_left(Case.objects.all(), case=cases.get(pk=waiting.pk))
    assert not after_waiting.exists()


def test_recomputing_after_a_calendar_change_matches_a_full_replay(open_case, hooks, agent):
    # given cases opened on Friday 8 May (a holiday: the clocks start counting on Monday),
    # one of them answered and put on hold (a pause: that one is replayed in full)
    fresh = open_case(at=paris(2026, 5, 8, 10, 0))
    urgent = open_case(at=paris(2026, 5, 8, 11, 0), priority="urgent")
    paused = open_case(at=paris(2026, 5, 7, 9, 0))
    reply(hooks, agent, paused, paris(2026, 5, 7, 10, 0))
    status(hooks, agent, paused, "waiting_customer", paris(2026, 5, 7, 10, 0))
    customer_writes(hooks, paused, paris(2026, 5, 11, 9, 0))
    now = paris(2026, 5, 8, 12, 0)
    clocks_rebuild(now=now)
    # when the firm decides to open on Friday 8 May after all, 09:00–12:00
    calendar = Calendar.objects.get(name="default")
    CalendarException.objects.create(
        calendar=calendar, date=paris(2026, 5, 8).date(), kind="open", start="09:00", end="12:00"
    )
    calendar.save()
    assert clocks_recompute_calendar(calendar_id=calendar.pk, now=now) == 3
    # then the urgent case is due on Friday at 12:00 (60 business minutes after 11:00)
    assert target(urgent, "first_response").due_at == paris(2026, 5, 8, 12, 0)
    # and every stored due time is what a full replay of the event log gives
    fields = ("case_id", "kind", "seq", "due_at", "risk_at", "breached_at", "outcome")
    fast = sorted(CaseTarget.objects.values_list(*fields))
    fast_clocks = sorted(CaseClock.objects.values_list("case_id", "next_due_at", "next_risk_at"))
    clocks_rebuild(now=now)
    assert sorted(CaseTarget.objects.values_list(*fields)) == fast
    assert sorted(CaseClock.objects.values_list("case_id", "next_due_at", "next_risk_at")) == (
        fast_clocks
    )
    # the timeline says why the due times moved
    event = CaseEvent.objects.get(case=fresh, kind=EventKind.SLA_RECOMPUTED)
    assert event.data["reason"] == "calendar"
