from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from guichet.proximity.models import ReferentAssignment, ReferentRule

pytestmark = pytest.mark.django_db


def test_rules_command_applies_the_rules(supervisor, team, agent, customer, capsys):
    ReferentRule.objects.create(name="Tous", kind="all", team=team)
    call_command("proximity", "rules", "--as", supervisor.email)
    assert "assigned 1" in capsys.readouterr().out
    assert ReferentAssignment.objects.get(customer=customer).referent == agent


def test_rules_command_refuses_an_agent(agent):
    with pytest.raises(CommandError):
        call_command("proximity", "rules", "--as", agent.email)


def test_sweep_command_runs(db, capsys):
    call_command("proximity", "sweep")
    assert "reminded 0, escalated 0" in capsys.readouterr().out
