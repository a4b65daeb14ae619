"""The workspace customer page names the customer's advisor and deputy (staff see full names),
and says who of them is away now."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.customers.models import Organisation
from guichet.proximity.services.referents import referent_assign
from tests.proximity.conftest import away

pytestmark = pytest.mark.django_db


def customer_page(user, customer) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("workspace:customer", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_customer_page_shows_advisor_and_deputy(agent, deputy, supervisor, customer):
    referent_assign(actor=supervisor, referent=agent, deputy=deputy, customer=customer)
    html = customer_page(agent, customer)
    assert 'id="customer-advisor"' in html
    assert "Camille Martin" in html and "Inès Garnier" in html


def test_an_absent_advisor_is_marked_away(agent, deputy, supervisor, customer):
    referent_assign(actor=supervisor, referent=agent, deputy=deputy, customer=customer)
    away(agent, at=timezone.now())
    html = customer_page(deputy, customer)
    assert 'Camille Martin <span class="muted">(away now)</span>' in html


def test_an_organisations_advisor_is_shown_as_such(agent, supervisor, customer):
    organisation = Organisation.objects.create(name="Boulangerie Dupont")
    customer.organisation = organisation
    customer.save(update_fields=["organisation"])
    referent_assign(actor=supervisor, referent=agent, organisation=organisation)
    html = customer_page(agent, customer)
    assert "Camille Martin" in html and "through the organisation" in html


def test_without_an_advisor_the_page_says_cases_go_to_the_team(agent, customer):
    assert "No advisor: new cases go to the team." in customer_page(agent, customer)


def test_only_supervisors_get_the_link_to_name_advisors(agent, supervisor, customer):
    link = f'href="{reverse("proximity:referents")}"'
    assert link in customer_page(supervisor, customer)
    assert link not in customer_page(agent, customer)
