"""A case's story as a list of service calls with their times: what the generator decides and
both writers carry out (demo.writer through the services, demo.bulk as rows).

Actors are user ids of the staff, CUSTOMER for the customer's own portal account, or None for
a channel acting on its own (inbound email, chat widget)."""

from __future__ import annotations

from dataclasses import dataclass, field

CUSTOMER = -1


@dataclass(slots=True)
class Open:
    """cases.services.case_open"""

    at: int
    actor: int | None
    channel: str
    priority: str
    category: int
    team: int
    owner: int
    subject: str
    body: str
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class AddContact:
    """cases.services.contact_add"""

    at: int
    actor: int | None
    kind: str
    body: str
    channel: str | None = None
    duration: int | None = None
    direction: str | None = None


@dataclass(slots=True)
class ChangeStatus:
    """cases.services.case_change_status"""

    at: int
    actor: int
    status: str
    reason: str = ""


@dataclass(slots=True)
class Assign:
    """cases.services.case_assign, always naming the new owner's team."""

    at: int
    actor: int
    owner: int
    team: int
    reason: str


@dataclass(slots=True)
class Update:
    """cases.services.case_update (priority and/or category; 0 means unchanged)."""

    at: int
    actor: int
    priority: str = ""
    category: int = 0


Op = Open | AddContact | ChangeStatus | Assign | Update


@dataclass(slots=True)
class CasePlan:
    customer: int  # index in the population
    ops: list[Op] = field(default_factory=list)
