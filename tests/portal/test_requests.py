"""My requests: what a customer sees and does, and every boundary around it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.cases.choices import CaseStatus, ContactKind, EventKind
from guichet.cases.models import Case, CaseEvent, Contact
from guichet.cases.services import case_change_status, case_merge

from .conftest import attachment, note, reply

pytestmark = pytest.mark.django_db

REQUESTS = reverse("portal:requests")
NEW = reverse("portal:request_new")


def detail(case: Case) -> str:
    return reverse("portal:request_detail", args=[case.reference])


def reply_url(case: Case) -> str:
    return reverse("portal:request_reply", args=[case.reference])


def reopen_url(case: Case) -> str:
    return reverse("portal:request_reopen", args=[case.reference])


def resolve(agent, case: Case, *, days_ago: int = 0) -> Case:
    return case_change_status(
        actor=agent,
        case=case,
        status=CaseStatus.RESOLVED,
        at=timezone.now() - timedelta(days=days_ago),
    )


# --- Who may see what --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["requests", "request_new", "account"])
def test_anonymous_visitor_is_sent_to_sign_in(client, name):
    response = client.get(reverse(f"portal:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign_in") + "?next=/portal/")


def test_anonymous_visitor_cannot_open_a_case_page(client, case_of_customer):
    response = client.get(detail(case_of_customer))
    assert response.status_code == 302
    assert case_of_customer.subject not in response.content.decode()


def test_list_shows_only_the_customers_own_cases(customer_client, case_of_customer, case_of_other):
    # given customer A with one case and customer B with another
    response = customer_client.get(REQUESTS)
    # then A's list shows A's case only
    html = response.content.decode()
    assert case_of_customer.reference in html
    assert case_of_other.reference not in html


def test_another_customers_case_is_not_found(customer_client, case_of_other):
    # given customer A, when they open customer B's case by its reference
    response = customer_client.get(detail(case_of_other))
    # then it does not exist for them
    assert response.status_code == 404
    assert case_of_other.subject not in response.content.decode()


def test_unknown_reference_is_not_found(customer_client):
    assert customer_client.get("/portal/requests/G-999999/").status_code == 404


@pytest.mark.parametrize("path", ["requests", "detail", "new"])
def test_agents_are_told_the_portal_is_for_customers(agent_client, case_of_customer, path):
    # given an agent signed in (who sees this case in the workspace)
    url = {"requests": REQUESTS, "detail": detail(case_of_customer), "new": NEW}[path]
    # when they open a portal page
    response = agent_client.get(url)
    # then the portal refuses them (they work in the workspace) and shows no case data
    assert response.status_code == 403
    assert case_of_customer.subject not in response.content.decode()


def test_agent_cannot_reply_as_a_customer_through_the_portal(agent_client, case_of_customer):
    before = Contact.objects.count()
    response = agent_client.post(reply_url(case_of_customer), {"message": "Hello"})
    assert response.status_code == 403
    assert Contact.objects.count() == before


# --- What the customer reads -------------------------------------------------------------------


def test_case_page_shows_reference_plain_status_and_agents_first_name_only(
    customer_client, case_of_customer, agent
):
    # given a case owned by Camille Martin (camille@guichet.test) who replied
    reply(agent, case_of_customer, "Bonjour, je regarde cela.\n\nCamille")
    # when the customer opens it
    html = customer_client.get(detail(case_of_customer)).content.decode()
    # then they see the reference, the status in plain words and "Camille":
    # never her surname or email
    assert case_of_customer.reference in html
    assert "In progress" in html
    assert "Camille" in html
    assert "Martin" not in html
    assert "camille@guichet.test" not in html
    assert "je regarde cela" in html


def test_internal_notes_are_never_shown(customer_client, case_of_customer, agent):
    note(agent, case_of_customer, "Client difficile, vérifier le remboursement")
    html = customer_client.get(detail(case_of_customer)).content.decode()
    assert "Client difficile" not in html


def test_conversation_is_in_order_with_the_customers_words_first(
    customer_client, case_of_customer, agent
):
    reply(agent, case_of_customer, "First answer")
    html = customer_client.get(detail(case_of_customer)).content.decode()
    assert html.index("colis n&#x27;est pas arrivé") < html.index("First answer")


def test_agent_html_is_shown_sanitised(customer_client, case_of_customer, agent):
    from guichet.cases.services import contact_add

    contact_add(
        actor=agent,
        case=case_of_customer,
        kind=ContactKind.REPLY,
        body_html="<p>Voici <strong>le suivi</strong></p><script>alert(1)</script>",
    )
    html = customer_client.get(detail(case_of_customer)).content.decode()
    assert "<strong>le suivi</strong>" in html
    assert "<script>alert(1)" not in html


def test_list_shows_status_words_and_handler_first_name(customer_client, case_of_customer):
    html = customer_client.get(REQUESTS).content.decode()
    assert "Received" in html
    assert "Handled by Camille" in html
    assert "Martin" not in html


def test_list_query_count_does_not_grow_with_cases(
    customer_client, customer, open_case, django_assert_max_num_queries
):
    for i in range(3):
        open_case(customer, subject=f"Demande {i}")
    with django_assert_max_num_queries(8):
        small = customer_client.get(REQUESTS)
    for i in range(10):
        open_case(customer, subject=f"Autre {i}")
    with django_assert_max_num_queries(8):
        big = customer_client.get(REQUESTS)
    assert small.status_code == big.status_code == 200


# --- Replying ----------------------------------------------------------------------------------


def test_customer_replies_with_a_file(customer_client, case_of_customer, customer):
    # given the customer's open case
    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8 fake", content_type="image/jpeg")
    # when they reply with a photo
    response = customer_client.post(
        reply_url(case_of_customer), {"message": "Here is the photo.", "attachments": [upload]}
    )
    # then the message is on the case, from them, through the portal, with the file
    assert response.status_code == 302
    contact = Contact.objects.filter(case=case_of_customer).latest("id")
    assert contact.kind == ContactKind.CUSTOMER_MESSAGE
    assert contact.author_customer == customer
    assert contact.channel == "portal"
    assert [a.filename for a in contact.attachments.all()] == ["photo.jpg"]


def test_empty_reply_is_refused_on_its_field(customer_client, case_of_customer):
    before = Contact.objects.count()
    response = customer_client.post(reply_url(case_of_customer), {"message": ""})
    assert response.status_code == 422
    assert 'id="id_message_error"' in response.content.decode()
    assert Contact.objects.count() == before


def test_customer_cannot_reply_on_another_customers_case(customer_client, case_of_other):
    before = Contact.objects.count()
    response = customer_client.post(reply_url(case_of_other), {"message": "Hi"})
    assert response.status_code == 404
    assert Contact.objects.count() == before


def test_reply_on_a_resolved_case_is_refused_without_reopening_it(
    customer_client, case_of_customer, agent
):
    # given a resolved case
    resolve(agent, case_of_customer)
    before = Contact.objects.count()
    # when a reply is posted directly (the page offers "reopen" instead)
    response = customer_client.post(reply_url(case_of_customer), {"message": "Still broken"})
    # then it is refused, and the case stays resolved
    assert response.status_code == 422
    case_of_customer.refresh_from_db()
    assert case_of_customer.status == CaseStatus.RESOLVED
    assert Contact.objects.count() == before


# --- Reopening ---------------------------------------------------------------------------------


def test_resolved_case_offers_reopening_within_the_delay(customer_client, case_of_customer, agent):
    resolve(agent, case_of_customer, days_ago=29)
    html = customer_client.get(detail(case_of_customer)).content.decode()
    assert reopen_url(case_of_customer) in html
    assert reply_url(case_of_customer) not in html


def test_customer_reopens_with_a_reason(customer_client, case_of_customer, agent, customer):
    # given a case resolved 3 days ago
    resolve(agent, case_of_customer, days_ago=3)
    # when the customer reopens it with a reason
    response = customer_client.post(reopen_url(case_of_customer), {"reason": "Still no parcel."})
    # then it is open again, the reopening is in the timeline with the reason and the reason
    # joins the conversation
    assert response.status_code == 302
    case_of_customer.refresh_from_db()
    assert case_of_customer.status == CaseStatus.OPEN
    event = CaseEvent.objects.filter(case=case_of_customer, kind=EventKind.REOPENED).get()
    assert event.data["reason"] == "Still no parcel."
    assert event.actor == customer.user
    last = Contact.objects.filter(case=case_of_customer).latest("id")
    assert last.body_text == "Still no parcel."


def test_reopening_needs_a_reason(customer_client, case_of_customer, agent):
    resolve(agent, case_of_customer)
    response = customer_client.post(reopen_url(case_of_customer), {"reason": "  "})
    assert response.status_code == 422
    case_of_customer.refresh_from_db()
    assert case_of_customer.status == CaseStatus.RESOLVED


def test_reopening_after_the_delay_is_refused_and_a_new_request_offered(
    customer_client, case_of_customer, agent, settings
):
    # given a case resolved 31 days ago with a 30-day delay
    settings.GUICHET_REOPEN_DAYS = 30
    resolve(agent, case_of_customer, days_ago=31)
    # when the customer tries to reopen it
    response = customer_client.post(
        reopen_url(case_of_customer), {"reason": "Still no parcel."}, follow=True
    )
    # then it stays resolved, and the page offers a new request linked to this one
    case_of_customer.refresh_from_db()
    assert case_of_customer.status == CaseStatus.RESOLVED
    html = response.content.decode()
    assert "can no longer be reopened" in html
    assert f"{NEW}?follows={case_of_customer.reference}" in html


def test_reopen_delay_is_configurable(customer_client, case_of_customer, agent, settings):
    settings.GUICHET_REOPEN_DAYS = 2
    resolve(agent, case_of_customer, days_ago=3)
    response = customer_client.post(reopen_url(case_of_customer), {"reason": "Again"})
    assert response.status_code == 302
    case_of_customer.refresh_from_db()
    assert case_of_customer.status == CaseStatus.RESOLVED


def test_closed_case_cannot_be_reopened_from_the_portal(customer_client, case_of_customer, agent):
    resolve(agent, case_of_customer)
    case_change_status(actor=agent, case=case_of_customer, status=CaseStatus.CLOSED)
    customer_client.post(reopen_url(case_of_customer), {"reason": "Again"})
    case_of_customer.refresh_from_db()
    assert case_of_customer.status == CaseStatus.CLOSED


def test_customer_cannot_reopen_another_customers_case(customer_client, case_of_other, agent):
    resolve(agent, case_of_other)
    response = customer_client.post(reopen_url(case_of_other), {"reason": "Mine now"})
    assert response.status_code == 404
    case_of_other.refresh_from_db()
    assert case_of_other.status == CaseStatus.RESOLVED


# --- New request -------------------------------------------------------------------------------


def test_customer_opens_a_new_request(customer_client, customer, category):
    response = customer_client.post(
        NEW,
        {"subject": "Invoice wrong", "message": "The amount is wrong.", "category": category.pk},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == detail(case)
    assert case.customer == customer
    assert case.subject == "Invoice wrong"
    assert case.channel == "portal"
    assert case.category == category


def test_new_request_follows_up_an_old_one(customer_client, case_of_customer):
    customer_client.post(
        f"{NEW}?follows={case_of_customer.reference}",
        {"subject": "Again", "message": "Same problem", "follows": case_of_customer.reference},
    )
    new = Case.objects.exclude(pk=case_of_customer.pk).get()
    first = Contact.objects.filter(case=new).get()
    assert case_of_customer.reference in first.body_text


def test_new_request_cannot_follow_up_another_customers_case(customer_client, case_of_other):
    customer_client.post(
        NEW, {"subject": "Again", "message": "Same problem", "follows": case_of_other.reference}
    )
    new = Case.objects.exclude(pk=case_of_other.pk).get()
    assert case_of_other.reference not in Contact.objects.get(case=new).body_text


def test_new_request_form_prefills_a_follow_up(customer_client, case_of_customer):
    response = customer_client.get(f"{NEW}?follows={case_of_customer.reference}")
    assert f"Follow-up: {case_of_customer.subject}" in response.content.decode()


def test_merged_case_points_to_the_case_that_carries_on(
    customer_client, customer, open_case, agent
):
    first, second = open_case(customer, subject="One"), open_case(customer, subject="Two")
    case_merge(actor=agent, source=second, target=first)
    html = customer_client.get(detail(second)).content.decode()
    assert detail(first) in html
    assert reply_url(second) not in html


# --- Page furniture ----------------------------------------------------------------------------


def test_every_page_offers_to_talk_to_a_person_with_the_phone(client, settings):
    settings.GUICHET_PORTAL_PHONE = "+33 1 23 45 67 89"
    for url in (reverse("portal:front"), reverse("portal:sign_in"), reverse("portal:link_sent")):
        html = client.get(url).content.decode()
        assert "Rather talk to a person?" in html
        assert 'href="tel:+33123456789"' in html


def test_language_switch_posts_to_the_portal_language_view(client):
    html = client.get(reverse("portal:front")).content.decode()
    assert f'action="{reverse("portal:language")}"' in html
    assert 'name="language" value="fr"' in html
    assert 'name="language" value="en"' in html


def test_language_chosen_is_the_pages_language(db):
    client = Client()
    client.post(reverse("set_language"), {"language": "fr", "next": "/portal/"})
    html = client.get(reverse("portal:front")).content.decode()
    assert '<html lang="fr">' in html


def test_language_switch_changes_the_pages_language(db):
    client = Client()
    response = client.post(reverse("portal:language"), {"language": "en", "next": "/portal/"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert '<html lang="en">' in client.get(reverse("portal:front")).content.decode()


def test_language_switch_updates_the_signed_in_customers_language(customer_client, customer):
    # given a customer whose emails speak French
    assert customer.language == "fr"
    # when they switch the portal to English
    customer_client.post(reverse("portal:language"), {"language": "en", "next": "/portal/"})
    # then their emails will speak English too
    customer.refresh_from_db()
    assert customer.language == "en"


def test_language_switch_by_a_visitor_or_with_a_bad_language_changes_no_customer(
    client, customer_client, customer, other_customer
):
    client.post(reverse("portal:language"), {"language": "en", "next": "/portal/"})
    response = customer_client.post(reverse("portal:language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    customer.refresh_from_db()
    other_customer.refresh_from_db()
    assert (customer.language, other_customer.language) == ("fr", "fr")


def test_language_switch_is_post_only(client):
    assert client.get(reverse("portal:language")).status_code == 405


def test_case_page_query_count_does_not_grow_with_the_conversation(
    customer_client, case_of_customer, agent, django_assert_max_num_queries
):
    # given a case with a reply, then with many more (each with a file)
    reply(agent, case_of_customer, "One", attachments=[attachment()])
    with django_assert_max_num_queries(12):
        assert customer_client.get(detail(case_of_customer)).status_code == 200
    for i in range(10):
        reply(agent, case_of_customer, f"Reply {i}", attachments=[attachment(f"f{i}.pdf")])
    # then the page reads the same number of times
    with django_assert_max_num_queries(12):
        assert customer_client.get(detail(case_of_customer)).status_code == 200


def test_new_request_form_offers_answers_beside_it_never_instead(customer_client):
    from guichet.knowledge.models import Answer

    Answer.objects.create(title="Suivi de livraison", body="x", is_published=True)
    html = customer_client.get(reverse("portal:request_new")).content.decode()
    # the form is all there, and the subject asks for matching answers into the aside
    assert 'name="subject"' in html and 'name="message"' in html
    assert f'hx-get="{reverse("portal:answers")}"' in html
    assert 'id="suggested-answers"' in html
    assert html.index('id="suggested-answers"') > html.index('name="message"')
