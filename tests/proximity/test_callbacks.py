"""Callbacks: slots inside the business calendar, a named owner, reminders before the slot and
escalation after it with the clock moved forward (time passed as arguments, no sleeps)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from guichet.cases.choices import ContactKind
from guichet.cases.models import Case, Contact
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from guichet.proximity.choices import CallbackSource, CallbackStatus
from guichet.proximity.selectors import callback_slots
from guichet.proximity.services.callbacks import (
    callback_attempt,
    callback_escalate,
    callback_remind,
    callback_request,
    callbacks_sweep,
)
from guichet.proximity.services.referents import referent_assign
from tests.proximity.conftest import PARIS, away

pytestmark = pytest.mark.django_db

TEN = datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def advised(customer, agent, deputy, supervisor, team):
    return referent_assign(
        actor=supervisor, customer=customer, referent=agent, deputy=deputy, team=team
    )


def book(customer, *, now, slot=TEN, actor=None, **kwargs):
    kwargs.setdefault("phone", "06 12 34 56 78")
    kwargs.setdefault("source", CallbackSource.PORTAL)
    return callback_request(
        actor=actor if actor is not None else customer.user,
        customer=customer,
        slot_start=slot,
        at=now,
        **kwargs,
    )


def test_slots_lie_inside_the_opening_hours(team, now):
    # given Tuesday 09:00 (open 09:00–12:30 and 13:30–18:00, Monday to Friday)
    slots = callback_slots(team=team, now=now, days=5)
    starts = [s for s, _e in slots]
    # then the first slot leaves the lead time, lunch and the weekend are never offered
    assert starts[0] == paris(2026, 3, 10, 9, 30)
    assert paris(2026, 3, 10, 12, 30) not in starts
    assert paris(2026, 3, 10, 13, 30) in starts
    assert all(s.weekday() < 5 for s in starts)
    assert all(e - s == timedelta(minutes=30) for s, e in slots)


def test_a_slot_outside_the_calendar_is_refused(customer, agent, now):
    # when the customer asks for Saturday 10:00
    with pytest.raises(ValidationFailed) as error:
        book(customer, now=now, slot=paris(2026, 3, 14, 10, 0))
    # then the slot field is named
    assert error.value.details[0]["field"] == "slot_start"


def test_a_portal_booking_opens_a_case_and_is_owned_by_the_advisor(advised, customer, agent, now):
    # when the customer books 10:00–10:30 with no request yet
    callback = book(customer, now=now, topic="Ma facture")
    # then it belongs to the advisor, its target is the end of the slot, and a case carries it
    assert callback.owner == agent
    assert callback.slot_end == paris(2026, 3, 10, 10, 30)
    assert callback.due_at == callback.slot_end
    case = Case.objects.get(pk=callback.case_id)
    assert case.subject == "Ma facture"
    assert "06 12 34 56 78" in case.contacts.get().body_text


def test_an_absent_advisor_leaves_the_callback_to_the_deputy(advised, customer, agent, deputy, now):
    away(agent, at=TEN)
    callback = book(customer, now=now)
    assert callback.owner == deputy


def test_one_open_callback_per_request(customer, agent, now):
    first = book(customer, now=now)
    with pytest.raises(Conflict):
        book(customer, now=now, case=first.case, slot=paris(2026, 3, 10, 11, 0))


def test_a_customer_cannot_book_for_someone_else(customer, other_customer, agent, now):
    with pytest.raises(PermissionDenied):
        book(other_customer, now=now, actor=customer.user)


def test_booking_schedules_the_reminder_and_the_escalation(
    customer, agent, now, django_capture_on_commit_callbacks
):
    # when a callback is booked for 10:00–10:30
    with django_capture_on_commit_callbacks(execute=True):
        callback = book(customer, now=now)
    # then two tasks wait in the queue: the reminder at 09:45, the escalation at 10:30
    tasks = DBTaskResult.objects.filter(task_path__contains="proximity.tasks")
    runs = {t.task_path.rsplit(".", 1)[-1]: t for t in tasks}
    assert runs["callback_remind_task"].run_after == paris(2026, 3, 10, 9, 45)
    assert runs["callback_escalate_task"].run_after == paris(2026, 3, 10, 10, 30)
    assert runs["callback_escalate_task"].args_kwargs["args"][0] == callback.pk


def test_the_owner_is_reminded_before_the_slot_once(
    customer, agent, now, django_capture_on_commit_callbacks
):
    callback = book(customer, now=now)
    mail.outbox.clear()
    # when the reminder runs too early, nothing happens
    assert not callback_remind(
        callback_id=callback.pk, expected_slot=TEN, now=paris(2026, 3, 10, 9, 30)
    )
    # when the clock reaches 09:45
    with django_capture_on_commit_callbacks(execute=True):
        sent = callback_remind(
            callback_id=callback.pk, expected_slot=TEN, now=paris(2026, 3, 10, 9, 45)
        )
    # then the owner has an email, once
    assert sent
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert not callback_remind(
        callback_id=callback.pk, expected_slot=TEN, now=paris(2026, 3, 10, 9, 50)
    )


def test_a_missed_slot_is_escalated_to_the_supervisor(
    customer, agent, team_supervisor, now, django_capture_on_commit_callbacks
):
    callback = book(customer, now=now)
    mail.outbox.clear()
    # when the escalation runs at 10:29, nothing yet
    assert not callback_escalate(
        callback_id=callback.pk, expected_due=callback.due_at, now=paris(2026, 3, 10, 10, 29)
    )
    # when the clock reaches 10:31 with no call made
    with django_capture_on_commit_callbacks(execute=True):
        escalated = callback_escalate(
            callback_id=callback.pk, expected_due=callback.due_at, now=paris(2026, 3, 10, 10, 31)
        )
    # then the supervisor and the owner are told, the case says so, the target is missed
    callback.refresh_from_db()
    assert escalated
    assert {m.to[0] for m in mail.outbox} == {team_supervisor.email, agent.email}
    assert callback.escalated_at == paris(2026, 3, 10, 10, 31)
    assert callback.target_met is False
    note = Contact.objects.filter(case=callback.case, kind=ContactKind.NOTE).get()
    assert "missed" in note.body_text
    # and a second run does nothing
    assert not callback_escalate(
        callback_id=callback.pk, expected_due=callback.due_at, now=paris(2026, 3, 10, 11, 0)
    )


def test_a_missed_slot_of_an_absent_owner_goes_to_someone_present(
    advised, customer, agent, deputy, now
):
    callback = book(customer, now=now)
    assert callback.owner == agent
    # given Camille fell ill at 10:00
    away(agent, at=paris(2026, 3, 10, 10, 15))
    callback_escalate(
        callback_id=callback.pk, expected_due=callback.due_at, now=paris(2026, 3, 10, 10, 31)
    )
    callback.refresh_from_db()
    assert callback.owner == deputy


def test_a_call_within_the_slot_meets_the_target_and_counts_as_a_response(customer, agent, now):
    callback = book(customer, now=now)
    # when the owner calls at 10:10 and reaches the customer
    attempt = callback_attempt(
        actor=agent, callback=callback, outcome="reached", duration_seconds=240,
        at=paris(2026, 3, 10, 10, 10),
    )  # fmt: skip
    callback.refresh_from_db()
    # then the promise is kept, and the call is a contact that answers the case
    assert callback.status == CallbackStatus.DONE
    assert callback.target_met is True
    assert attempt.contact.kind == ContactKind.CALL
    assert attempt.contact.duration_seconds == 240
    case = Case.objects.get(pk=callback.case_id)
    assert case.first_response_at == paris(2026, 3, 10, 10, 10)
    # and the escalation due at 10:30 has nothing to do
    assert not callback_escalate(
        callback_id=callback.pk, expected_due=paris(2026, 3, 10, 10, 30), now=paris(2026, 3, 11)
    )


def test_voicemail_schedules_the_next_attempt_in_business_time(customer, agent, now):
    callback = book(customer, now=now, slot=paris(2026, 3, 10, 17, 0))
    # when the 17:10 call ends on voicemail
    attempt = callback_attempt(
        actor=agent, callback=callback, outcome="voicemail", at=paris(2026, 3, 10, 17, 10)
    )
    callback.refresh_from_db()
    # then the next attempt is due 2 business hours later: 50 min today, 70 min tomorrow
    assert callback.status == CallbackStatus.SCHEDULED
    assert callback.attempts == 1
    assert callback.due_at == paris(2026, 3, 11, 10, 10)
    # the first attempt was within the slot; a voicemail is a note, not a response
    assert callback.target_met is True
    assert attempt.contact is None
    assert Case.objects.get(pk=callback.case_id).first_response_at is None


def test_after_the_last_attempt_the_callback_fails(customer, agent, now, settings):
    settings.GUICHET_CALLBACK_MAX_ATTEMPTS = 2
    callback = book(customer, now=now)
    callback_attempt(actor=agent, callback=callback, outcome="no_answer", at=TEN)
    callback_attempt(
        actor=agent, callback=callback, outcome="voicemail", at=paris(2026, 3, 10, 12, 0)
    )
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.FAILED
    with pytest.raises(Conflict):
        callback_attempt(actor=agent, callback=callback, outcome="reached")


def test_a_wrong_number_asks_the_customer_for_the_right_one(
    customer, agent, now, django_capture_on_commit_callbacks
):
    callback = book(customer, now=now)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        callback_attempt(actor=agent, callback=callback, outcome="wrong_number", at=TEN)
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.FAILED
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert "06 12 34 56 78" in mail.outbox[0].body


def test_the_sweep_catches_up_when_the_queue_was_down(customer, agent, team_supervisor, now):
    callback = book(customer, now=now)
    reminded, escalated = callbacks_sweep(now=paris(2026, 3, 10, 11, 0))
    callback.refresh_from_db()
    assert (reminded, escalated) == (1, 1)
    assert callback.reminded_at is not None and callback.escalated_at is not None


def test_only_agents_record_attempts(customer, agent, now):
    callback = book(customer, now=now)
    with pytest.raises(PermissionDenied):
        callback_attempt(actor=customer.user, callback=callback, outcome="reached")
