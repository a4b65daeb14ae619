"""Demo survey answers for existing cases, the admin pages, and the portal's list of surveys."""

import pytest
from django.test import Client
from django.urls import reverse

from guichet.accounts.choices import Role
from guichet.accounts.services import user_create
from guichet.demo.surveys import survey_answers_generate
from guichet.surveys import services
from guichet.surveys.models import SurveyAnswer, SurveyConfig
from guichet.surveys.selectors import surveys_open_for_customer
from tests.surveys.conftest import T0, resolved_case

pytestmark = pytest.mark.django_db


def test_demo_answers_cover_the_share_of_resolved_cases_once(config, agent, customer):
    for day in range(10):
        resolved_case(agent=agent, customer=customer, at=T0.replace(day=1 + day))
    written = survey_answers_generate(share=1.0, seed=3)
    assert written == 10
    assert survey_answers_generate(share=1.0, seed=3) == 0  # nothing twice
    assert all(a.csat in range(1, 6) for a in SurveyAnswer.objects.all())


def test_administrator_edits_the_wording_in_the_admin(config):
    admin = user_create(
        email="root@guichet.test", role=Role.ADMINISTRATOR, password="x-Long-pass-42"
    )
    client = Client()
    client.force_login(admin)
    url = reverse("admin:surveys_surveyconfig_change", args=[config.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Did our service meet your expectations?" in page.content.decode()


def test_portal_lists_the_surveys_a_customer_can_answer(config, agent, customer):
    case = resolved_case(agent=agent, customer=customer)
    invitation, _reason = services.invitation_schedule(case_id=case.pk, now=case.resolved_at)
    services.invitation_send(invitation_id=invitation.pk, now=case.resolved_at)
    surveys = surveys_open_for_customer(customer=customer, now=case.resolved_at)
    assert [s["reference"] for s in surveys] == [case.reference]
    assert "/survey/" in surveys[0]["url"]


def test_only_one_configuration_row_can_exist_in_the_admin(config):
    from django.contrib.admin.sites import site

    model_admin = site._registry[SurveyConfig]
    assert model_admin.has_add_permission(request=None) is False
