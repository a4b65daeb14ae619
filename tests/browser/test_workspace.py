"""The agent workspace in a real Chromium: search → reply → resolve, the keyboard flow through three
cases, new cases appearing without a reload, and screenshots in English and French."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from guichet.cases import services
from guichet.cases.models import Case, Contact
from tests.workspace.conftest import ago, case_new

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cases_for_agent(agent, customer, team):
    """Three open cases of the agent, most urgent first in the inbox."""
    return [
        case_new(
            customer=customer,
            team=team,
            owner=agent,
            priority=priority,
            subject=subject,
            body=body,
            at=ago(hours=hours),
        )
        for priority, subject, body, hours in (
            ("urgent", "Colis jamais arrivé", "Je dépose une réclamation : rien reçu.", 5),
            ("high", "Facture en double", "Deux prélèvements pour une commande.", 4),
            ("normal", "Changement d'adresse", "Merci de livrer à ma nouvelle adresse.", 3),
        )
    ]


def case_status(case: Case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


def test_agent_finds_a_case_replies_and_resolves_it(page_as, agent, cases_for_agent, url):
    target = cases_for_agent[0]
    page = page_as(agent)
    # given the inbox, when the agent searches a word in another form than the message's
    page.goto(url("/"))
    expect(page.locator("#inbox-results")).to_be_visible()
    page.get_by_label("Search subjects and messages").fill("réclamations")
    page.get_by_role("button", name="Search", exact=True).click()
    # then only that case is listed, and the agent opens it
    rows = page.locator("#inbox-results a.case-link")
    expect(rows).to_have_count(1)
    rows.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(target.subject)
    # when they write a public reply and send it
    page.get_by_label("Message").fill("Bonjour, nous renvoyons votre colis aujourd'hui.")
    page.get_by_role("button", name="Send").click()
    # then it appears in the conversation without a page reload, marked as a reply
    expect(page.locator(".conversation .contact-reply")).to_contain_text("renvoyons votre colis")
    expect(page.locator(".messages")).to_contain_text("Reply sent.")
    # when they resolve the case
    page.get_by_role("button", name=re.compile(r"^Resolve")).click()
    expect(page.locator(".case-facts .badge-status-resolved")).to_be_visible()
    # then the database agrees
    assert case_status(target) == "resolved"
    reply = Contact.objects.filter(case=target, kind="reply").get()
    assert reply.author_user == agent


def test_note_is_visibly_different_from_a_reply(page_as, agent, cases_for_agent, url):
    page = page_as(agent)
    page.goto(url(f"/cases/{cases_for_agent[0].reference}/"))
    # when the agent switches the composer to an internal note, it changes look
    page.get_by_label("Internal note").check()
    expect(page.locator("#composer")).to_have_class(re.compile(r"composer-note"))
    page.get_by_label("Message").fill("Client fidèle, geste commercial possible.")
    page.get_by_role("button", name="Send").click()
    note = page.locator(".conversation .contact-note")
    expect(note).to_contain_text("Not visible to the customer.")
    # and the note's background differs from a customer message's
    note_bg = note.evaluate("el => getComputedStyle(el).backgroundColor")
    first_bg = page.locator(".conversation .contact-customer_message").first.evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert note_bg != first_bg


def _focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_keyboard_flow_through_three_cases(page_as, agent, cases_for_agent, url):
    page = page_as(agent)
    page.goto(url("/"))
    expect(page.locator("#inbox-results")).to_be_visible()
    # given the inbox, "j" puts a visible focus on the first (most urgent) case
    page.keyboard.press("j")
    first = cases_for_agent[0]
    assert _focused_id(page) == f"case-link-{first.reference}"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    for index, case in enumerate(cases_for_agent):
        # on each case page: r (reply), type, Ctrl+Enter (send), Esc, e (resolve), j (next)
        expect(page.get_by_role("heading", level=1)).to_contain_text(case.subject)
        page.keyboard.press("r")
        assert _focused_id(page) == "composer-body"
        page.keyboard.type(f"Réponse numéro {index + 1}.")
        page.keyboard.press("Control+Enter")
        expect(page.locator(".conversation .contact-reply")).to_contain_text(
            f"Réponse numéro {index + 1}."
        )
        page.keyboard.press("Escape")
        page.keyboard.press("e")
        expect(page.locator(".case-facts .badge-status-resolved")).to_be_visible()
        page.keyboard.press("j")
    # after the third case, "j" brings the agent back to an inbox with nothing left
    expect(page.locator(".messages")).to_contain_text("No more cases in this view.")
    assert [case_status(c) for c in cases_for_agent] == ["resolved"] * 3
    replies = Contact.objects.filter(case__in=cases_for_agent, kind="reply").count()
    assert replies == 3


def test_help_dialog_opens_with_question_mark(page_as, agent, cases_for_agent, url):
    page = page_as(agent)
    page.goto(url("/"))
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("dialog")).to_contain_text("Keyboard shortcuts")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_new_case_appears_without_reloading(page_as, agent, customer, team, url, settings):
    # given an open inbox polling every second (15 s in production)
    settings.GUICHET_INBOX_POLL_SECONDS = 1
    page = page_as(agent)
    page.goto(url("/"))
    expect(page.locator("#inbox-results")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    # when a case arrives
    case = case_new(customer=customer, team=team, owner=agent, subject="Nouveau dossier")
    # then it shows up in the list, and the page was not reloaded
    expect(page.locator(f"#case-link-{case.reference}")).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__notReloaded") is True


def test_htmx_is_served_locally(page_as, agent, url):
    page = page_as(agent)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url("/"))
    page.wait_for_function("window.htmx !== undefined")
    assert all(r.startswith(url("")) for r in requests), requests


@pytest.mark.parametrize("language", ["en", "fr"])
def test_screenshots_of_inbox_and_case_page(
    page_as, agent, cases_for_agent, url, artifacts_dir, language
):
    case = cases_for_agent[0]
    services.contact_add(actor=agent, case=case, kind="reply", body_text="Nous regardons.")
    services.contact_add(actor=agent, case=case, kind="note", body_text="Appeler le dépôt.")
    page = page_as(agent, language=language)
    page.goto(url("/"))
    assert page.evaluate("document.documentElement.lang") == language
    expect(page.locator("#inbox-results")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / f"workspace-inbox-{language}.png"), full_page=True)
    page.goto(url(f"/cases/{case.reference}/"))
    expect(page.locator(".conversation")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / f"workspace-case-{language}.png"), full_page=True)
    phone = page_as(agent, language=language, phone=True)
    phone.goto(url("/"))
    expect(phone.locator("#inbox-results")).to_be_visible()
    # on a phone the page does not scroll sideways
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.screenshot(path=str(artifacts_dir / f"workspace-inbox-phone-{language}.png"))
    phone.goto(url(f"/cases/{case.reference}/"))
    expect(phone.locator("#composer")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.screenshot(path=str(artifacts_dir / f"workspace-case-phone-{language}.png"))
    assert (artifacts_dir / f"workspace-case-{language}.png").stat().st_size > 10_000
