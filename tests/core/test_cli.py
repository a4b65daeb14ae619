"""The `guichet` command, run as operators run it: a real process against a scratch database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guichet.accounts.services import api_token_authenticate

GUICHET = str(Path(sys.executable).with_name("guichet"))


def run(args: list[str], var_dir: Path, **env: str) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_ADMIN_")}
    environ = {
        **inherited,
        "GUICHET_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'cli.sqlite3'}",
        "SECRET_KEY": "cli-test",
        **env,
    }
    return subprocess.run(  # noqa: S603 (our own console script)
        [GUICHET, *args], capture_output=True, text=True, env=environ, timeout=120
    )


@pytest.fixture(scope="module")
def initialised(tmp_path_factory) -> Path:
    var_dir = tmp_path_factory.mktemp("guichet-var")
    result = run(["init", "--no-demo", "--no-static"], var_dir, GUICHET_ADMIN_EMAIL="boss@x.test")
    assert result.returncode == 0, result.stderr
    var_dir.joinpath("first-init.out").write_text(result.stdout)
    return var_dir


def test_init_generates_and_prints_the_administrator_password_once(initialised):
    # given a first init without GUICHET_ADMIN_PASSWORD
    first = initialised.joinpath("first-init.out").read_text()
    # then the password was printed
    assert re.search(r"boss@x\.test created with the password: \S{12,}", first)
    # when init runs again
    again = run(
        ["init", "--no-demo", "--no-static"], initialised, GUICHET_ADMIN_EMAIL="boss@x.test"
    )
    # then it succeeds and prints no password
    assert again.returncode == 0, again.stderr
    assert "password" not in again.stdout


def test_check_reports_a_healthy_wal_database(initialised):
    result = run(["check"], initialised)
    assert result.returncode == 0, result.stderr
    assert "database: ok (sqlite, journal wal)" in result.stdout
    assert "migrations: ok" in result.stdout


def test_check_fails_in_one_line_when_the_database_is_unreachable(tmp_path):
    result = run(["check"], tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    assert "database unreachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_create_prints_only_a_token(initialised):
    result = run(["token", "create", "boss@x.test"], initialised)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"gch_[0-9a-f]{8}_[\w-]{40,}\n", result.stdout)


def test_token_create_for_an_unknown_email_fails_with_a_reason(initialised):
    # (in English: the install's language, LANGUAGE_CODE, is French unless set)
    result = run(["token", "create", "nobody@x.test"], initialised, LANGUAGE_CODE="en")
    assert result.returncode == 1
    assert "No active user with the email nobody@x.test" in result.stderr
    assert result.stdout == ""


def test_serve_refuses_an_impossible_port(initialised):
    result = run(["serve", "--port", "70000"], initialised)
    assert result.returncode != 0
    assert "--port must be between 1 and 65535" in result.stderr


def test_an_unknown_command_fails(initialised):
    result = run(["frobnicate"], initialised)
    assert result.returncode != 0
    assert "Unknown command" in result.stderr


@pytest.mark.django_db
def test_token_command_creates_a_token_that_authenticates(agent, capsys):
    # given an agent, when an operator creates a token for them
    call_command("token", "create", agent.email)
    secret = capsys.readouterr().out.strip()
    # then that token authenticates as the agent
    assert api_token_authenticate(raw=secret) == agent


@pytest.mark.django_db
def test_token_revoke_makes_the_token_useless(agent, capsys):
    call_command("token", "create", agent.email)
    secret = capsys.readouterr().out.strip()
    prefix = secret.split("_")[1]
    call_command("token", "revoke", prefix)
    assert api_token_authenticate(raw=secret) is None
    with pytest.raises(CommandError, match="already revoked"):
        call_command("token", "revoke", prefix)


@pytest.mark.django_db
def test_init_creates_the_default_team_and_categories_once(monkeypatch):
    from guichet.accounts.models import Team
    from guichet.cases.models import Category

    monkeypatch.setenv("GUICHET_ADMIN_EMAIL", "first@x.test")
    monkeypatch.setenv("GUICHET_ADMIN_PASSWORD", "a-long-enough-passphrase")
    call_command("init", "--no-demo", "--no-static", verbosity=0)
    call_command("init", "--no-demo", "--no-static", verbosity=0)
    team = Team.objects.get(is_default=True)
    assert list(team.members.values_list("email", flat=True)) == ["first@x.test"]
    assert Category.objects.count() == 6
