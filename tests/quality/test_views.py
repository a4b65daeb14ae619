"""Pages under /quality/: who sees what, and the forms calling the services."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.cases.choices import ContactKind
from guichet.cases.services import contact_add
from guichet.quality import services
from guichet.quality.models import Complaint, Criterion, Review, Scorecard
from guichet.quality.services import Mark
from tests.quality.conftest import case_new, walk_to

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


MANAGER_PAGES = [
    "/quality/",
    "/quality/complaints/",
    "/quality/complaints/print/",
    "/quality/causes/",
    "/quality/actions/",
    "/quality/reviews/calibration/",
    "/quality/scores/",
    "/quality/scores/?group=team&period=month",
]


@pytest.mark.parametrize("url", MANAGER_PAGES)
def test_supervisors_open_every_page(supervisor, complaint, url):
    assert logged_in(supervisor).get(url).status_code == 200


@pytest.mark.parametrize("url", MANAGER_PAGES[1:])
def test_agents_are_kept_out_of_management_pages(agent, url):
    assert logged_in(agent).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/quality/", "/quality/reviews/", "/quality/complaints/"])
def test_customers_get_404(customer, url):
    assert logged_in(customer.user).get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/quality/complaints/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_agent_marks_a_case_from_the_page(agent, case):
    client = logged_in(agent)
    page = client.get(f"/quality/complaints/new/?case={case.reference}")
    assert page.status_code == 200 and "inadmissible" in page.content.decode()
    response = client.post(
        "/quality/complaints/new/",
        {"case": case.reference, "remedy_sought": "Un avoir", "suggested": "1"},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.source == "suggested"
    assert (
        client.post(
            "/quality/complaints/new/", {"case": case.reference, "remedy_sought": ""}
        ).status_code
        == 302
    )


def test_the_remedy_is_required_on_the_page(agent, case):
    response = logged_in(agent).post(
        "/quality/complaints/new/", {"case": case.reference, "remedy_sought": " "}
    )
    assert response.status_code == 422


def test_the_complaint_page_moves_through_the_steps(agent, complaint, mediator):
    client = logged_in(agent)
    url = f"/quality/complaints/{complaint.reference}/"
    assert client.post(url + "acknowledge/", {"message": "Bonjour"}).status_code == 302
    assert (
        client.post(
            url + "assess/",
            {"severity": "low", "impact": "low", "urgency": "low", "safety_issue": "1"},
        ).status_code
        == 302
    )
    complaint.refresh_from_db()
    assert complaint.status == "assessed" and complaint.safety_issue
    page = client.get(url).content.decode()
    assert "Start the investigation" in page and "Send the acknowledgement" not in page


def test_a_forbidden_step_answers_409_with_the_message(agent, complaint):
    response = logged_in(agent).post(
        f"/quality/complaints/{complaint.reference}/respond/", {"response": "Voici"}
    )
    assert response.status_code == 409
    assert "Acknowledge the complaint first" in response.content.decode()


def test_an_agent_cannot_see_a_complaint_on_another_teams_case(complaint, customer):
    from guichet.accounts.services import team_create, user_create

    outsider = user_create(email="zoe@guichet.test", first_name="Zoé")
    team_create(name="Facturation", members=[outsider])
    complaint.case.team.members.remove(outsider)
    assert logged_in(outsider).get(f"/quality/complaints/{complaint.reference}/").status_code == 404


def test_the_printable_register_lists_complaints(supervisor, complaint, agent):
    walk_to(complaint, agent, "closed")
    page = logged_in(supervisor).get("/quality/complaints/print/").content.decode()
    assert complaint.reference in page and "window.print()" in page


def test_causes_page_clusters_by_cause(supervisor, complaint, agent):
    walk_to(complaint, agent, "closed")
    page = logged_in(supervisor).get("/quality/causes/").content.decode()
    assert "Delivery" in page and "Damaged" in page


def test_a_corrective_action_is_created_from_the_page(supervisor, complaint):
    client = logged_in(supervisor)
    response = client.post(
        "/quality/actions/",
        {
            "title": "Former l'équipe",
            "owner": supervisor.pk,
            "due_date": "2026-06-30",
            "complaints": complaint.reference,
        },
    )
    assert response.status_code == 302
    assert complaint.actions.get().title == "Former l'équipe"
    response = client.post(
        "/quality/actions/", {"title": "", "owner": supervisor.pk, "due_date": "2026-06-30"}
    )
    assert response.status_code == 422


# ---- reviews pages ---------------------------------------------------------------------------


@pytest.fixture
def reviewed(supervisor, agent, customer) -> Review:
    case = case_new(customer)
    contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text="Réponse")
    card = Scorecard.objects.create(name="Email")
    criterion = Criterion.objects.create(scorecard=card, name="Tone", weight=1, scale_max=4)
    return services.review_create(
        reviewer=supervisor,
        case=case,
        agent=agent,
        scorecard=card,
        marks=[Mark(criterion.pk, 2, "Un peu sec")],
    )


def test_the_agent_sees_its_review_and_acknowledges(agent, reviewed):
    client = logged_in(agent)
    assert client.get("/quality/").status_code == 302  # agents land on their reviews
    listing = client.get("/quality/reviews/").content.decode()
    assert reviewed.case.reference in listing
    page = client.get(f"/quality/reviews/{reviewed.pk}/").content.decode()
    assert "10.0/20" in page and "50.0 %" in page and "Un peu sec" in page
    assert (
        client.post(
            f"/quality/reviews/{reviewed.pk}/answer/", {"answer": "acknowledge"}
        ).status_code
        == 302
    )
    reviewed.refresh_from_db()
    assert reviewed.status == "acknowledged"


def test_another_agent_cannot_open_the_review(other_agent, reviewed):
    client = logged_in(other_agent)
    assert client.get(f"/quality/reviews/{reviewed.pk}/").status_code == 404
    assert reviewed.case.reference not in client.get("/quality/reviews/").content.decode()


def test_a_supervisor_reviews_from_the_page(supervisor, agent, customer):
    case = case_new(customer)
    contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text="Réponse")
    card = Scorecard.objects.get(name="Standard interaction review")
    client = logged_in(supervisor)
    url = f"/quality/reviews/new/?case={case.reference}&agent={agent.pk}&scorecard={card.pk}"
    assert client.get(url).status_code == 200
    data = {"case": case.reference, "agent": agent.pk, "scorecard": card.pk}
    data.update({f"value_{c.pk}": "4" for c in card.criteria.all()})
    data[f"value_{card.criteria.first().pk}"] = "na"
    response = client.post("/quality/reviews/new/", data)
    assert response.status_code == 302
    assert Review.objects.get().score_percent == 100


def test_an_agent_cannot_open_the_review_form(agent, case):
    assert logged_in(agent).get(f"/quality/reviews/new/?case={case.reference}").status_code == 403


def test_the_review_form_offers_the_cases_team_scorecards(supervisor, agent, customer):
    from guichet.accounts.services import team_create

    case = case_new(customer)
    contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text="Réponse")
    Scorecard.objects.create(name="Grille facturation", team=team_create(name="Facturation"))
    Scorecard.objects.create(name="Grille du service client", team=case.team)
    Scorecard.objects.create(name="Grille téléphone", channel="phone")
    page = logged_in(supervisor).get(f"/quality/reviews/new/?case={case.reference}")
    html = page.content.decode()
    assert "Grille du service client" in html
    assert "Grille facturation" not in html and "Grille téléphone" not in html
