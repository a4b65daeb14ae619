from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.accounts.choices import Role
from guichet.accounts.models import User
from guichet.accounts.services import user_create
from guichet.proximity.models import Absence

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday in term time, no public holiday around it: the default calendar is open
# Monday–Friday 09:00–12:30 and 13:30–18:00.
TUESDAY_9 = datetime(2026, 3, 10, 9, 0, tzinfo=PARIS)


@pytest.fixture
def now() -> datetime:
    return TUESDAY_9


@pytest.fixture
def deputy(team) -> User:
    user = user_create(email="ines@guichet.test", first_name="Inès", last_name="Garnier")
    team.members.add(user)
    return user


@pytest.fixture
def third_agent(team) -> User:
    user = user_create(email="hugo@guichet.test", first_name="Hugo", last_name="Lefebvre")
    team.members.add(user)
    return user


@pytest.fixture
def team_supervisor(team) -> User:
    user = user_create(
        email="nadia@guichet.test",
        first_name="Nadia",
        last_name="Roux",
        role=Role.SUPERVISOR,
    )
    team.supervisor = user
    team.save(update_fields=["supervisor"])
    return user


def away(agent: User, *, at: datetime, days: int = 3) -> Absence:
    """An absence covering `at` (written directly: the service has its own tests)."""
    return Absence.objects.create(
        agent=agent,
        kind="holiday",
        starts_at=at - timedelta(days=1),
        ends_at=at + timedelta(days=days),
        created_at=at - timedelta(days=10),
    )
