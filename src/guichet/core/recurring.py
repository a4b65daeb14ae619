"""Recurring jobs on the task queue, so that `guichet worker` needs no cron.

An app registers its periodic jobs in `AppConfig.ready()`:

    recurring_register("quality.daily_check", complaints_daily_check, next_run=daily_at(6))

`guichet worker` (the long-running one, on the database backend) calls `recurring_start()`: each
job with no run waiting is enqueued for its next time. A run does the job, then enqueues the next
one (even when the job failed: the failure stays visible in *DB task results*, and the next run
is the retry). Jobs must be idempotent: a run late, early or twice does no harm.

The database backend is needed to see whether a run already waits (no second chain when the
worker restarts). With RQ, or to keep cron, run the equivalent commands instead: the list with
cron lines is in docs/operations.md, "Scheduled jobs".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

NextRun = Callable[[datetime], datetime]


@dataclass(frozen=True)
class RecurringJob:
    name: str
    run: Callable[[], Any]
    next_run: NextRun


_jobs: dict[str, RecurringJob] = {}


def recurring_register(name: str, run: Callable[[], Any], *, next_run: NextRun) -> None:
    _jobs[name] = RecurringJob(name=name, run=run, next_run=next_run)


def recurring_jobs() -> dict[str, RecurringJob]:
    return dict(_jobs)


# --- When ----------------------------------------------------------------------------------------


def every(*, minutes: int) -> NextRun:
    return lambda now: now + timedelta(minutes=minutes)


def _local_at(day, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def daily_at(hour: int, minute: int = 0) -> NextRun:
    """The next hour:minute, local time, strictly after `now`."""

    def next_run(now: datetime) -> datetime:
        day = timezone.localtime(now).date()
        at = _local_at(day, hour, minute)
        return at if at > now else _local_at(day + timedelta(days=1), hour, minute)

    return next_run


def weekly_at(weekday: int, hour: int, minute: int = 0) -> NextRun:
    """The next given weekday (Monday = 0) at hour:minute, local time."""

    def next_run(now: datetime) -> datetime:
        day = timezone.localtime(now).date()
        day += timedelta(days=(weekday - day.weekday()) % 7)
        at = _local_at(day, hour, minute)
        return at if at > now else _local_at(day + timedelta(days=7), hour, minute)

    return next_run


def monthly_at(day_of_month: int, hour: int, minute: int = 0) -> NextRun:
    """The next `day_of_month` (1–28) at hour:minute, local time."""

    def next_run(now: datetime) -> datetime:
        today = timezone.localtime(now).date()
        at = _local_at(today.replace(day=day_of_month), hour, minute)
        if at > now:
            return at
        following = (today.replace(day=28) + timedelta(days=4)).replace(day=day_of_month)
        return _local_at(following, hour, minute)

    return next_run


# --- Running -------------------------------------------------------------------------------------


def _can_chain() -> bool:
    return settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db")


# A run still marked RUNNING after this long belongs to a worker that was stopped mid-run.
STALE_RUN = timedelta(hours=6)


def _waiting(name: str, statuses: tuple[str, ...]) -> bool:
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    live = ~Q(status="RUNNING") | Q(started_at__gt=timezone.now() - STALE_RUN)
    rows = (
        DBTaskResult.objects.filter(task_path=recurring_run.module_path, status__in=statuses)
        .filter(live)
        .values_list("args_kwargs", flat=True)
    )
    return any((row or {}).get("args") == [name] for row in rows)


def _schedule(job: RecurringJob, *, now: datetime) -> datetime:
    at = job.next_run(now)
    recurring_run.using(run_after=at).enqueue(job.name)
    return at


def recurring_start(*, now: datetime | None = None) -> list[tuple[str, datetime]]:
    """Enqueue the next run of every registered job that has none waiting (or running).
    Returns what was scheduled; nothing on a backend that cannot tell what waits."""
    if not _can_chain():
        return []
    now = now or timezone.now()
    started = []
    for job in _jobs.values():
        if not _waiting(job.name, ("READY", "RUNNING")):
            started.append((job.name, _schedule(job, now=now)))
    return started


@task()
def recurring_run(name: str) -> Any:
    """Run a registered job, then enqueue its next run (unless one already waits)."""
    job = _jobs.get(name)
    if job is None:
        logger.warning("recurring job %s is no longer registered: not run, not rescheduled", name)
        return None
    try:
        return job.run()
    finally:
        if _can_chain() and not _waiting(name, ("READY",)):
            _schedule(job, now=timezone.now())
