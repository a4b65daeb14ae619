"""The shop's teams, agents and supervisors, and which team handles which category: created
through the accounts services, reused when they exist (running the demo twice adds cases, not
a second set of colleagues)."""

from __future__ import annotations

from django.db import transaction

from guichet.accounts.choices import STAFF_ROLES, Role
from guichet.accounts.models import Team, User
from guichet.accounts.services import team_create, user_create
from guichet.cases.models import Category
from guichet.core.setup import base_data_ensure
from guichet.demo.generator import CategoryInfo, Directory, TeamInfo
from guichet.demo.population import TEAMS, StaffSpec

# People already in a team (the administrator of `guichet init`) take few demo cases.
OUTSIDER_WEIGHT = 0.05


@transaction.atomic
def staff_ensure(*, specs: list[StaffSpec]) -> Directory:
    default = base_data_ensure()
    teams: dict[str, Team] = {}
    for spec in TEAMS:
        team = (
            Team.objects.filter(slug=spec.slug).first()
            or Team.objects.filter(name=spec.name).first()
            or team_create(name=spec.name)
        )
        teams[spec.slug] = team
    weights: dict[int, float] = {}
    for person in specs:
        user = User.objects.filter(email__iexact=person.email).first() or user_create(
            email=person.email,
            role=Role.SUPERVISOR if person.supervisor else Role.AGENT,
            first_name=person.first_name,
            last_name=person.last_name,
        )
        team = teams[person.team]
        team.members.add(user)
        if person.supervisor and team.supervisor_id is None:
            team.supervisor = user
            team.save(update_fields=["supervisor"])
        weights[user.pk] = person.weight

    handled_by = {slug: teams[t.slug] for t in TEAMS for slug in t.categories}
    for category in Category.objects.filter(team__isnull=True):
        category.team = handled_by.get(category.slug, default)
        category.save(update_fields=["team"])
    return directory_read(weights=weights, default=default)


def directory_read(*, weights: dict[int, float], default: Team) -> Directory:
    """The teams (with their active staff) and categories, by id, in a stable order."""
    infos: dict[int, TeamInfo] = {}
    first_names: dict[int, str] = {}
    for team in Team.objects.order_by("id").prefetch_related("members"):
        members = sorted(
            (m for m in team.members.all() if m.is_active and m.role in STAFF_ROLES),
            key=lambda m: m.pk,
        )
        if not members:
            continue
        for member in members:
            first_names[member.pk] = member.first_name or member.email.split("@")[0]
        supervisor = team.supervisor_id or next(
            (m.pk for m in members if m.role != Role.AGENT), members[0].pk
        )
        infos[team.pk] = TeamInfo(
            id=team.pk,
            name=team.name,
            supervisor=supervisor,
            members=[m.pk for m in members],
            weights=[weights.get(m.pk, OUTSIDER_WEIGHT) for m in members],
        )
    fallback = default.pk if default.pk in infos else next(iter(infos))
    categories = [
        CategoryInfo(id=c.pk, slug=c.slug, team=c.team_id if c.team_id in infos else fallback)
        for c in Category.objects.order_by("id")
    ]
    return Directory(teams=infos, categories=categories, first_names=first_names)
