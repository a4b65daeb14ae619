"""Attachments are always downloads, checked against the case's access, never rendered inline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guichet.cases.models import Attachment, Case

from .conftest import attachment, note, reply

pytestmark = pytest.mark.django_db


def file_url(case: Case, item: Attachment) -> str:
    return reverse("portal:attachment", args=[case.reference, item.pk])


@pytest.fixture
def replied_with_html(case_of_customer, agent) -> Attachment:
    """An agent's reply carrying a file that claims to be HTML (a classic stored-XSS vector)."""
    reply(
        agent,
        case_of_customer,
        "See the file",
        attachments=[attachment("page.html", b"<script>alert(1)</script>", "text/html")],
    )
    return Attachment.objects.get(filename="page.html")


def test_download_is_an_attachment_with_nosniff(customer_client, case_of_customer, agent):
    # given a PDF in an agent's reply
    reply(agent, case_of_customer, "Your invoice", attachments=[attachment()])
    item = Attachment.objects.get()
    # when the customer downloads it
    response = customer_client.get(file_url(case_of_customer, item))
    # then it comes as a download, with its type kept and sniffing off
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="facture.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"


def test_active_content_types_are_served_as_octet_stream(
    customer_client, case_of_customer, replied_with_html
):
    response = customer_client.get(file_url(case_of_customer, replied_with_html))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_unicode_file_names_are_encoded_safely(customer_client, case_of_customer, agent):
    reply(agent, case_of_customer, "x", attachments=[attachment('reçu "final".pdf')])
    item = Attachment.objects.get()
    response = customer_client.get(file_url(case_of_customer, item))
    assert "filename*=utf-8''re%C3%A7u" in response["Content-Disposition"]


def test_another_customers_file_is_not_found(customer_client, case_of_other, agent):
    reply(agent, case_of_other, "Invoice", attachments=[attachment()])
    item = Attachment.objects.get()
    assert customer_client.get(file_url(case_of_other, item)).status_code == 404


def test_a_file_cannot_be_fetched_through_another_case(
    customer_client, case_of_customer, case_of_other, agent
):
    # given B's file and A's own case reference
    reply(agent, case_of_other, "Invoice", attachments=[attachment()])
    item = Attachment.objects.get()
    # when A asks for B's file under A's case
    response = customer_client.get(file_url(case_of_customer, item))
    # then it is not found
    assert response.status_code == 404


def test_files_of_internal_notes_are_not_found(customer_client, case_of_customer, agent):
    note(agent, case_of_customer, "internal", attachments=[attachment("internal.pdf")])
    item = Attachment.objects.get()
    assert customer_client.get(file_url(case_of_customer, item)).status_code == 404
    page = customer_client.get(reverse("portal:request_detail", args=[case_of_customer.reference]))
    assert "internal.pdf" not in page.content.decode()


def test_anonymous_visitor_cannot_download(client, case_of_customer, agent):
    reply(agent, case_of_customer, "Invoice", attachments=[attachment()])
    item = Attachment.objects.get()
    response = client.get(file_url(case_of_customer, item))
    assert response.status_code == 302
    assert "Content-Disposition" not in response


def test_agent_cannot_download_through_the_portal(agent_client, case_of_customer, agent):
    reply(agent, case_of_customer, "Invoice", attachments=[attachment()])
    item = Attachment.objects.get()
    assert agent_client.get(file_url(case_of_customer, item)).status_code == 403


def test_case_page_links_public_files(customer_client, case_of_customer, agent):
    reply(agent, case_of_customer, "Invoice", attachments=[attachment()])
    item = Attachment.objects.get()
    html = customer_client.get(
        reverse("portal:request_detail", args=[case_of_customer.reference])
    ).content.decode()
    assert file_url(case_of_customer, item) in html
    assert "facture.pdf" in html
