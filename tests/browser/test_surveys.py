"""The one-click survey and the barometer's charts in a real Chromium (fixtures:
tests/browser/conftest.py). The email's link only opens the page; the page's own script records
the answer with a POST; the rest of the form updates the same answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from guichet.cases.services import case_change_status, case_open, contact_add
from guichet.surveys import services
from guichet.surveys.models import SurveyAnswer, SurveyInvitation

pytestmark = pytest.mark.browser

YES_RE = re.compile(r"(https?://\S+/survey/\S+/\?expectations_met=no)\s")


@pytest.fixture(autouse=True)
def _live_settings(settings, live_server):
    settings.GUICHET_BASE_URL = live_server.url
    mail.outbox = []


def _resolved_case(agent, customer):
    now = timezone.now()
    case = case_open(
        actor=agent,
        customer=customer,
        subject="Facture en double",
        body_text="J'ai été facturé deux fois.",
        channel="email",
        at=now - timedelta(hours=3),
    )
    contact_add(actor=agent, case=case, kind="reply", body_text="Remboursé.", at=now)
    return case_change_status(actor=agent, case=case, status="resolved")


def test_one_click_from_the_email_records_the_answer_then_the_form_updates_it(
    page, agent, customer
):
    # given a resolved case whose survey email was sent
    config = services.survey_config_get()
    config.delay_hours = 0
    config.save()
    customer.language = "en"
    customer.save()
    case = _resolved_case(agent, customer)
    invitation = SurveyInvitation.objects.get(case=case)  # scheduled by the resolution's hook
    services.invitation_send(invitation_id=invitation.pk)
    link = YES_RE.search(mail.outbox[-1].body + "\n").group(1)
    # when the customer clicks "No" in the email
    page.goto(link)
    # then the page shows it selected and its script records it at once
    assert page.get_by_role("radio", name="No").first.is_checked()
    page.locator("#survey-form[data-recorded-at]").wait_for()
    assert SurveyAnswer.objects.get().expectations_met is False
    # and answering the rest of the questions updates the same answer
    page.locator('#q-csat input[value="2"]').check()
    page.get_by_label("Anything you would like to add?").fill("Trop d'attente au téléphone.")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Thank you, your answers are recorded.").wait_for()
    answer = SurveyAnswer.objects.get()
    assert (answer.expectations_met, answer.csat) == (False, 2)
    assert answer.comment == "Trop d'attente au téléphone."
    # and a low answer put the customer on the supervisors' call-back list
    assert answer.follow_up.reason


def test_a_forged_link_shows_a_clear_page(page, url, db):
    page.goto(url("/survey/forged-token/?expectations_met=yes"))
    assert page.get_by_role("heading", name="This survey link is not valid").is_visible()


def test_barometer_draws_its_charts(page_as, url, supervisor):
    page = page_as(supervisor)
    page.goto(url("/barometer/"))
    page.locator('#charts[data-drawn="1"]').wait_for()
    assert page.locator("#chart-trend").is_visible()
