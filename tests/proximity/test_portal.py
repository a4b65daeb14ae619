"""The customer's side: my advisor (first name, photo, hours — never a surname or an email),
"write to my advisor", callbacks from the portal and from an email link, talk to a person."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.cases.choices import EventKind
from guichet.cases.models import Case, CaseEvent
from guichet.cases.services import case_open
from guichet.proximity.models import AdvisorProfile, Callback, HumanRequest
from guichet.proximity.portal_views import callback_link_token
from guichet.proximity.services.referents import referent_assign
from tests.proximity.conftest import away

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def advised(customer, agent, deputy, supervisor, team):
    AdvisorProfile.objects.create(user=agent, working_hours="Monday to Thursday, 9:00–17:00")
    return referent_assign(
        actor=supervisor, customer=customer, referent=agent, deputy=deputy, team=team
    )


@pytest.fixture
def portal(customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


def test_the_portal_shows_the_advisor_first_name_and_hours_only(advised, portal, agent):
    # when the customer opens "my advisor"
    response = portal.get(reverse("proximity_portal:advisor"))
    html = response.content.decode()
    # then they read Camille and her hours, never her surname or her email address
    assert response.status_code == 200
    assert "Camille" in html
    assert "Monday to Thursday, 9:00–17:00" in html
    assert agent.last_name not in html
    assert agent.email not in html


def test_every_portal_page_links_to_a_person_and_the_advisor(advised, portal, agent):
    html = portal.get(reverse("portal:requests")).content.decode()
    assert reverse("proximity_portal:talk") in html
    assert "Write to Camille, my advisor" in html
    assert agent.last_name not in html and agent.email not in html


def test_writing_to_my_advisor_opens_a_case_owned_by_the_advisor(advised, portal, agent):
    response = portal.post(
        reverse("proximity_portal:advisor"),
        {"subject": "Question", "message": "Pouvez-vous me rappeler mon contrat ?"},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.owner == agent
    assert CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED).data["reason"] == "referent"


def test_the_photo_is_served_to_the_advised_customer_only(advised, portal, agent, other_customer):
    profile = AdvisorProfile.objects.get(user=agent)
    profile.photo_type = "image/png"
    profile.photo.save("x.png", ContentFile(PNG))
    url = reverse("proximity_portal:advisor_photo", args=[agent.pk])
    assert portal.get(url).status_code == 200
    stranger = Client()
    stranger.force_login(other_customer.user)
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_a_customer_books_a_callback_in_the_portal(advised, portal, agent, customer):
    page = portal.get(reverse("proximity_portal:callback"))
    slot = page.context["form"].fields["slot"].choices[1][0]
    response = portal.post(
        reverse("proximity_portal:callback"),
        {"slot": slot, "phone": "06 11 22 33 44", "topic": "Livraison", "case": ""},
    )
    callback = Callback.objects.get()
    assert response.status_code == 200
    assert "Camille will call you on 06 11 22 33 44" in response.content.decode()
    assert callback.owner == agent
    assert callback.source == "portal"
    assert callback.slot_start == datetime.fromisoformat(slot)


def test_a_bad_slot_is_shown_as_a_form_error(portal, agent):
    response = portal.post(
        reverse("proximity_portal:callback"), {"slot": "2020-01-01T10:00:00+01:00", "phone": "061"}
    )
    assert response.status_code == 422
    assert not Callback.objects.exists()


def test_a_link_in_an_email_books_a_callback_without_signing_in(customer, agent):
    # given the link sent in an email about a case
    case = case_open(actor=None, customer=customer, subject="Colis", body_text="Où ?")
    token = callback_link_token(customer=customer, case=case)
    url = reverse("proximity_portal:callback_link", args=[token])
    visitor = Client()
    page = visitor.get(url)
    slot = page.context["form"].fields["slot"].choices[1][0]
    # when the visitor chooses a time
    response = visitor.post(url, {"slot": slot, "phone": "06 11 22 33 44"})
    # then the callback is booked on that case, from the email link
    callback = Callback.objects.get()
    assert response.status_code == 200
    assert callback.case == case
    assert callback.source == "email_link"


def test_a_forged_link_is_not_found(agent):
    url = reverse("proximity_portal:callback_link", args=["forged:token"])
    assert Client().get(url).status_code == 404


def test_a_customer_cannot_cancel_someone_elses_callback(customer, other_customer, agent, now):
    from guichet.proximity.services.callbacks import callback_request

    slot = datetime(2026, 3, 10, 10, 0, tzinfo=now.tzinfo)
    theirs = callback_request(
        actor=other_customer.user, customer=other_customer, phone="0611223344",
        slot_start=slot, source="portal", at=now,
    )  # fmt: skip
    client = Client()
    client.force_login(customer.user)
    response = client.post(reverse("proximity_portal:callback_cancel", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.status == "scheduled"


def test_talk_to_a_person_flags_the_case_and_gives_it_to_someone_present(
    advised, portal, customer, agent, deputy
):
    # given a case owned by Camille, who is now away
    case = case_open(actor=customer.user, customer=customer, subject="Colis", body_text="Où ?")
    assert case.owner == agent
    away(agent, at=timezone.now())
    # when the customer asks for a person
    response = portal.post(reverse("proximity_portal:talk"), {"case": case.reference})
    # then the case goes to the deputy at once, flagged, with the reason in the log
    case.refresh_from_db()
    assert response.status_code == 302
    assert case.owner == deputy
    flag = HumanRequest.objects.get(case=case)
    assert flag.routed_to == deputy
    event = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSFERRED).get()
    assert event.data["reason"] == "human_requested"
    assert event.actor is None


def test_talk_to_a_person_keeps_a_present_owner(advised, portal, customer, agent):
    case = case_open(actor=customer.user, customer=customer, subject="Colis", body_text="Où ?")
    portal.post(reverse("proximity_portal:talk"), {"case": case.reference, "message": "Vite"})
    case.refresh_from_db()
    assert case.owner == agent
    assert HumanRequest.objects.get(case=case).handled_at is None


def test_an_answer_settles_the_request_for_a_person(
    advised, customer, agent, django_capture_on_commit_callbacks
):
    from guichet.cases.services import contact_add
    from guichet.proximity.services.human import human_request

    case = case_open(actor=customer.user, customer=customer, subject="Colis", body_text="Où ?")
    human_request(actor=customer.user, case=case)
    with django_capture_on_commit_callbacks(execute=True):
        contact_add(actor=agent, case=case, kind="reply", body_text="Je vous appelle.")
    assert HumanRequest.objects.get(case=case).handled_at is not None


def test_visitors_see_the_numbers_with_their_tariff(client, agent):
    from guichet.proximity.models import ContactNumber

    ContactNumber.objects.create(
        label="Service client", number="09 70 12 34 56", purpose="after_sales",
        tariff_class="standard",
    )  # fmt: skip
    html = client.get(reverse("proximity_portal:talk")).content.decode()
    assert "09 70 12 34 56" in html
    assert "Standard rate (price of a normal call)" in html
