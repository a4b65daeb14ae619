"""The front page: anyone asks without an account; spam is held back without a CAPTCHA."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from guichet.cases.choices import Channel, ContactKind
from guichet.cases.models import Attachment, Case, Contact
from guichet.channels.portal.models import PortalThrottle
from guichet.customers.models import Customer

pytestmark = pytest.mark.django_db

FRONT = reverse("portal:front")


def request_data(**overrides) -> dict:
    data = {
        "name": "Paul Petit",
        "email": "paul.petit@example.test",
        "message": "My parcel never arrived.\nOrder 4521, sent on Monday.",
        "category": "",
        "website": "",
    }
    data.update(overrides)
    return data


def nothing_written() -> bool:
    return not (
        Case.objects.exists()
        or Customer.objects.filter(email="paul.petit@example.test").exists()
        or Contact.objects.exists()
        or PortalThrottle.objects.exists()
    )


def test_front_page_shows_the_request_form_to_anyone(client):
    # given a visitor with no account, when they open the portal
    response = client.get(FRONT)
    # then the form asks for name, email and message, with the honeypot hidden from people
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("id_name", "id_email", "id_message", "id_category", "id_attachments"):
        assert f'id="{field}"' in html
    assert 'class="hp-field" aria-hidden="true"' in html
    assert html.count('id="id_website"') == 1


def test_visitor_opens_a_request_and_sees_its_reference(
    client, team, agent, category, django_capture_on_commit_callbacks
):
    # given a visitor, when they send the front-page form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FRONT, request_data(category=category.pk), follow=True)
    # then a portal case exists for a new customer, and the confirmation shows its reference
    case = Case.objects.get()
    assert case.channel == Channel.PORTAL
    assert case.customer.email == "paul.petit@example.test"
    assert case.customer.name == "Paul Petit"
    assert case.subject == "My parcel never arrived."
    assert case.category == category
    assert response.status_code == 200
    assert case.reference in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("portal:sent")


def test_visitor_is_not_signed_in_by_asking(client, team, customer):
    # given a visitor who types a known customer's address
    response = client.post(FRONT, request_data(email=customer.email), follow=True)
    # then the case goes to that customer, but the visitor sees none of their cases
    assert Case.objects.get().customer == customer
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("portal:requests")).status_code == 302
    assert response.status_code == 200


def test_acknowledgement_carries_one_time_follow_link_and_is_sent_once(
    client, team, agent, django_capture_on_commit_callbacks
):
    # given a visitor, when they open a request
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FRONT, request_data())
    # then exactly one email is sent, with the reference and a personal link to follow it
    case = Case.objects.get()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert case.reference in body
    assert "http://testserver/portal/link/" in body
    assert mail.outbox[0].to == ["paul.petit@example.test"]


def test_attachments_sent_with_a_request_are_stored(client, team):
    # given a visitor attaching two files
    files = [
        SimpleUploadedFile("photo.png", b"\x89PNG fake", content_type="image/png"),
        SimpleUploadedFile("facture.pdf", b"%PDF fake", content_type="application/pdf"),
    ]
    # when they send the form
    response = client.post(FRONT, {**request_data(), "attachments": files})
    # then both are kept on the first message
    assert response.status_code == 302
    names = sorted(Attachment.objects.values_list("filename", flat=True))
    assert names == ["facture.pdf", "photo.png"]


def test_too_many_attachments_are_refused_and_nothing_written(client, team, settings):
    # given a limit of one file
    settings.GUICHET_PORTAL_MAX_FILES = 1
    files = [SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain") for i in range(2)]
    # when a visitor sends two
    response = client.post(FRONT, {**request_data(), "attachments": files})
    # then the form says so on the field, and nothing is written
    assert response.status_code == 422
    assert 'id="id_attachments_error"' in response.content.decode()
    assert nothing_written()


def test_missing_fields_are_reported_on_each_field(client, team):
    # given a visitor who forgets the email and the message
    response = client.post(FRONT, request_data(email="", message=""))
    # then each error is tied to its field for screen readers, and nothing is written
    html = response.content.decode()
    assert response.status_code == 422
    assert 'aria-describedby="id_email_helptext id_email_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_message_error"' in html
    assert 'class="error-summary" role="alert"' in html
    assert nothing_written()


def test_honeypot_filled_writes_nothing(client, team, django_capture_on_commit_callbacks):
    # given a robot filling every field, the hidden one too
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FRONT, request_data(website="http://spam.example"))
    # then the request is refused, nothing is written, no email goes out
    assert response.status_code == 400
    assert nothing_written()
    assert mail.outbox == []


def test_rate_limit_per_ip_refuses_with_429_and_writes_nothing(client, team, settings):
    # given a limit of two requests an hour per IP, already reached from this address
    settings.GUICHET_PORTAL_RATE_PER_IP = 2
    for i in range(2):
        assert client.post(FRONT, request_data(email=f"p{i}@example.test")).status_code == 302
    cases, rows = Case.objects.count(), PortalThrottle.objects.count()
    # when a third request comes from the same address, for yet another email
    response = client.post(FRONT, request_data(email="p3@example.test"))
    # then it is refused with a clear message, and nothing more is written
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert Case.objects.count() == cases
    assert PortalThrottle.objects.count() == rows
    assert not Customer.objects.filter(email="p3@example.test").exists()


def test_rate_limit_per_email_holds_across_addresses(team, settings):
    # given a limit of two requests an hour per email
    settings.GUICHET_PORTAL_RATE_PER_EMAIL = 2
    for ip in ("10.0.0.1", "10.0.0.2"):
        Client(REMOTE_ADDR=ip).post(FRONT, request_data())
    # when the same email asks again from a third address
    response = Client(REMOTE_ADDR="10.0.0.3").post(
        FRONT, request_data(email="PAUL.petit@example.test")
    )
    # then it is refused
    assert response.status_code == 429
    assert Case.objects.count() == 2


def test_rate_limit_forgets_attempts_outside_the_window(client, team, settings):
    # given the IP limit reached more than the window ago
    settings.GUICHET_PORTAL_RATE_PER_IP = 1
    client.post(FRONT, request_data())
    PortalThrottle.objects.update(created_at="2000-01-01T00:00:00Z")
    # when the visitor asks again
    response = client.post(FRONT, request_data(email="other@example.test"))
    # then it is accepted
    assert response.status_code == 302
    assert Case.objects.count() == 2


def test_throttle_stores_no_address(client, team):
    # given a request sent
    client.post(FRONT, request_data())
    # then the throttle rows hold keyed hashes, not the IP or the email
    keys = list(PortalThrottle.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert all(len(k) == 64 and "@" not in k and "127.0.0.1" not in k for k in keys)


def test_confirmation_page_without_a_request_goes_back_to_the_form(client):
    response = client.get(reverse("portal:sent"))
    assert response.status_code == 302
    assert response.url == FRONT


def test_signed_in_customer_sees_links_to_their_space_instead_of_the_form(customer_client):
    response = customer_client.get(FRONT)
    html = response.content.decode()
    assert reverse("portal:request_new") in html
    assert 'id="id_email"' not in html


def test_post_without_csrf_token_is_refused(team):
    # given a browser that does not send the CSRF token
    client = Client(enforce_csrf_checks=True)
    # when it posts the form
    response = client.post(FRONT, request_data())
    # then Django refuses it and nothing is written
    assert response.status_code == 403
    assert nothing_written()


def test_first_message_is_the_visitors_text(client, team):
    client.post(FRONT, request_data())
    contact = Contact.objects.get()
    assert contact.kind == ContactKind.CUSTOMER_MESSAGE
    assert "Order 4521" in contact.body_text
