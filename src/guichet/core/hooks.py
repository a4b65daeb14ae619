"""After-commit hooks: how a lower app lets higher apps react, without Django signals.

A higher app registers a callable for an event name in its AppConfig.ready(); a service in a lower
app calls `hooks_emit(...)` inside its transaction. Callbacks run only once the transaction commits,
so a rolled-back change never sends a survey or an email.

Events emitted today:
- "case.created"   (case_id)
- "case.assigned"  (case_id, owner_id, previous_owner_id)
- "case.status_changed" (case_id, old, new)
- "contact.created" (case_id, contact_id)
- "case.updated"   (case_id, fields): the priority or the category changed (service targets)
- "cases.imported" (first_case_id, last_case_id, bulk): after `guichet demo` wrote past cases
  with the hooks above paused (no surveys or emails for history); apps keeping derived data
  rebuild it here. `bulk` is True for the benchmark mode (possibly millions of cases).

`hooks_paused()` silences every hook inside its block (demo data, imports of history).
`hooks_captured()` records the events emitted inside its block instead of scheduling them, for
the caller to run later with `hooks_replay(events)` (the email intake commits a batch of
messages and hands their events to a background task: derived work off the intake path).
"""

from __future__ import annotations

import inspect
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

_registry: dict[str, list[Callable[..., Any]]] = defaultdict(list)
_paused: ContextVar[bool] = ContextVar("guichet_hooks_paused", default=False)
_captured: ContextVar[list[tuple[str, dict[str, Any]]] | None] = ContextVar(
    "guichet_hooks_captured", default=None
)


@contextmanager
def hooks_paused() -> Iterator[None]:
    """Emit nothing inside this block: history written after the fact must not send surveys,
    acknowledgements or alerts."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


# callback -> its form for many cases at once, many(*, case_ids: list[int]), used by
# hooks_replay(coalesce=True) for a callback written `fn(*, case_id, **_)`.
_many: dict[Callable[..., Any], Callable[..., Any]] = {}


def hooks_register(
    event: str, callback: Callable[..., Any], *, many: Callable[..., Any] | None = None
) -> None:
    if callback not in _registry[event]:
        _registry[event].append(callback)
    if many is not None:
        _many[callback] = many


def hooks_unregister(event: str, callback: Callable[..., Any]) -> None:
    if callback in _registry[event]:
        _registry[event].remove(callback)
    if not any(callback in callbacks for callbacks in _registry.values()):
        _many.pop(callback, None)


def hooks_emit(event: str, **payload: Any) -> None:
    if _paused.get():
        return
    captured = _captured.get()
    if captured is not None:
        captured.append((event, payload))
        return
    for callback in list(_registry.get(event, ())):
        transaction.on_commit(lambda cb=callback: _run(cb, event, payload), robust=True)


def _run(callback: Callable[..., Any], event: str, payload: dict[str, Any]) -> None:
    callback(**payload)


@contextmanager
def hooks_captured() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record (event, payload) for every event emitted inside this block, in order, instead of
    scheduling its callbacks. The caller owns them: it runs them with `hooks_replay` once the
    transaction that produced them has committed (or drops them if it rolled back)."""
    events: list[tuple[str, dict[str, Any]]] = []
    token = _captured.set(events)
    try:
        yield events
    finally:
        _captured.reset(token)


def hooks_replay(events: list[tuple[str, dict[str, Any]]], *, coalesce: bool = False) -> None:
    """Run the callbacks of captured events now, in order. Like after-commit callbacks, one that
    fails is logged and does not stop the others.

    `coalesce`: a callback is run once per distinct value of the arguments it names, the rest
    of the payload going to its `**kwargs`. A callback written `fn(*, case_id, **_)` says it
    brings derived data in step with the case as it is now (service clocks, survey facts): run
    after the whole batch committed, a second call for the same case would find nothing to do.
    One naming `contact_id` or `old`/`new` still runs for each of them.

    With `coalesce`, a case-sync callback registered with a `many` form runs ONCE for all the
    cases of the events, after the others (`many(case_ids=[…])`, in first-seen order); if that
    fails, it runs case by case, so one bad case does not cost the others their update."""
    done: set[tuple[Any, ...]] = set()
    batched: dict[Callable[..., Any], dict[Any, None]] = {}
    for event, payload in events:
        for callback in list(_registry.get(event, ())):
            if coalesce:
                key = _coalesce_key(callback, payload)
                if key is not None:
                    if key in done:
                        continue
                    done.add(key)
                # A callback that names case_id only: (callback, "case_id", value).
                if callback in _many and key is not None and key[1:] == ("case_id", key[2]):
                    batched.setdefault(callback, {})[payload.get("case_id")] = None
                    continue
            try:
                _run(callback, event, payload)
            except Exception:
                logger.exception("hook %s for %s failed", getattr(callback, "__name__", "?"), event)
    for callback, case_ids in batched.items():
        try:
            _many[callback](case_ids=list(case_ids))
        except Exception:
            logger.exception("hook %s for many cases failed", getattr(callback, "__name__", "?"))
            for case_id in case_ids:
                try:
                    callback(case_id=case_id)
                except Exception:
                    logger.exception("hook %s for case %s failed", callback.__name__, case_id)


def _coalesce_key(callback: Callable[..., Any], payload: dict[str, Any]) -> tuple[Any, ...] | None:
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):
        return None
    named = [
        p.name for p in parameters if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    if not named:  # fn(**payload) names nothing: it may use anything, run it every time
        return None
    try:
        values = tuple(repr(payload.get(name)) for name in named)
    except Exception:
        return None
    return (callback, *named, *values)
