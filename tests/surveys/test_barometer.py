"""The barometer page, its API and exports: who may see them, the stable JSON shape, "not enough
answers" below the minimum sample, CSV formula neutralisation."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.accounts.choices import Role
from guichet.accounts.services import user_create
from guichet.surveys import services
from guichet.surveys.exports import csv_cell
from guichet.surveys.models import BarometerSubscription, FollowUpTask
from guichet.surveys.selectors import FIGURE_NAMES
from tests.conftest import bearer_client
from tests.surveys.conftest import open_case, reply, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def director(db):
    user = user_create(email="dir@guichet.test", first_name="Dominique", role=Role.AGENT)
    user.user_permissions.add(Permission.objects.get(codename="view_barometer"))
    return user


@pytest.fixture
def administrator(db):
    return user_create(email="admin@guichet.test", role=Role.ADMINISTRATOR)


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answered(agent, customer, *, expectations_met, csat=None, comment="", days_ago=1):
    now = timezone.now() - timedelta(days=days_ago)
    case = open_case(agent=agent, customer=customer, at=now - timedelta(hours=3))
    reply(agent=agent, case=case, at=now - timedelta(hours=2))
    resolve(agent=agent, case=case, at=now - timedelta(hours=1))
    invitation, _reason = services.invitation_schedule(case_id=case.pk, now=now)
    raw = {"expectations_met": "yes" if expectations_met else "no", "comment": comment}
    if csat:
        raw["csat"] = str(csat)
    return services.answer_record(invitation=invitation, raw=raw, now=now)


def _api_url(**extra):
    today = timezone.localdate()
    query = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat(), **extra}
    return "/api/v1/barometer?" + "&".join(f"{k}={v}" for k, v in query.items())


# --- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["barometer", "barometer_print", "barometer_csv", "follow_ups"])
def test_supervisor_sees_the_barometer_pages(config, supervisor, name):
    response = _login(supervisor).get(reverse(f"surveys:{name}"))
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["barometer", "barometer_print", "barometer_csv", "follow_ups"])
def test_agent_is_refused_the_barometer(config, agent, name):
    assert _login(agent).get(reverse(f"surveys:{name}")).status_code == 403


def test_customer_is_refused_the_barometer(config, customer):
    assert _login(customer.user).get(reverse("surveys:barometer")).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(config):
    response = Client().get(reverse("surveys:barometer"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_director_with_the_permission_sees_the_barometer(config, director):
    assert _login(director).get(reverse("surveys:barometer")).status_code == 200


def test_api_refuses_agents_and_customers(config, agent, customer):
    assert bearer_client(agent).get(_api_url()).status_code == 403
    assert bearer_client(customer.user).get(_api_url()).status_code == 403


def test_api_requires_authentication(config):
    assert Client().get(_api_url()).status_code == 401


# --- the API ---------------------------------------------------------------------------------


def test_api_answers_every_metric_under_its_stable_name(config, supervisor):
    response = bearer_client(supervisor).get(_api_url())
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["metrics"]) == set(FIGURE_NAMES)
    assert set(body["previous"]["metrics"]) == set(FIGURE_NAMES)
    assert body["reference"]["expectations_met"] == 0.45


def test_below_the_minimum_sample_the_value_is_null_with_a_reason(
    config, supervisor, agent, customer
):
    _answered(agent, customer, expectations_met=True)
    body = bearer_client(supervisor).get(_api_url()).json()
    assert body["metrics"]["expectations_met"] == {
        "value": None,
        "n": 1,
        "reason": "insufficient_sample",
        "min_sample": 30,
    }


def test_enough_answers_give_value_n_and_wilson_interval(
    config, supervisor, agent, customer, other_customer
):
    config.min_sample = 2
    config.period_days = 0
    config.save()
    _answered(agent, customer, expectations_met=True, csat=5)
    _answered(agent, other_customer, expectations_met=False, csat=2)
    figure = bearer_client(supervisor).get(_api_url()).json()["metrics"]["expectations_met"]
    assert figure["value"] == 0.5
    assert figure["n"] == 2
    assert figure["low"] == pytest.approx(0.0945, abs=1e-4)
    assert figure["high"] == pytest.approx(0.9055, abs=1e-4)


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/barometer?start=2026-13-01&end=2026-01-31",
        "/api/v1/barometer?start=2026-02-01&end=2026-01-01",
        "/api/v1/barometer?start=2026-01-01",
        "/api/v1/barometer?start=2020-01-01&end=2026-01-01",
        "/api/v1/barometer?start=2026-01-01&end=2026-01-31&channel=pigeon",
    ],
)
def test_api_rejects_bad_periods_and_filters_with_422(config, supervisor, query):
    response = bearer_client(supervisor).get(query)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_charts_endpoint_gives_13_months_and_the_reference_line(config, supervisor):
    response = bearer_client(supervisor).get(_api_url().replace("barometer?", "barometer/charts?"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["trend"]["months"]) == 13
    assert len(body["trend"]["series"]["expectations_met"]) == 13
    assert body["reference"] == {"expectations_met": 0.45, "source": "American Express, 2012"}


def test_filters_narrow_the_figures(config, supervisor, agent, customer, team):
    config.min_sample = 1
    config.save()
    _answered(agent, customer, expectations_met=True)
    other = bearer_client(supervisor).get(_api_url(team=team.pk + 1000)).json()
    mine = bearer_client(supervisor).get(_api_url(team=team.pk)).json()
    assert other["metrics"]["expectations_met"]["n"] == 0
    assert mine["metrics"]["expectations_met"]["n"] == 1


# --- survey configuration API ---------------------------------------------------------------


def test_config_get_lists_questions_in_french_and_english(config, supervisor):
    body = bearer_client(supervisor).get("/api/v1/surveys/config").json()
    keys = [q["key"] for q in body["questions"]]
    assert keys == ["expectations_met", "csat", "fcr", "ces", "nps", "comment"]
    assert body["questions"][0]["text_en"] == "Did our service meet your expectations?"


def test_administrator_patches_wording_delay_and_sampling(config, administrator):
    response = bearer_client(administrator).patch(
        "/api/v1/surveys/config",
        {
            "delay_hours": 48,
            "sample_percent": 50,
            "questions": [{"key": "csat", "text_fr": "Êtes-vous satisfait ?"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["delay_hours"], body["sample_percent"]) == (48, 50)
    assert body["questions"][1]["text_fr"] == "Êtes-vous satisfait ?"


def test_supervisor_cannot_patch_the_config(config, supervisor):
    response = bearer_client(supervisor).patch(
        "/api/v1/surveys/config", {"delay_hours": 1}, content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"sample_percent": 101},
        {"delay_hours": -1},
        {"channels": ["pigeon"]},
        {"questions": [{"key": "unknown"}]},
        {"questions": [{"key": "expectations_met", "is_active": False}]},
        {"name": None},
    ],
)
def test_invalid_config_is_a_422(config, administrator, payload):
    response = bearer_client(administrator).patch(
        "/api/v1/surveys/config", payload, content_type="application/json"
    )
    assert response.status_code == 422, response.content


# --- page, CSV, print, follow-ups, monthly email --------------------------------------------


def test_page_shows_not_enough_answers_instead_of_a_number(config, supervisor, agent, customer):
    _answered(agent, customer, expectations_met=True, comment="Très bien, merci.")
    html = _login(supervisor).get(reverse("surveys:barometer")).content.decode()
    assert "not enough answers" in html
    assert "Très bien, merci." in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_comments_filter_by_rating(config, supervisor, agent, customer, other_customer):
    config.period_days = 0
    config.save()
    _answered(agent, customer, expectations_met=True, csat=5, comment="Parfait")
    _answered(agent, other_customer, expectations_met=False, csat=1, comment="Nul")
    html = _login(supervisor).get(reverse("surveys:barometer") + "?rating=1").content.decode()
    assert "Nul" in html
    assert "Parfait" not in html


def test_bad_period_on_the_page_is_a_clear_422(config, supervisor):
    response = _login(supervisor).get(reverse("surveys:barometer") + "?period=decade")
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Bien", "Bien"),
        (None, ""),
    ],
)
def test_csv_cells_that_look_like_formulas_are_neutralised(raw, safe):
    assert csv_cell(raw) == safe


def test_csv_export_neutralises_a_customers_formula(config, supervisor, agent, customer):
    _answered(agent, customer, expectations_met=False, comment="=CMD|' /C calc'!A0")
    response = _login(supervisor).get(reverse("surveys:barometer_csv"))
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "'=CMD|" in body
    assert ",=CMD" not in body
    assert body.splitlines()[0].startswith("section,metric,period")


def test_csv_has_the_customer_effort_and_contacts_per_resolved_request(
    config, supervisor, agent, customer, django_capture_on_commit_callbacks
):
    import csv

    from guichet.surveys.selectors import EFFORT_NAMES

    # given two cases of this month answered once, with their figures stored by the hooks
    config.min_sample = 1
    config.save()
    start = timezone.now() - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        for hours in (0, 5):
            case = open_case(agent=agent, customer=customer, at=start + timedelta(hours=hours))
            reply(agent=agent, case=case, at=start + timedelta(hours=hours + 1))
            resolve(agent=agent, case=case, at=start + timedelta(hours=hours + 2))
    span = {"start": (start - timedelta(days=1)).date(), "end": timezone.localdate()}
    # when the CSV and the JSON of the period are read
    query = f"?start={span['start']}&end={span['end']}"
    body = _login(supervisor).get(reverse("surveys:barometer_csv") + query)
    rows = list(csv.DictReader(body.content.decode("utf-8-sig").splitlines()))
    metrics = bearer_client(supervisor).get("/api/v1/barometer" + query).json()["metrics"]
    # then every effort figure and REQ-MET-02 is in the CSV with the JSON's value
    period = {r["metric"]: r for r in rows if r["section"] == "period"}
    for name in (*EFFORT_NAMES, "contacts_per_resolved_issue"):
        assert float(period[name]["value"]) == metrics[name]["value"], name
        assert int(period[name]["n"]) == metrics[name]["n"] == 2
    assert metrics["contacts_per_case"]["value"] == 1.0
    # the customer's second case, 5 hours after the first was resolved, is a repeat contact
    assert metrics["contacts_per_resolved_issue"]["value"] == 1.5


def test_printable_page_has_the_figures_and_no_chart_script(config, supervisor):
    html = _login(supervisor).get(reverse("surveys:barometer_print")).content.decode()
    assert "window.print()" in html
    assert "chart.umd" not in html
    assert 'id="customer-effort"' in html


def test_supervisor_closes_a_follow_up_with_the_outcome(config, supervisor, agent, customer):
    _answered(agent, customer, expectations_met=False)
    task = FollowUpTask.objects.get()
    client = _login(supervisor)
    assert "expectations not met" in client.get(reverse("surveys:follow_ups")).content.decode()
    response = client.post(
        reverse("surveys:follow_up_done", args=[task.pk]), {"note": "Rappelée, geste fait."}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.done_by) == ("done", supervisor)


def test_monthly_email_goes_once_to_subscribers_only(config, supervisor, other_agent):
    client = _login(supervisor)
    client.post(reverse("surveys:barometer_subscription"), {"subscribe": "1"})
    BarometerSubscription.objects.create(user=other_agent)  # not allowed to see it any more
    call_command("barometer_email", "--month", "2026-02")
    call_command("barometer_email", "--month", "2026-02")
    barometer_mails = [m for m in mail.outbox if "Baromètre" in m.subject]
    assert [m.to for m in barometer_mails] == [[supervisor.email]]


def test_monthly_email_command_rejects_a_bad_month(config):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("barometer_email", "--month", "March")


def test_response_rate_is_answered_over_sent(config, supervisor, agent, customer, other_customer):
    config.min_sample = 2
    config.period_days = 0
    config.save()
    for who in (customer, other_customer):
        now = timezone.now() - timedelta(days=1)
        case = open_case(agent=agent, customer=who, at=now - timedelta(hours=3))
        resolve(agent=agent, case=case, at=now - timedelta(hours=1))
        invitation, _reason = services.invitation_schedule(case_id=case.pk, now=now)
        services.invitation_send(invitation_id=invitation.pk, now=now)
    services.answer_record(invitation=invitation, raw={"expectations_met": "yes"})
    figure = bearer_client(supervisor).get(_api_url()).json()["metrics"]["response_rate"]
    assert (figure["value"], figure["n"]) == (0.5, 2)
