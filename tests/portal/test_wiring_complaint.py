"""The portal's "this is a complaint" choice: on the front page, the new-request form and the reply
form, one tick away like any request. Ticked, the case waits as a complaint declared by the
customer for an agent to confirm; the customer's message dates it (REQ-LEG-02, REQ-CMP-04)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.cases.choices import ContactKind
from guichet.cases.models import Case
from guichet.quality import selectors, services

pytestmark = pytest.mark.django_db

FRONT = reverse("portal:front")
NEW = reverse("portal:request_new")


def front_data(**overrides) -> dict:
    data = {
        "name": "Paul Petit",
        "email": "paul.petit@example.test",
        "message": "Second parcel lost in a month.",
        "category": "",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(("path", "needs_customer"), [(FRONT, False), (NEW, True), ("reply", True)])
def test_every_form_the_customer_writes_with_offers_the_complaint_choice(
    client, customer_client, case_of_customer, path, needs_customer
):
    if path == "reply":
        path = reverse("portal:request_detail", args=[case_of_customer.reference])
    html = (customer_client if needs_customer else client).get(path).content.decode()
    assert 'type="checkbox" name="is_complaint"' in html
    assert "This is a complaint" in html
    assert 'name="remedy_sought"' in html


def test_a_visitor_declares_a_complaint_on_the_front_page(
    client, team, agent, django_capture_on_commit_callbacks
):
    # when a visitor without an account ticks "this is a complaint"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            FRONT, front_data(is_complaint="on", remedy_sought="A refund"), follow=True
        )
    # then the confirmation says so, and the case waits for an agent as a declared complaint
    assert response.status_code == 200
    assert 'id="complaint-noted"' in response.content.decode()
    case = Case.objects.get()
    suggestion = selectors.complaint_suggestion_pending(case)
    assert suggestion is not None and suggestion.declared
    assert suggestion.remedy_sought == "A refund"
    assert suggestion.message_at == case.contacts.get().created_at


def test_an_ordinary_request_is_not_a_declared_complaint(client, team, agent):
    client.post(FRONT, front_data())
    case = Case.objects.get()
    assert selectors.complaint_suggestion_pending(case) is None


def test_a_signed_in_customer_declares_a_complaint_with_a_new_request(customer_client, agent):
    response = customer_client.post(
        NEW,
        {"subject": "Parcel lost", "message": "Lost again.", "category": "", "is_complaint": "on"},
        follow=True,
    )
    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == reverse("portal:request_detail", args=[case.reference])
    assert selectors.complaint_suggestion_pending(case).declared
    # and the request page tells the customer the complaint is noted, awaiting its reference
    assert "You told us this is a complaint." in response.content.decode()


def test_a_complaint_declared_in_a_reply_is_dated_by_that_reply(
    customer_client, case_of_customer, agent
):
    # given a request opened days ago
    reply_url = reverse("portal:request_reply", args=[case_of_customer.reference])
    # when the customer replies, ticking "this is a complaint"
    response = customer_client.post(
        reply_url, {"message": "Still nothing, I complain.", "is_complaint": "on"}
    )
    assert response.status_code == 302
    # then the suggestion is dated by the reply, and so is the complaint an agent confirms
    reply = case_of_customer.contacts.filter(kind=ContactKind.CUSTOMER_MESSAGE).latest("pk")
    assert selectors.complaint_suggestion_pending(case_of_customer).message_at == reply.created_at
    complaint = services.complaint_open(
        actor=agent,
        case=case_of_customer,
        remedy_sought="Refund",
        at=timezone.now() + timedelta(days=2),
    )
    assert complaint.first_written_at == reply.created_at
    assert complaint.received_at == reply.created_at


def test_a_too_long_remedy_is_refused_on_its_field(customer_client, case_of_customer):
    reply_url = reverse("portal:request_reply", args=[case_of_customer.reference])
    response = customer_client.post(
        reply_url, {"message": "Hi", "is_complaint": "on", "remedy_sought": "x" * 2001}
    )
    assert response.status_code == 422
    assert 'id="id_remedy_sought_error"' in response.content.decode()
    assert selectors.complaint_suggestion_pending(case_of_customer) is None


def test_replying_on_someone_elses_case_declares_nothing(other_client, case_of_customer):
    reply_url = reverse("portal:request_reply", args=[case_of_customer.reference])
    response = other_client.post(reply_url, {"message": "Hi", "is_complaint": "on"})
    assert response.status_code == 404
    assert selectors.complaint_suggestion_pending(case_of_customer) is None


def test_writing_to_my_advisor_can_be_a_complaint_too(customer_client, agent):
    url = reverse("proximity_portal:advisor")
    assert 'name="is_complaint"' in customer_client.get(url).content.decode()
    customer_client.post(
        url, {"subject": "Billing", "message": "Charged twice.", "is_complaint": "on"}
    )
    assert selectors.complaint_suggestion_pending(Case.objects.get()).declared
