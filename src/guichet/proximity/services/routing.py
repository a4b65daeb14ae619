"""Continuity routing: a new case goes to the customer's advisor, to the deputy when the advisor
is away, to the team otherwise; nobody absent gets a new case. Registered with
guichet.cases.routing in ProximityConfig.ready(); case_open writes the decision, its reason and
details into the case's ASSIGNED event."""

from __future__ import annotations

from datetime import datetime

from guichet.accounts.models import Team, User
from guichet.cases.models import Category
from guichet.cases.routing import RoutingDecision
from guichet.cases.services import case_route_owner
from guichet.customers.models import Customer
from guichet.proximity.choices import RoutingReason
from guichet.proximity.models import ReferentAssignment
from guichet.proximity.services.absences import absent_ids
from guichet.proximity.services.batch import batch_reads
from guichet.proximity.services.referents import assignment_current, referent_assign_by_rules


def _works_in(user: User, team: Team | None) -> bool:
    return team is None or user.sees_all_teams or user.teams.filter(pk=team.pk).exists()


def _team_for(owner: User | None, *, preferred: list[Team | None]) -> Team | None:
    """The first of the preferred teams the owner belongs to, else the owner's own team."""
    for team in preferred:
        if team is not None and (owner is None or _works_in(owner, team)):
            return team
    return owner.teams.first() if owner is not None else None


def _team_absent(team: Team | None, at: datetime) -> set[int]:
    if team is None:
        return set()
    reads = batch_reads(at)
    if reads is not None:
        return absent_ids(agent_ids=reads.team_members(team), at=at)
    return absent_ids(agent_ids=team.members.values_list("pk", flat=True), at=at)


def route_for_customer(
    *, customer: Customer, team: Team | None, at: datetime, assign_by_rules: bool = True
) -> RoutingDecision | None:
    """Who should take a new request of this customer now (also used for callbacks and for
    "talk to a person"). None: no advisor and nobody in the team is away — the default
    least-loaded routing decides."""
    assignment: ReferentAssignment | None = assignment_current(customer)
    if assignment is None and assign_by_rules:
        assignment = referent_assign_by_rules(customer=customer, at=at)
    if assignment is None:
        away = _team_absent(team, at)
        if not away:
            return None
        owner = case_route_owner(team=team, exclude_ids=away)
        return RoutingDecision(
            owner=owner,
            team=team,
            reason=RoutingReason.TEAM_PRESENT.value,
            details={"absent_ids": sorted(away)},
        )
    referent, deputy = assignment.referent, assignment.deputy
    away = absent_ids(agent_ids=[referent.pk, deputy.pk if deputy else None], at=at)
    details = {
        "referent_id": referent.pk,
        "deputy_id": deputy.pk if deputy else None,
        "assignment_id": assignment.pk,
    }
    if referent.is_agent and referent.pk not in away:
        owner, reason = referent, RoutingReason.REFERENT
    elif deputy is not None and deputy.is_agent and deputy.pk not in away:
        owner, reason = deputy, RoutingReason.DEPUTY
        details["absent_ids"] = sorted(away)
    else:
        fallback = assignment.team or team
        team_away = _team_absent(fallback, at) | away
        owner = case_route_owner(team=fallback, exclude_ids=team_away)
        reason = RoutingReason.TEAM_REFERENT_ABSENT
        details["absent_ids"] = sorted(team_away)
        return RoutingDecision(owner=owner, team=fallback, reason=reason.value, details=details)
    return RoutingDecision(
        owner=owner,
        team=_team_for(owner, preferred=[team, assignment.team]),
        reason=reason.value,
        details=details,
    )


def continuity_route(
    *,
    customer: Customer,
    team: Team | None,
    category: Category | None,
    channel: str,
    at: datetime,
) -> RoutingDecision | None:
    return route_for_customer(customer=customer, team=team, at=at)
