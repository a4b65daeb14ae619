"""Warnings before a due time and escalations after a breach: one scheduled task per case."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from guichet.cases import services as case_services
from guichet.cases.choices import EventKind
from guichet.cases.models import CaseEvent
from guichet.sla.choices import NotificationKind
from guichet.sla.models import AlertSlot, CaseClock, EscalationRule, Notification
from guichet.sla.services import alert_slot_of, alerts_due, alerts_send, clock_sync
from guichet.sla.tasks import sla_alerts_due
from tests.sla.conftest import MONDAY_9, paris

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervised(team, supervisor):
    team.supervisor = supervisor
    team.save()
    return team


def alert_tasks():
    return DBTaskResult.objects.filter(task_path__endswith="sla_alerts_due")


def sync_at(hooks, case, now):
    with hooks():
        clock_sync(case_id=case.pk, now=now)
    return CaseClock.objects.get(case=case)


def test_the_next_alert_is_scheduled_with_run_after_not_found_by_a_scan(
    open_case, hooks, supervised
):
    # given a normal case opened Monday 09:00: first response due at 18:00
    case = open_case()
    # when its clock is synchronised at 09:00
    clock = sync_at(hooks, case, MONDAY_9)
    # then the owner's warning (60 business minutes before) is the next alert, at 17:00,
    # and a task is queued for that time's slot
    assert clock.next_alert_at == paris(2026, 5, 4, 17, 0)
    task = alert_tasks().get(run_after=paris(2026, 5, 4, 17, 0))
    assert datetime.fromisoformat(task.args_kwargs["args"][0]) == paris(2026, 5, 4, 17, 0)
    assert AlertSlot.objects.filter(run_at=paris(2026, 5, 4, 17, 0)).exists()


def test_cases_alerted_in_the_same_slot_share_one_task(open_case, hooks, supervised):
    first, second = open_case(), open_case(at=paris(2026, 5, 4, 9, 2))
    sync_at(hooks, first, MONDAY_9)
    sync_at(hooks, second, MONDAY_9)
    # 17:00 and 17:02 fall in the slot ending 17:05 (and 17:00 in its own slot)
    slots = set(alert_tasks().values_list("run_after", flat=True))
    assert paris(2026, 5, 4, 17, 5) in slots
    assert alert_tasks().filter(run_after=paris(2026, 5, 4, 17, 5)).count() == 1


def test_a_slot_task_sends_the_alerts_due_by_then(open_case, hooks, agent, supervised):
    case = open_case()
    sync_at(hooks, case, MONDAY_9)
    with hooks():
        sent = alerts_due(at=paris(2026, 5, 4, 17, 0), now=paris(2026, 5, 4, 17, 0))
    assert sent == 1
    assert Notification.objects.get().recipient == agent
    assert not AlertSlot.objects.filter(run_at__lte=paris(2026, 5, 4, 17, 0)).exists()


def test_the_warning_notifies_the_owner_in_app_and_by_email(open_case, hooks, agent, supervised):
    case = open_case()
    sync_at(hooks, case, MONDAY_9)
    mail.outbox.clear()
    # when the task runs at 17:00
    with hooks():
        sent = alerts_send(
            case_id=case.pk, expected_at=paris(2026, 5, 4, 17, 0), now=paris(2026, 5, 4, 17, 0)
        )
    # then the owner has a notification, an email, and the timeline says so
    assert sent == 1
    notification = Notification.objects.get()
    assert notification.recipient == agent
    assert notification.kind == NotificationKind.SLA_WARNING
    assert case.reference in notification.message
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SLA_WARNING).count() == 1
    # and the next alert is the escalation at the breach, 18:00
    assert CaseClock.objects.get(case=case).next_alert_at == paris(2026, 5, 4, 18, 0)


def test_a_breach_escalates_to_the_team_supervisor(open_case, hooks, supervisor, supervised):
    case = open_case()
    sync_at(hooks, case, MONDAY_9)
    with hooks():
        alerts_send(
            case_id=case.pk, expected_at=paris(2026, 5, 4, 17, 0), now=paris(2026, 5, 4, 17, 0)
        )
        alerts_send(
            case_id=case.pk, expected_at=paris(2026, 5, 4, 18, 0), now=paris(2026, 5, 4, 18, 0)
        )
    breach = Notification.objects.get(kind=NotificationKind.SLA_BREACH)
    assert breach.recipient == supervisor
    event = CaseEvent.objects.get(case=case, kind=EventKind.SLA_BREACHED)
    assert event.data["target"] == "first_response"
    assert event.data["notified"] == [supervisor.pk]


def test_a_task_for_a_due_time_that_moved_does_nothing(open_case, hooks, agent, supervised):
    # given the 17:00 warning is scheduled, when the agent answers at 10:00
    case = open_case()
    sync_at(hooks, case, MONDAY_9)
    with hooks():
        case_services.contact_add(
            actor=agent, case=case, kind="reply", body_text="Bonjour", at=paris(2026, 5, 4, 10)
        )
    sync_at(hooks, case, paris(2026, 5, 4, 10, 0))
    # then the 17:00 task finds the clock moved on and sends nothing
    sent = alerts_send(
        case_id=case.pk, expected_at=paris(2026, 5, 4, 17, 0), now=paris(2026, 5, 4, 17, 0)
    )
    assert sent == 0
    assert not Notification.objects.exists()


def test_running_the_same_alert_twice_sends_once(open_case, hooks, supervised):
    case = open_case()
    sync_at(hooks, case, MONDAY_9)
    at = paris(2026, 5, 4, 17, 0)
    with hooks():
        alerts_send(case_id=case.pk, expected_at=at, now=at)
        alerts_send(case_id=case.pk, expected_at=at, now=at)
    assert Notification.objects.count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SLA_WARNING).count() == 1


def test_the_warning_margin_is_at_most_a_quarter_of_the_target(open_case, hooks, supervised):
    # an urgent case: 60 business minutes for the first response, so the warning comes at 09:45
    case = open_case(priority="urgent")
    clock = sync_at(hooks, case, MONDAY_9)
    assert clock.next_alert_at == paris(2026, 5, 4, 9, 45)


def test_rules_can_be_limited_to_a_target_and_name_a_person(open_case, hooks, other_agent):
    EscalationRule.objects.all().delete()
    EscalationRule.objects.create(
        name="Resolution escalations",
        target_kind="resolution",
        moment="after_breach",
        minutes=30,
        recipient="user",
        user=other_agent,
        email=False,
    )
    case = open_case()
    clock = sync_at(hooks, case, MONDAY_9)
    # resolution due Monday 11 May 18:00; 30 business minutes later is Tuesday 09:30
    assert clock.next_alert_at == paris(2026, 5, 12, 9, 30)
    mail.outbox.clear()
    with hooks():
        alerts_send(case_id=case.pk, expected_at=clock.next_alert_at, now=clock.next_alert_at)
    assert Notification.objects.get().recipient == other_agent
    assert mail.outbox == []


def test_the_task_calls_the_service(open_case, hooks, supervised):
    case = open_case()
    sync_at(hooks, case, MONDAY_9)
    # a slot when nothing is due yet: the task runs and reports nothing sent
    assert sla_alerts_due.call(paris(2026, 5, 4, 8, 0).isoformat()) == 0
    assert CaseClock.objects.get(case=case).next_alert_at == paris(2026, 5, 4, 17, 0)


def test_slots_end_on_the_next_five_minutes():
    assert alert_slot_of(paris(2026, 5, 4, 17, 0)) == paris(2026, 5, 4, 17, 0)
    assert alert_slot_of(paris(2026, 5, 4, 17, 0, 1)) == paris(2026, 5, 4, 17, 5)
    assert alert_slot_of(paris(2026, 5, 4, 17, 4, 59, 9)) == paris(2026, 5, 4, 17, 5)
