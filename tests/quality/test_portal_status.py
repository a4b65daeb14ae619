"""The customer sees its complaint's status in the portal and answers there (REQ-CMP-04)."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.quality.models import Complaint
from tests.quality.conftest import walk_to

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_portal_page_shows_the_complaint_status(customer, complaint, agent, mediator):
    walk_to(complaint, agent, "refused")
    page = logged_in(customer.user).get(f"/portal/requests/{complaint.case.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert complaint.reference in html
    assert "You have refused our response." in html
    assert mediator.website in html


def test_an_ordinary_request_shows_no_complaint_block(customer, case):
    html = logged_in(customer.user).get(f"/portal/requests/{case.reference}/").content.decode()
    assert "complaint-status" not in html


def test_the_customer_accepts_from_the_portal(customer, complaint, agent):
    walk_to(complaint, agent, "response_proposed")
    client = logged_in(customer.user)
    page = client.get(f"/portal/requests/{complaint.case.reference}/").content.decode()
    assert "Do you accept our response?" in page
    response = client.post(
        f"/quality/my-complaints/{complaint.reference}/answer/", {"decision": "accepted"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/portal/requests/{complaint.case.reference}/#complaint")
    assert Complaint.objects.get().status == "accepted"


def test_the_customer_contests_a_closed_complaint(customer, complaint, agent):
    walk_to(complaint, agent, "closed")
    logged_in(customer.user).post(
        f"/quality/my-complaints/{complaint.reference}/answer/",
        {"decision": "contest", "comment": "Toujours cassé"},
    )
    complaint.refresh_from_db()
    assert complaint.status == "investigating" and complaint.reopen_count == 1


def test_a_wrong_step_is_reported_not_crashed(customer, complaint):
    response = logged_in(customer.user).post(
        f"/quality/my-complaints/{complaint.reference}/answer/", {"decision": "accepted"}
    )
    assert response.status_code == 302
    assert Complaint.objects.get().status == "received"


def test_another_customer_cannot_answer(other_customer, complaint, agent):
    walk_to(complaint, agent, "response_proposed")
    response = logged_in(other_customer.user).post(
        f"/quality/my-complaints/{complaint.reference}/answer/", {"decision": "refused"}
    )
    assert response.status_code == 404
    assert Complaint.objects.get().status == "response_proposed"


def test_staff_do_not_use_the_customer_form(agent, complaint):
    response = logged_in(agent).post(
        f"/quality/my-complaints/{complaint.reference}/answer/", {"decision": "accepted"}
    )
    assert response.status_code == 404
