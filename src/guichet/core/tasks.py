"""Background tasks on django-tasks, with retries.

django-tasks records every run (the database backend keeps the row with its traceback, visible
in the admin) but does not retry. `retrying_task` adds that: a failed run re-enqueues itself with
exponential back-off until GUICHET_TASK_MAX_ATTEMPTS, and each failed attempt stays visible with
its error. Tasks are thin: they take ids and call a service, so running one twice is harmless.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def retrying_task(
    func: Callable[..., Any] | None = None,
    *,
    max_attempts: int | None = None,
    backoff_seconds: int = 30,
    priority: int = 0,
) -> Any:
    def decorate(f: Callable[..., Any]) -> Any:
        holder: dict[str, Any] = {}

        @functools.wraps(f)
        def run(*args: Any, attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return f(*args, **kwargs)
            except Exception:
                limit = max_attempts or settings.GUICHET_TASK_MAX_ATTEMPTS
                logger.exception("task %s failed (attempt %d of %d)", f.__name__, attempt, limit)
                if attempt < limit:
                    again = holder["task"]
                    if again.get_backend().supports_defer:
                        delay = timedelta(seconds=backoff_seconds * 2 ** (attempt - 1))
                        again = again.using(run_after=timezone.now() + delay)
                    again.enqueue(*args, attempt=attempt + 1, **kwargs)
                raise

        holder["task"] = task(priority=priority)(run)
        return holder["task"]

    return decorate(func) if func is not None else decorate
