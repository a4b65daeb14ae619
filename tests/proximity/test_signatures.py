"""Every message says who handles the request and how to reach a person directly; never an
agent's surname or email, never a premium-rate number."""

from __future__ import annotations

import pytest
from django.core import mail
from django.template import Context, Template

from guichet.cases.services import case_open
from guichet.cases.tasks import case_send_acknowledgement
from guichet.proximity.models import AdvisorProfile, ContactNumber
from guichet.proximity.services.referents import referent_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer, agent, deputy, supervisor, team):
    AdvisorProfile.objects.create(user=agent, working_hours="du lundi au jeudi")
    referent_assign(actor=supervisor, customer=customer, referent=agent, deputy=deputy, team=team)
    ContactNumber.objects.create(
        label="Surtaxé", number="0892 00 00 00", purpose="sales", tariff_class="premium", order=1
    )
    ContactNumber.objects.create(
        label="SAV", number="09 70 00 00 00", purpose="after_sales", tariff_class="standard",
        order=2,
    )  # fmt: skip
    return case_open(actor=None, customer=customer, subject="Colis", body_text="Où ?")


def render(case) -> str:
    return Template("{% load proximity %}{% advisor_signature case %}").render(
        Context({"case": case})
    )


def test_the_signature_names_the_person_and_the_ways_to_reach_them(case, agent, settings):
    text = render(case)
    assert "Camille handles your request." in text
    assert "du lundi au jeudi" in text
    assert f"{settings.GUICHET_BASE_URL}/portal/callback/link/" in text
    assert "09 70 00 00 00 (Standard rate" in text


def test_the_signature_never_shows_private_details_or_a_premium_number(case, agent):
    text = render(case)
    assert agent.last_name not in text
    assert agent.email not in text
    assert "0892" not in text


def test_the_acknowledgement_offers_a_callback(case, agent):
    mail.outbox.clear()
    case_send_acknowledgement.call(case.pk)
    body = mail.outbox[0].body
    assert "/portal/callback/link/" in body
    assert agent.last_name not in body and agent.email not in body
    assert mail.outbox[0].reply_to  # never a no-reply address
