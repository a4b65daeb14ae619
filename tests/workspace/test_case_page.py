"""The case page and its in-place changes: each one goes through guichet.cases.services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guichet.cases import services
from guichet.cases.models import CaseEvent, Contact
from guichet.knowledge.services import macro_create
from tests.workspace.conftest import ago, case_new, logged_in

pytestmark = pytest.mark.django_db


def url(name: str, case, *args) -> str:
    return reverse(f"workspace:{name}", args=[case.reference, *args])


def test_conversation_is_in_time_order_with_notes_marked_apart(agent, agent_client, case):
    # given a reply and a note after the customer's message
    services.contact_add(actor=agent, case=case, kind="reply", body_text="Nous regardons.")
    services.contact_add(actor=agent, case=case, kind="note", body_text="Appeler le dépôt.")
    # when the case page is opened
    body = agent_client.get(url("case", case)).content.decode()
    # then the three contacts are in order, each with its own class and label
    first = body.index("contact-customer_message")
    reply = body.index("contact-reply")
    note = body.index("contact-note")
    assert first < reply < note
    assert "Not visible to the customer." in body
    assert 'class="channel channel-' in body


def test_reply_is_posted_as_a_public_reply(agent, agent_client, case):
    # when the agent sends a reply
    response = agent_client.post(url("case_reply", case), {"kind": "reply", "body": "Bonjour !"})
    # then the browser goes back to the case, and the reply is recorded by the service
    assert response.status_code == 303
    contact = Contact.objects.filter(case=case).latest("id")
    assert (contact.kind, contact.author_user, contact.body_text) == ("reply", agent, "Bonjour !")
    case.refresh_from_db()
    assert case.first_response_at is not None


def test_note_is_internal_and_does_not_count_as_a_response(agent_client, case):
    agent_client.post(url("case_reply", case), {"kind": "note", "body": "Client connu."})
    contact = Contact.objects.filter(case=case).latest("id")
    case.refresh_from_db()
    assert (contact.kind, contact.direction) == ("note", "internal")
    assert case.first_response_at is None


def test_reply_then_resolve_in_one_go(agent_client, case):
    agent_client.post(
        url("case_reply", case), {"kind": "reply", "body": "C'est réglé.", "then": "resolved"}
    )
    case.refresh_from_db()
    assert case.status == "resolved"


def test_empty_reply_shows_the_error_and_keeps_nothing(agent_client, case):
    # when an empty reply is sent
    response = agent_client.post(url("case_reply", case), {"kind": "reply", "body": "  "})
    # then the page comes back with the error (422, htmx swaps it) and nothing is written
    assert response.status_code == 422
    assert "The message is empty." in response.content.decode()
    assert Contact.objects.filter(case=case).count() == 1


def test_failed_status_after_reply_rolls_back_the_reply(agent, agent_client, case):
    # given a closed case can only be reopened with a reason; "then" asks for an impossible move
    response = agent_client.post(
        url("case_reply", case), {"kind": "reply", "body": "Texte", "then": "bogus"}
    )
    assert response.status_code == 422
    assert Contact.objects.filter(case=case).count() == 1


def test_customer_message_kind_cannot_be_forged_from_the_composer(agent_client, case):
    response = agent_client.post(
        url("case_reply", case), {"kind": "customer_message", "body": "Fake"}
    )
    assert response.status_code == 422
    assert Contact.objects.filter(case=case).count() == 1


def test_resolve_then_reopen_needs_a_reason(agent_client, case):
    # given a resolved case
    agent_client.post(url("case_status", case), {"status": "resolved"})
    # when reopening without a reason, then the error is shown and nothing changes
    response = agent_client.post(url("case_status", case), {"status": "open"})
    assert response.status_code == 422
    assert "reason" in response.content.decode().lower()
    case.refresh_from_db()
    assert case.status == "resolved"
    # and with a reason it is reopened
    agent_client.post(url("case_status", case), {"status": "open", "reason": "Pas réglé"})
    case.refresh_from_db()
    assert case.status == "open"


def test_details_change_priority_category_and_tags(agent_client, case, category):
    response = agent_client.post(
        url("case_details", case),
        {"priority": "urgent", "category": category.pk, "tags": "Fragile, remboursement"},
    )
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert case.category == category
    assert sorted(case.tags.values_list("name", flat=True)) == ["fragile", "remboursement"]
    assert CaseEvent.objects.filter(case=case, kind="priority_changed").exists()


def test_details_with_unknown_category_is_422(agent_client, case):
    response = agent_client.post(url("case_details", case), {"category": "9999"})
    assert response.status_code == 422


def test_assign_to_me(other_agent, case):
    response = logged_in(other_agent).post(url("case_assign", case), {"take": "1"})
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.owner == other_agent


def test_transfer_needs_a_reason(agent_client, case, other_agent):
    # when the owner hands the case to a colleague without a reason, then 422
    data = {"owner": other_agent.pk}
    response = agent_client.post(url("case_assign", case), data)
    assert response.status_code == 422
    assert "Say why the case is transferred." in response.content.decode()
    # with a reason, the case moves and the timeline says why
    agent_client.post(url("case_assign", case), {**data, "reason": "Congés"})
    case.refresh_from_db()
    assert case.owner == other_agent
    event = CaseEvent.objects.filter(case=case, kind="transferred").get()
    assert event.data["reason"] == "Congés"


def test_transfer_to_another_team(agent_client, case, billing, outsider):
    agent_client.post(
        url("case_assign", case),
        {"owner": outsider.pk, "team": billing.pk, "reason": "Question de facture"},
    )
    case.refresh_from_db()
    assert (case.team, case.owner) == (billing, outsider)


def test_merge_a_duplicate_into_another_case_of_the_customer(agent_client, customer, team):
    # given two cases of the same customer
    duplicate = case_new(customer=customer, team=team, at=ago(hours=1))
    kept = case_new(customer=customer, team=team)
    # when the duplicate is merged into the other
    response = agent_client.post(url("case_merge", duplicate), {"target": kept.reference})
    # then the agent lands on the kept case, which has both messages
    assert response.status_code == 303
    assert response["Location"].startswith(url("case", kept))
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept
    assert Contact.objects.filter(case=kept).count() == 2


def test_merge_with_another_customers_case_is_refused(agent_client, case, other_customer, team):
    foreign = case_new(customer=other_customer, team=team)
    response = agent_client.post(url("case_merge", case), {"target": foreign.reference})
    assert response.status_code == 422
    assert "same customer" in response.content.decode()


def test_customer_panel_lists_the_customers_other_cases(agent_client, customer, team, case):
    older = case_new(customer=customer, team=team, subject="Ancienne commande", at=ago(days=40))
    body = agent_client.get(url("case", case)).content.decode()
    assert older.reference in body
    assert "1 other case" in body
    assert reverse("workspace:customer", args=[customer.pk]) in body


def test_macro_is_filled_for_the_case_as_plain_text(agent, agent_client, case, team):
    macro = macro_create(
        actor=agent,
        team=team,
        name="Accusé",
        body="Bonjour {{ customer.first_name }}, dossier {{ case.reference }}.",
    )
    response = agent_client.get(url("case_macro", case, macro.pk))
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == f"Bonjour Marie, dossier {case.reference}."


def test_macro_insert_without_javascript_prefills_the_composer(agent, agent_client, case, team):
    macro = macro_create(actor=agent, team=team, name="Merci", body="Merci {{ agent.first_name }}")
    response = agent_client.get(url("case", case), {"macro": macro.pk})
    assert "Merci Camille</textarea>" in response.content.decode()


def test_next_case_follows_the_inbox_order(agent, agent_client, customer, team):
    # given three open cases, urgent first
    first = case_new(customer=customer, team=team, owner=agent, priority="urgent")
    second = case_new(customer=customer, team=team, owner=agent, at=ago(days=1))
    third = case_new(customer=customer, team=team, owner=agent)
    # when "next" is followed from each
    hops = [
        agent_client.get(url("case_next", c), {"view": "mine"})["Location"] for c in (first, second)
    ]
    # then it walks the inbox order, keeping the view
    assert hops == [url("case", second) + "?view=mine", url("case", third) + "?view=mine"]
    # and after the last one it goes back to the inbox
    last = agent_client.get(url("case_next", third), {"view": "mine"})
    assert last["Location"] == "/?view=mine"


def test_next_case_after_resolving_goes_on_from_where_it_was(agent, agent_client, customer, team):
    first = case_new(customer=customer, team=team, owner=agent, priority="high")
    second = case_new(customer=customer, team=team, owner=agent)
    services.case_change_status(actor=agent, case=first, status="resolved")
    hop = agent_client.get(url("case_next", first), {"view": "open"})["Location"]
    assert hop == url("case", second) + "?view=open"


def test_customer_page_shows_identity_cases_and_timeline(agent, agent_client, customer, case):
    services.contact_add(actor=agent, case=case, kind="reply", body_text="Réponse envoyée.")
    body = agent_client.get(reverse("workspace:customer", args=[customer.pk])).content.decode()
    assert customer.name in body
    assert customer.email in body
    assert case.reference in body
    assert "Réponse envoyée." in body


def test_history_lists_the_events_as_a_fragment_or_a_page(agent, agent_client, case):
    services.case_change_status(actor=agent, case=case, status="resolved")
    fragment = agent_client.get(url("case_history", case), headers={"HX-Request": "true"})
    page = agent_client.get(url("case_history", case))
    assert "Status changed" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode()


def test_history_of_a_case_outside_the_team_is_404(outsider, case):
    assert logged_in(outsider).get(url("case_history", case)).status_code == 404


def test_assignment_lists_preselect_the_cases_owner_and_team(agent, agent_client, case, team):
    body = agent_client.get(url("case", case)).content.decode()
    assert f'<option value="{agent.pk}" selected>' in body
    assert f'<option value="{team.pk}" selected>{team.name}</option>' in body


def test_a_macro_saved_on_the_macros_page_is_offered_at_once(agent, agent_client, case, team):
    # given a case page opened once (its macro list is kept a few seconds)
    assert "Relance colis" not in agent_client.get(url("case", case)).content.decode()
    # when the agent adds a macro for their team on the macros page
    response = agent_client.post(
        reverse("workspace:macros"), {"team": team.pk, "name": "Relance colis", "body": "Bonjour"}
    )
    assert response.status_code == 303
    # then the case page offers it right away
    assert "Relance colis" in agent_client.get(url("case", case)).content.decode()
