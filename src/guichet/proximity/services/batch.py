"""Reads shared by the continuity routing of many new cases at once.

`cases.services.case_open_many` (a channel's batch, e.g. inbound email) routes its cases one
after the other, as `case_open` would; inside `continuity_batch` the advisors of the batch's
customers, the active rules, the absences of the batch's time window, the teams' members and
the disabled accounts are read once instead of once per case. Only reads are shared: an advisor
given by a rule during the batch is noted here so the customer's next case sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from guichet.accounts.models import Team, User
from guichet.proximity.models import Absence, ReferentAssignment, ReferentRule


class RoutingReads:
    def __init__(self, *, customers: list[Any], starts: datetime, ends: datetime) -> None:
        self.customer_ids = {c.pk for c in customers}
        self.organisation_ids = {c.organisation_id for c in customers if c.organisation_id}
        current = ReferentAssignment.objects.select_related("referent", "deputy", "team").filter(
            ended_at__isnull=True
        )
        # Ordered as the model (newest first): the first met is what `.first()` returns.
        self.own: dict[int, ReferentAssignment] = {}
        for assignment in current.filter(customer_id__in=self.customer_ids):
            self.own.setdefault(assignment.customer_id, assignment)
        self.of_organisation: dict[int, ReferentAssignment] = {}
        if self.organisation_ids:
            for assignment in current.filter(organisation_id__in=self.organisation_ids):
                self.of_organisation.setdefault(assignment.organisation_id, assignment)
        self.rules = list(ReferentRule.objects.filter(is_active=True).select_related("team"))
        self.absences = list(
            Absence.objects.filter(starts_at__lte=ends, ends_at__gt=starts).values_list(
                "agent_id", "starts_at", "ends_at"
            )
        )
        self.starts, self.ends = starts, ends
        self.active: dict[int, bool] = {}
        self.members: dict[int, list[int]] = {}

    def covers(self, customer: Any, at: datetime | None = None) -> bool:
        in_window = at is None or self.starts <= at <= self.ends
        return (
            in_window
            and customer.pk in self.customer_ids
            and (
                customer.organisation_id is None
                or customer.organisation_id in self.organisation_ids
            )
        )

    def assignment(self, customer: Any) -> ReferentAssignment | None:
        own = self.own.get(customer.pk)
        if own is not None or customer.organisation_id is None:
            return own
        return self.of_organisation.get(customer.organisation_id)

    def absent(self, ids: set[int], at: datetime) -> set[int]:
        missing = [i for i in ids if i not in self.active]
        if missing:
            self.active.update(User.objects.filter(pk__in=missing).values_list("pk", "is_active"))
        away = {a for a, starts, ends in self.absences if a in ids and starts <= at < ends}
        # An id with no account at all is not "disabled" (as absent_ids: is_active=False only).
        return away | {i for i in ids if self.active.get(i, True) is False}

    def team_members(self, team: Team) -> list[int]:
        if team.pk not in self.members:
            self.members[team.pk] = list(team.members.values_list("pk", flat=True))
        return self.members[team.pk]


_reads: ContextVar[RoutingReads | None] = ContextVar("guichet_proximity_batch", default=None)


def batch_reads(at: datetime | None = None) -> RoutingReads | None:
    reads = _reads.get()
    if reads is None or (at is not None and not reads.starts <= at <= reads.ends):
        return None
    return reads


@contextmanager
def continuity_batch(
    *, customers: Iterable[Any], starts: datetime, ends: datetime
) -> Iterator[None]:
    token = _reads.set(RoutingReads(customers=list(customers), starts=starts, ends=ends))
    try:
        yield
    finally:
        _reads.reset(token)
