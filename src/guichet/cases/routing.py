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

from collections.abc import Callable
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

_routers: list[Router] = []


def routing_register(router: Router) -> None:
    if router not in _routers:
        _routers.append(router)


def routing_unregister(router: Router) -> None:
    if router in _routers:
        _routers.remove(router)


def routing_decide(
    *, customer: Any, team: Any, category: Any, channel: str, at: datetime
) -> RoutingDecision | None:
    for router in list(_routers):
        decision = router(customer=customer, team=team, category=category, channel=channel, at=at)
        if decision is not None:
            return decision
    return None
