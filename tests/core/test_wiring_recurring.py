"""Recurring jobs: `guichet worker` schedules the apps' periodic jobs itself, each run schedules
the next one, and restarting the worker never starts a second chain."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.core import recurring
from guichet.core.management.commands import worker

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Wednesday 11 March 2026, 10:00 in Paris.
WEDNESDAY = datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TIME_ZONE = "Europe/Paris"


@pytest.fixture
def only_job(monkeypatch):
    """The registry with one job of ours in it, counting its runs."""
    runs: list[int] = []
    monkeypatch.setattr(recurring, "_jobs", {})
    recurring.recurring_register(
        "test.job", lambda: runs.append(1) or len(runs), next_run=recurring.every(minutes=15)
    )
    return runs


def waiting() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path=recurring.recurring_run.module_path, status="READY")
    )


# ---- when ------------------------------------------------------------------------------------


def test_daily_at_is_today_when_the_hour_is_still_ahead():
    assert recurring.daily_at(18)(WEDNESDAY) == datetime(2026, 3, 11, 18, 0, tzinfo=PARIS)


def test_daily_at_is_tomorrow_once_the_hour_has_passed():
    assert recurring.daily_at(6)(WEDNESDAY) == datetime(2026, 3, 12, 6, 0, tzinfo=PARIS)


def test_weekly_at_is_next_monday():
    assert recurring.weekly_at(0, 6, 30)(WEDNESDAY) == datetime(2026, 3, 16, 6, 30, tzinfo=PARIS)


def test_monthly_at_is_the_first_of_next_month():
    assert recurring.monthly_at(1, 7)(WEDNESDAY) == datetime(2026, 4, 1, 7, 0, tzinfo=PARIS)


def test_monthly_at_crosses_the_year():
    december = datetime(2026, 12, 5, 9, 0, tzinfo=PARIS)
    assert recurring.monthly_at(1, 7)(december) == datetime(2027, 1, 1, 7, 0, tzinfo=PARIS)


def test_a_local_hour_stays_the_same_across_the_clock_change():
    # the night of 28 to 29 March 2026 moves Paris from UTC+1 to UTC+2
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=PARIS)
    assert recurring.daily_at(6)(saturday).astimezone(PARIS).hour == 6


# ---- chains ------------------------------------------------------------------------------------


def test_starting_schedules_each_job_once_at_its_next_time(only_job):
    started = recurring.recurring_start(now=WEDNESDAY)
    assert [name for name, _at in started] == ["test.job"]
    [row] = waiting()
    assert row.args_kwargs["args"] == ["test.job"]
    assert row.run_after == datetime(2026, 3, 11, 10, 15, tzinfo=PARIS)


def test_starting_again_adds_no_second_chain(only_job):
    recurring.recurring_start(now=WEDNESDAY)
    assert recurring.recurring_start(now=WEDNESDAY) == []
    assert len(waiting()) == 1


def test_a_run_does_the_job_and_schedules_the_next(only_job):
    # when a run happens (none waiting)
    result = recurring.recurring_run.call("test.job")
    # then the job ran and its next run waits
    assert result == 1 and only_job == [1]
    assert len(waiting()) == 1


def test_a_failing_job_still_schedules_the_next_run(monkeypatch):
    monkeypatch.setattr(recurring, "_jobs", {})

    def boom() -> None:
        raise RuntimeError("boom")

    recurring.recurring_register("test.boom", boom, next_run=recurring.every(minutes=5))
    with pytest.raises(RuntimeError):
        recurring.recurring_run.call("test.boom")
    assert len(waiting()) == 1


def test_an_unregistered_job_is_not_rescheduled(only_job):
    assert recurring.recurring_run.call("test.gone") is None
    assert waiting() == []


def test_the_apps_register_their_periodic_jobs():
    assert {
        "quality.daily_check",
        "quality.review_sampling",
        "proximity.sweep",
        "surveys.send_due",
        "surveys.barometer_monthly",
    } <= set(recurring.recurring_jobs())


def test_the_worker_starts_the_chains_before_running(only_job, monkeypatch):
    ran = []
    monkeypatch.setattr(worker, "call_command", lambda *a, **k: ran.append(a))
    call_command("worker", verbosity=0)
    assert ran == [("db_worker",)]
    assert len(waiting()) == 1


def test_a_batch_worker_starts_no_chain(only_job, monkeypatch):
    monkeypatch.setattr(worker, "call_command", lambda *a, **k: None)
    call_command("worker", "--batch", verbosity=0)
    assert waiting() == []


@pytest.mark.django_db(transaction=True)  # the worker closes its connection when done
def test_the_database_worker_runs_a_due_job_and_its_next_run_waits(only_job):
    # given a run that is due now
    recurring.recurring_run.enqueue("test.job")
    # when the worker runs what is queued
    call_command("db_worker", "--batch", verbosity=0)
    # then the job ran once and the next run waits for later
    assert only_job == [1]
    assert len(waiting()) == 1


def test_a_run_left_running_by_a_stopped_worker_does_not_block_a_restart(only_job):
    # given a run marked RUNNING since yesterday (its worker was killed)
    result = recurring.recurring_run.enqueue("test.job")
    DBTaskResult.objects.filter(id=result.id).update(
        status="RUNNING", started_at=timezone.now() - timedelta(days=1)
    )
    # when the worker starts again, the chain starts again
    assert [name for name, _at in recurring.recurring_start()] == ["test.job"]


def test_a_run_in_progress_elsewhere_is_left_to_reschedule_itself(only_job):
    result = recurring.recurring_run.enqueue("test.job")
    DBTaskResult.objects.filter(id=result.id).update(status="RUNNING", started_at=timezone.now())
    assert recurring.recurring_start() == []
