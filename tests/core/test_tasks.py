from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.cases.services import case_open
from guichet.customers.services import customer_create
from tests.core import tasks_for_tests

pytestmark = pytest.mark.django_db(transaction=True)


def _run_worker() -> None:
    call_command("worker", "--batch", verbosity=0)


def test_a_task_runs_in_the_worker_and_its_result_is_kept():
    # given a task queued in the database
    result = tasks_for_tests.doubles.enqueue(21)
    # when the worker runs what is queued
    _run_worker()
    # then the result row says it succeeded with the return value
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == 42


def test_a_failing_task_is_retried_later_and_each_failure_stays_visible():
    # given a task that always fails, at most 3 attempts
    tasks_for_tests.CALLS.clear()
    tasks_for_tests.always_fails.enqueue(7)
    # when the worker runs it once
    _run_worker()
    # then the failure is recorded with its error, and a second attempt is queued for later
    failed = DBTaskResult.objects.filter(status="FAILED")
    assert failed.count() == 1
    assert "boom 7" in str(failed.get().exception_class_path) + str(failed.get().traceback)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    assert retry.run_after is not None and retry.run_after > timezone.now() + timedelta(seconds=30)
    assert tasks_for_tests.CALLS == [7]


def test_a_task_gives_up_after_its_last_attempt_and_keeps_the_error():
    # given the last allowed attempt
    tasks_for_tests.always_fails.enqueue(9, attempt=3)
    # when it fails
    _run_worker()
    # then nothing more is queued and the failure stays visible
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1


def test_a_new_portal_case_sends_the_customer_an_acknowledgement_with_reference_and_owner(
    agent, customer
):
    # given a customer writing in French through the portal
    case = case_open(
        actor=customer.user,
        customer=customer,
        subject="Facture en double",
        body_text="J'ai été prélevée deux fois.",
    )
    # when the worker runs the queued acknowledgement
    _run_worker()
    # then one email reached the customer, in French, naming the reference and the owner
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert case.reference in message.subject
    assert "Camille" in message.body
    assert f"sous la référence {case.reference}" in message.body
    assert "reference" not in message.body


def test_an_english_customer_gets_the_acknowledgement_in_english(agent):
    # given a case opened for a customer who prefers English
    customer = customer_create(name="John Smith", email="john.smith@example.test", language="en")
    case = case_open(actor=agent, customer=customer, subject="Double invoice", body_text="Twice.")
    # when the worker runs the queued acknowledgement
    _run_worker()
    # then the email is in English
    (message,) = mail.outbox
    assert f"under the reference {case.reference}" in message.body
    assert "référence" not in message.body


def test_the_acknowledgement_never_shows_an_agent_email_when_the_first_name_is_missing(
    team, customer
):
    # given the only agent of the team has no first name on file
    from guichet.accounts.services import user_create

    nameless = user_create(email="agent.sans.nom@guichet.test")
    team.members.add(nameless)
    case = case_open(actor=customer.user, customer=customer, subject="Retard", body_text="Où ?")
    assert case.owner == nameless
    # when the acknowledgement goes out
    _run_worker()
    # then it says a team member will answer, without the agent's address
    (message,) = mail.outbox
    assert "agent.sans.nom" not in message.body
