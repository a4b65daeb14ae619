"""Emails to a customer are written in the customer's language, whatever the sender's."""

from __future__ import annotations

import pytest
from django.core import mail

from guichet.cases.services import case_open
from guichet.cases.tasks import case_send_acknowledgement
from guichet.channels.portal.tasks import portal_send_sign_in_link
from guichet.customers.services import customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.GUICHET_BASE_URL = "http://testserver"


@pytest.fixture
def english_customer(db):
    return customer_create(name="John Smith", email="john.smith@example.test", language="en")


def test_the_acknowledgement_to_a_french_customer_is_in_french(agent, customer):
    # given a French customer's case handled by Camille, opened while the interface speaks English
    case = case_open(actor=agent, customer=customer, subject="Colis abîmé", body_text="x")
    # when the acknowledgement is sent
    case_send_acknowledgement.call(case.pk)
    # then subject and body are French and name the reference and the handler
    message = mail.outbox[-1]
    assert message.subject.startswith(f"[{case.reference}] Nous avons bien reçu votre demande")
    assert message.body.startswith("Bonjour Marie Dupont,")
    assert f"enregistrée sous la référence {case.reference}." in message.body
    assert "Camille s'en occupe personnellement et vous répondra." in message.body
    assert "Le service client" in message.body
    assert "We have received" not in message.body


def test_the_acknowledgement_to_an_english_customer_is_in_english(agent, english_customer):
    # given an English customer's case
    case = case_open(actor=agent, customer=english_customer, subject="Broken parcel", body_text="x")
    # when the acknowledgement is sent
    case_send_acknowledgement.call(case.pk)
    # then it is in English
    message = mail.outbox[-1]
    assert message.subject.startswith(f"[{case.reference}] We have received your request")
    assert message.body.startswith("Hello John Smith,")
    assert f"under the reference {case.reference}." in message.body
    assert "référence" not in message.body


def test_the_portal_sign_in_link_reaches_a_french_customer_in_french(customer):
    # given a French customer asking for a sign-in link
    # when the link is sent
    portal_send_sign_in_link.call(customer.pk, customer.email)
    # then the email, its plural included, is in French
    message = mail.outbox[-1]
    assert message.subject == "Votre lien de connexion"
    assert "Voici votre lien de connexion à votre espace client" in message.body
    assert "Il est utilisable une seule fois, dans un délai de" in message.body
    assert "minutes." in message.body
