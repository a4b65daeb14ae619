import pytest
from django.core.management import CommandError, call_command

from guichet.accounts.models import User
from guichet.cases.models import Case
from guichet.cli import main
from guichet.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "options",
    [{"cases": -5}, {"cases": 0}, {"months": 0}, {"months": -1}, {"seed": -1}],
    ids=["negative-cases", "zero-cases", "zero-months", "negative-months", "negative-seed"],
)
def test_bad_options_are_refused_and_nothing_is_written(options):
    # given an empty database, when the demo is asked for something impossible
    with pytest.raises(CommandError):
        call_command("demo", verbosity=0, **options)
    # then nothing was written
    assert not Case.objects.exists()
    assert not Customer.objects.exists()
    assert not User.objects.exists()


def test_cli_exits_non_zero_with_a_one_line_reason(capsys):
    # when the operator passes a negative number of cases to the guichet command
    code = main(["guichet", "demo", "--cases", "-3"])
    # then it fails with a short message and no traceback
    assert code != 0
    err = capsys.readouterr().err
    assert "--cases must be a positive number" in err
    assert "Traceback" not in err


def test_init_signature_writes_the_requested_number_of_cases(capsys):
    # when guichet init calls the command as it does
    call_command("demo", cases=25, verbosity=0)
    # then exactly that many cases exist, and -v 0 printed nothing
    assert Case.objects.count() == 25
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ""


def test_summary_and_progress_are_shown_by_default(capsys):
    call_command("demo", cases=15, months=2, seed=3)
    out = capsys.readouterr()
    assert "15 cases" in out.out
    assert "15/15" in out.err  # the progress bar goes to stderr
