"""The customer portal in a real Chromium (fixtures: tests/browser/conftest.py).

(1) a customer opens a request; (3) the customer sees an agent's reply and reopens the case;
(5) a visitor with no account asks from the front page and follows the emailed link.
Screenshots of the portal in English and French go to tests/browser/artifacts/."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from guichet.cases.choices import CaseStatus, Channel, ContactKind
from guichet.cases.models import Case
from guichet.cases.services import case_change_status, case_open, contact_add

pytestmark = pytest.mark.browser

LINK_RE = re.compile(r"(https?://\S+/portal/link/\S+?/)\s")


@pytest.fixture(autouse=True)
def _portal_live_settings(settings, live_server):
    # Acknowledgements are sent inline after commit; their links point to the live server.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.GUICHET_BASE_URL = live_server.url
    settings.GUICHET_PORTAL_PHONE = "+33 1 23 45 67 89"
    mail.outbox = []


def test_customer_opens_a_request_in_the_portal(page_as, url, customer, agent, category):
    # given a signed-in customer on "New request"
    page = page_as(customer.user)
    page.goto(url("/portal/requests/new/"))
    # when they fill in the form and send it
    page.get_by_label("Subject").fill("Parcel not delivered")
    page.get_by_label("Topic (optional)").select_option(label=category.name)
    page.get_by_label("Your message").fill("Order 4521 never arrived.")
    page.get_by_role("button", name="Send my request").click()
    # then the case page shows its reference, its plain status and who handles it
    case = Case.objects.get()
    page.wait_for_url(url(f"/portal/requests/{case.reference}/"))
    assert page.locator("#case-status").inner_text() == "Received"
    assert page.locator("#case-handler").inner_text() == "Camille"
    assert case.reference in page.content()
    assert case.customer == customer
    assert case.channel == Channel.PORTAL


def test_customer_sees_the_reply_and_reopens(page_as, url, customer, agent, artifacts_dir):
    # given a case answered and resolved by Camille Martin
    case = case_open(
        actor=customer.user, customer=customer, subject="Invoice", body_text="The total is wrong."
    )
    contact_add(
        actor=agent,
        case=case,
        kind=ContactKind.REPLY,
        body_text="We corrected your invoice.",
    )
    contact_add(actor=agent, case=case, kind=ContactKind.NOTE, body_text="Refund 12 euros")
    case_change_status(actor=agent, case=case, status=CaseStatus.RESOLVED)
    # when the customer opens it
    page = page_as(customer.user)
    page.goto(url(f"/portal/requests/{case.reference}/"))
    # then they see the reply with Camille's first name only, and no internal note
    conversation = page.locator(".conversation")
    assert "We corrected your invoice." in conversation.inner_text()
    assert "Camille" in conversation.inner_text()
    assert "Martin" not in page.content()
    assert "Refund 12 euros" not in page.content()
    assert page.locator("#case-status").inner_text() == "Resolved"
    page.screenshot(path=str(artifacts_dir / "portal-case-resolved-en.png"), full_page=True)
    # when they reopen it with a reason
    page.get_by_label("Why is it not settled?").fill("The new invoice still shows 52 euros.")
    page.get_by_role("button", name="Reopen my request").click()
    # then the case is open again, with their reason in the conversation
    page.wait_for_selector(".flash")
    assert page.locator("#case-status").inner_text() == "In progress"
    assert "still shows 52 euros" in page.locator(".conversation").inner_text()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_visitor_asks_from_the_front_page_and_follows_the_emailed_link(
    page_as, url, team, agent, artifacts_dir
):
    # given a visitor with no account on the front page
    page = page_as(None)
    page.goto(url("/portal/"))
    # when they open a request
    page.get_by_label("Your name").fill("Paul Petit")
    page.get_by_label("Your email address").fill("paul.petit@example.test")
    page.get_by_label("How can we help?").fill("My parcel never arrived.")
    page.get_by_role("button", name="Send my request").click()
    # then the confirmation shows the reference
    page.wait_for_url(url("/portal/sent/"))
    case = Case.objects.get()
    assert page.locator("#case-reference").inner_text() == case.reference
    page.screenshot(path=str(artifacts_dir / "portal-sent-en.png"), full_page=True)
    # and the acknowledgement email carries a one-time link
    assert len(mail.outbox) == 1
    link = LINK_RE.search(mail.outbox[0].body + "\n").group(1)
    # when the visitor follows it and continues
    page.goto(link)
    page.get_by_role("button", name="Continue").click()
    # then they see their request, signed in as its customer
    page.wait_for_url(url(f"/portal/requests/{case.reference}/"))
    assert "My parcel never arrived." in page.locator(".conversation").inner_text()
    assert page.get_by_role("link", name="My requests").first.is_visible()
    # and the link does not work a second time
    page.goto(link)
    assert "already used" in page.content()


def test_form_errors_take_the_focus_and_name_the_field(page_as, url, db):
    # given a visitor who sends the form empty
    page = page_as(None)
    page.goto(url("/portal/"))
    page.get_by_role("button", name="Send my request").click()
    # then the error summary has the focus, and each field points to its own error
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    email = page.locator("#id_email")
    assert email.get_attribute("aria-invalid") == "true"
    assert "id_email_error" in email.get_attribute("aria-describedby")
    # and the honeypot is not visible to people
    assert not page.locator("#id_website").is_visible()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_portal_screenshots(page_as, url, customer, agent, artifacts_dir, language):
    # given a customer with an answered case, in each language, on a phone and a desktop
    case = case_open(
        actor=customer.user,
        customer=customer,
        subject="Colis non reçu",
        body_text="Bonjour, mon colis n'est pas arrivé.",
    )
    contact_add(
        actor=agent, case=case, kind=ContactKind.REPLY, body_text="Bonjour, je regarde cela."
    )
    visitor = page_as(None, language=language, phone=True)
    visitor.goto(url("/portal/"))
    assert visitor.locator("html").get_attribute("lang") == language
    assert visitor.locator(".talk-to-person").is_visible()
    visitor.screenshot(
        path=str(artifacts_dir / f"portal-front-{language}-phone.png"), full_page=True
    )
    desktop = page_as(customer.user, language=language)
    desktop.goto(url("/portal/requests/"))
    desktop.screenshot(path=str(artifacts_dir / f"portal-requests-{language}.png"), full_page=True)
    desktop.goto(url(f"/portal/requests/{case.reference}/"))
    desktop.screenshot(path=str(artifacts_dir / f"portal-case-{language}.png"), full_page=True)
    phone = page_as(customer.user, language=language, phone=True)
    phone.goto(url(f"/portal/requests/{case.reference}/"))
    # the page fits a phone's width: nothing scrolls sideways
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(artifacts_dir / f"portal-case-{language}-phone.png"), full_page=True)


def test_language_switch_changes_the_page_language(page_as, url, db):
    page = page_as(None, language="en")
    page.goto(url("/portal/"))
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.url.endswith("/portal/")
