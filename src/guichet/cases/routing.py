"""Routing extension point: higher apps decide who gets a new case before the default
"least-loaded member of the team" (services.case_route_owner).

A router is a callable registered in its app's AppConfig.ready() with `routing_register(fn)`.
`case_open` calls the routers in registration order, inside its transaction, when the case has
no owner chosen by an agent and GUICHET_AUTO_ASSIGN is on:

    fn(*, customer, team, category, channel, at) -> RoutingDecision | None

The first decision returned wins; None lets the next router (and finally the default) decide.
A decision must name an active agent who belongs to `decision.team` (or sees all teams), or no
owner at all. Its `reason` and `details` are written into the case's ASSIGNED event, so every
routing decision can be read back from the timeline. guichet.proximity registers the
continuity router (a customer's advisor, their deputy, the team).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RoutingDecision:
    owner: Any  # accounts.User | None
    team: Any  # accounts.Team | None
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


Router = Callable[..., RoutingDecision | None]
# batch(*, customers, starts, ends) -> a context manager inside which the router may serve
# many routing_decide calls (a batch's cases, at times within [starts, ends]) from shared reads.
BatchReads = Callable[..., AbstractContextManager]

_routers: list[Router] = []
_batches: dict[Router, BatchReads] = {}


def routing_register(router: Router, *, batch: BatchReads | None = None) -> None:
    if router not in _routers:
        _routers.append(router)
    if batch is not None:
        _batches[router] = batch


def routing_unregister(router: Router) -> None:
    if router in _routers:
        _routers.remove(router)
    _batches.pop(router, None)


@contextmanager
def routing_batch(*, customers: list[Any], starts: datetime, ends: datetime) -> Iterator[None]:
    """Around the routing of many new cases one after the other (case_open_many): each router
    that offers it reads what it needs for all of them once. The decisions are the same."""
    with ExitStack() as stack:
        for router in list(_routers):
            batch = _batches.get(router)
            if batch is not None:
                stack.enter_context(batch(customers=customers, starts=starts, ends=ends))
        yield


def routing_decide(
    *, customer: Any, team: Any, category: Any, channel: str, at: datetime
) -> RoutingDecision | None:
    for router in list(_routers):
        decision = router(customer=customer, team=team, category=category, channel=channel, at=at)
        if decision is not None:
            return decision
    return None
