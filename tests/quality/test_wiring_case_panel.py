"""The "Complaint" panel of the workspace case page, and "Quality" in the navigation: an agent
confirms or dismisses a suggested complaint, marks a case as one, or follows the complaint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from guichet.accounts.services import team_create, user_create
from guichet.cases.choices import Channel, EventKind
from guichet.quality import selectors, services
from guichet.quality.choices import ComplaintSource
from guichet.quality.models import Complaint
from tests.quality.conftest import case_new

pytestmark = pytest.mark.django_db

CALM = "Bonjour, où en est ma commande ?"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def case_page(client: Client, case) -> str:
    response = client.get(reverse("workspace:case", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def declared(customer):
    case = case_new(customer, channel=Channel.PORTAL, body=CALM)
    services.complaint_declaration_record(
        case=case, contact=case.contacts.get(), remedy_sought="Un avoir"
    )
    return case


def test_a_case_without_suggestion_offers_mark_as_complaint(agent, customer):
    case = case_new(customer, body=CALM)
    html = case_page(logged_in(agent), case)
    assert 'id="complaint-panel"' in html
    assert f'href="/quality/complaints/new/?case={case.reference}"' in html
    assert "Mark as complaint" in html
    assert "Not a complaint" not in html


def test_a_declared_complaint_shows_confirm_and_not_a_complaint(agent, customer):
    case = declared(customer)
    html = case_page(logged_in(agent), case)
    assert "The customer says this is a complaint." in html
    assert "Un avoir" in html
    assert "Confirm complaint" in html and "Not a complaint" in html
    assert 'name="note"' in html  # a declaration is dismissed only with a reason


def test_confirming_goes_to_the_form_prefilled_with_the_remedy(agent, customer):
    case = declared(customer)
    client = logged_in(agent)
    form = client.get(f"/quality/complaints/new/?case={case.reference}").content.decode()
    assert "The customer says this is a complaint." in form and "Un avoir" in form
    response = client.post(
        "/quality/complaints/new/", {"case": case.reference, "remedy_sought": "Un avoir"}
    )
    complaint = Complaint.objects.get(case=case)
    assert response.status_code == 302
    assert complaint.source == ComplaintSource.CUSTOMER
    assert complaint.received_at == case.contacts.get().created_at


def test_not_a_complaint_returns_to_the_case_page_with_mark_as_complaint(agent, customer):
    case = declared(customer)
    client = logged_in(agent)
    response = client.post(
        reverse("quality:suggestion_dismiss"), {"case": case.reference, "note": "Une question"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:case", args=[case.reference])
    assert selectors.complaint_suggestion_pending(case) is None
    assert case.events.filter(kind=EventKind.COMPLAINT_DISMISSED).exists()
    assert "Mark as complaint" in case_page(client, case)


def test_not_a_complaint_without_the_reason_keeps_the_suggestion(agent, customer):
    case = declared(customer)
    client = logged_in(agent)
    response = client.post(reverse("quality:suggestion_dismiss"), {"case": case.reference})
    assert response.status_code == 302
    assert selectors.complaint_suggestion_pending(case) is not None
    assert "say why it is not one" in case_page(client, case)


def test_a_case_the_agent_cannot_see_cannot_be_dismissed(customer, agent):
    case = declared(customer)
    stranger = user_create(email="other.team@guichet.test", first_name="Zoé")
    team_create(name="Autre équipe").members.add(stranger)
    response = logged_in(stranger).post(
        reverse("quality:suggestion_dismiss"), {"case": case.reference, "note": "x"}
    )
    assert response.status_code == 404
    assert selectors.complaint_suggestion_pending(case) is not None


def test_a_complaint_shows_reference_step_and_next_deadline(agent, customer, complaint):
    html = case_page(logged_in(agent), complaint.case)
    assert f'href="/quality/complaints/{complaint.reference}/"' in html
    assert "Received" in html
    assert "Acknowledge" in html
    assert complaint.acknowledge_due_at.isoformat()[:10] in html
    assert "overdue" in html  # the test complaint was received in March 2026
    assert "Mark as complaint" not in html


def test_an_acknowledged_complaint_shows_the_assessment_deadline(agent, customer, complaint):
    services.complaint_acknowledge(
        actor=agent, complaint=complaint, at=complaint.received_at + timedelta(hours=1)
    )
    complaint.refresh_from_db()
    panel = selectors.complaint_panel(complaint.case, now=complaint.received_at)
    assert panel["due_at"] == complaint.assess_due_at
    assert not panel["overdue"]


def test_supervisors_have_quality_in_the_navigation(supervisor, agent):
    assert 'href="/quality/"' in logged_in(supervisor).get("/").content.decode()
    assert 'href="/quality/"' not in logged_in(agent).get("/").content.decode()
