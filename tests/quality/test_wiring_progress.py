"""REQ-CMP-05 (ISO 10002 §7.2, "kept informed at least at pre-set deadlines"): automatic progress
messages to the complainant at each deadline, scheduled as tasks when the complaint opens,
idempotent, in the customer's language; the mediator's notice is scheduled the same way
(REQ-LEG-01)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from guichet.cases.choices import Channel, ContactKind
from guichet.customers.services import customer_create
from guichet.quality import services
from guichet.quality.choices import StepKind
from guichet.quality.delays import mediation_due, targets_for
from guichet.quality.services.progress import complaint_progress_send, complaints_progress_due
from guichet.quality.tasks import complaint_progress_task
from tests.quality.conftest import MONDAY, case_new, complaint_new

pytestmark = pytest.mark.django_db


@pytest.fixture
def english_customer(db):
    return customer_create(name="John Smith", email="john@example.test", language="en")


@pytest.fixture
def english_complaint(english_customer, agent):
    return complaint_new(case_new(english_customer, channel=Channel.EMAIL), agent)


def notices(case) -> list[str]:
    return list(
        case.contacts.filter(kind=ContactKind.STATUS_NOTICE)
        .order_by("pk")
        .values_list("body_text", flat=True)
    )


def scheduled(name: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=f"quality.tasks.{name}"))


def test_opening_a_complaint_schedules_a_message_at_each_deadline(
    customer, agent, django_capture_on_commit_callbacks
):
    # when a complaint opens (and the transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_new(case_new(customer), agent)
    # then one progress task per pre-set deadline waits for that deadline
    runs = {r.args_kwargs["args"][1]: r for r in scheduled("complaint_progress_task")}
    assert set(runs) == {"acknowledge", "assess", "answer"}
    assert runs["acknowledge"].run_after == complaint.acknowledge_due_at
    assert runs["assess"].run_after == complaint.assess_due_at
    assert runs["answer"].run_after == complaint.answer_due_at
    complaint_id, stage, due = runs["answer"].args_kwargs["args"]
    assert (complaint_id, stage) == (complaint.pk, "answer")
    assert datetime.fromisoformat(due) == complaint.answer_due_at


def test_opening_a_complaint_schedules_the_mediators_notice(
    customer, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_new(case_new(customer), agent)
    [run] = scheduled("complaint_mediation_inform_task")
    assert run.args_kwargs["args"] == [complaint.pk]
    expected = mediation_due(
        targets=targets_for(services.policy_get()), written_at=complaint.first_written_at
    )
    assert run.run_after == expected


def test_at_the_assessment_deadline_the_customer_hears_where_it_stands(english_complaint, agent):
    # given an acknowledged complaint not yet assessed when its assessment deadline passes
    complaint = services.complaint_acknowledge(
        actor=agent, complaint=english_complaint, at=MONDAY + timedelta(hours=1)
    )
    due = complaint.assess_due_at
    # when the task scheduled for that deadline runs
    sent = complaint_progress_send(
        complaint_id=complaint.pk, stage="assess", due_at=due, now=due + timedelta(minutes=1)
    )
    # then a status notice says where it stands, the next step and the answer date
    assert sent
    text = notices(complaint.case)[-1]
    assert f"Complaint {complaint.reference}: where it stands." in text
    assert "We are assessing it" in text
    assert "You will have our answer by" in text
    step = complaint.steps.get(kind=StepKind.PROGRESS)
    assert step.data == {"stage": "assess", "due_at": due.isoformat()}


def test_a_progress_message_is_sent_once(english_complaint):
    due = english_complaint.acknowledge_due_at
    later = due + timedelta(minutes=1)
    kwargs = {"complaint_id": english_complaint.pk, "stage": "acknowledge", "due_at": due}
    assert complaint_progress_send(**kwargs, now=later)
    assert not complaint_progress_send(**kwargs, now=later)
    assert len(notices(english_complaint.case)) == 1


def test_nothing_is_sent_before_the_deadline(english_complaint):
    due = english_complaint.assess_due_at
    assert not complaint_progress_send(
        complaint_id=english_complaint.pk,
        stage="assess",
        due_at=due,
        now=due - timedelta(minutes=1),
    )
    assert notices(english_complaint.case) == []


def test_an_acknowledged_complaint_gets_no_message_at_the_acknowledgement_deadline(
    english_complaint, agent
):
    complaint = services.complaint_acknowledge(actor=agent, complaint=english_complaint, at=MONDAY)
    told = len(notices(complaint.case))
    due = complaint.acknowledge_due_at
    assert not complaint_progress_send(
        complaint_id=complaint.pk, stage="acknowledge", due_at=due, now=due + timedelta(days=1)
    )
    assert len(notices(complaint.case)) == told


def test_a_moved_deadline_leaves_the_old_task_idle(english_complaint, agent, policy):
    # given a payment-services profile: a holding reply moves the answer deadline
    policy.regulatory_profile = "payment"
    policy.save()
    complaint = services.complaint_acknowledge(actor=agent, complaint=english_complaint)
    old_due = complaint.answer_due_at
    complaint = services.complaint_holding_reply(
        actor=agent, complaint=complaint, message="We need the carrier's report."
    )
    assert complaint.answer_due_at != old_due
    # when the task scheduled for the old deadline runs
    sent = complaint_progress_send(
        complaint_id=complaint.pk,
        stage="answer",
        due_at=old_due,
        now=max(old_due, complaint.answer_due_at) + timedelta(days=1),
    )
    # then it does nothing (the new deadline has its own task)
    assert not sent


def test_a_holding_reply_schedules_the_new_answer_deadline(
    english_complaint, agent, policy, django_capture_on_commit_callbacks
):
    policy.regulatory_profile = "payment"
    policy.save()
    complaint = services.complaint_acknowledge(actor=agent, complaint=english_complaint)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = services.complaint_holding_reply(
            actor=agent, complaint=complaint, message="Waiting for the carrier."
        )
    [run] = scheduled("complaint_progress_task")
    complaint_id, stage, due = run.args_kwargs["args"]
    assert (complaint_id, stage) == (complaint.pk, "answer")
    assert datetime.fromisoformat(due) == complaint.answer_due_at == run.run_after


def test_an_unanswered_complaint_at_the_answer_deadline_gets_an_apology(english_complaint):
    due = english_complaint.answer_due_at
    assert complaint_progress_send(
        complaint_id=english_complaint.pk, stage="answer", due_at=due, now=due
    )
    assert "We have not been able to give you our answer" in notices(english_complaint.case)[-1]


def test_a_french_complainant_is_written_to_in_french(complaint):
    # the conftest's complainant writes in French (Customer.language "fr")
    due = complaint.acknowledge_due_at
    complaint_progress_send(complaint_id=complaint.pk, stage="acknowledge", due_at=due, now=due)
    assert "Nous avons bien reçu votre réclamation" in notices(complaint.case)[-1]


def test_the_task_runs_the_service(english_complaint):
    due = english_complaint.acknowledge_due_at
    # a task run late (the worker was down) still tells the customer, once
    assert complaint_progress_task.call(english_complaint.pk, "acknowledge", due.isoformat())
    assert not complaint_progress_task.call(english_complaint.pk, "acknowledge", due.isoformat())


def test_the_daily_check_catches_up_on_recent_missed_messages_only(english_customer, agent):
    # given two unacknowledged complaints: one whose deadline passed yesterday, one long ago
    recent = complaint_new(case_new(english_customer, at=MONDAY), agent)
    old = complaint_new(case_new(english_customer, at=MONDAY - timedelta(days=60)), agent)
    now = recent.acknowledge_due_at + timedelta(days=1)
    # then only the recent one is due, at its latest passed deadline
    assert complaints_progress_due(now=now) == [
        (recent.pk, "acknowledge", recent.acknowledge_due_at)
    ]
    assert old.pk not in [pk for pk, _stage, _due in complaints_progress_due(now=now)]


def test_the_daily_command_sends_what_is_due(english_complaint, capsys, monkeypatch):
    from guichet.quality.services import progress

    now = english_complaint.acknowledge_due_at + timedelta(hours=1)
    monkeypatch.setattr(progress.timezone, "now", lambda: now)
    call_command("quality_mediation_check")
    assert "1 progress message(s) due, 1 sent." in capsys.readouterr().out
    assert len(notices(english_complaint.case)) == 1
