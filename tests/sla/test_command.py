"""`guichet sla due|between|rebuild`: answers on stdout, bad input in one line, non-zero exit."""

from __future__ import annotations

import pytest

from guichet.cli import main
from guichet.sla.models import CaseClock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    # A command run from the command line closes the connections when it ends: that would end
    # the test's transaction on PostgreSQL.
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["guichet", "sla", *args])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_due_prints_the_instant_with_its_offset(capsys):
    code, out, _ = run(
        capsys, "due", "--calendar", "default", "--start", "2026-04-30T17:00:00+02:00",
        "--minutes", "120",
    )  # fmt: skip
    assert (code, out) == (0, "2026-05-04T10:00:00+02:00")


def test_due_reads_a_time_without_offset_in_the_calendars_zone(capsys):
    code, out, _ = run(capsys, "due", "--start", "2026-12-24T17:30", "--minutes", "60")
    # 24 December (Thursday) 17:30 + 1 h: 30 min that day, Christmas, then Monday 28 at 09:30.
    assert (code, out) == (0, "2026-12-28T09:30:00+01:00")


def test_between_prints_business_minutes(capsys):
    code, out, _ = run(
        capsys, "between", "--calendar", "default", "--start", "2026-05-04T09:00:00+02:00",
        "--end", "2026-05-05T18:00:00+02:00",
    )  # fmt: skip
    assert (code, out) == (0, "960")


def test_between_prints_fractions_of_minutes(capsys):
    code, out, _ = run(
        capsys, "between", "--start", "2026-05-04T09:00:00+02:00",
        "--end", "2026-05-04T09:00:30+02:00",
    )  # fmt: skip
    assert (code, out) == (0, "0.5")


@pytest.mark.parametrize(
    "args",
    [
        ["due", "--calendar", "nowhere", "--start", "2026-05-04T09:00", "--minutes", "1"],
        ["due", "--start", "tomorrow", "--minutes", "1"],
        ["due", "--start", "2026-05-04T09:00", "--minutes", "-1"],
        ["due", "--start", "2026-05-04T09:00", "--minutes", "lots"],
        ["due", "--start", "2026-05-04T09:00"],
        ["between", "--start", "2026-05-05T09:00", "--end", "2026-05-04T09:00"],
        ["sideways"],
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(capsys, args):
    code, out, err = run(capsys, *args)
    assert code != 0
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err


def test_rebuild_synchronises_active_cases(open_case, capsys):
    case = open_case()
    CaseClock.objects.all().delete()
    code, out, _ = run(capsys, "rebuild")
    assert (code, out) == (0, "1 case(s) synchronised")
    assert CaseClock.objects.filter(case=case).exists()
