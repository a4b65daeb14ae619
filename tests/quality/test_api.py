"""/api/v1/complaints and /api/v1/reviews: transitions as 409, permissions, customer status."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from guichet.cases.choices import ContactKind
from guichet.cases.services import contact_add
from guichet.quality import services
from guichet.quality.models import Complaint, Criterion, Scorecard
from guichet.quality.services import Mark
from tests.conftest import bearer_client
from tests.quality.conftest import case_new, walk_to

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.fixture
def supervisor_api(supervisor):
    return bearer_client(supervisor)


def test_an_agent_opens_and_walks_a_complaint(agent_api, case, mediator):
    response = post(
        agent_api,
        "/api/v1/complaints",
        {"case": case.reference, "remedy_sought": "Un remboursement"},
    )
    assert response.status_code == 201, response.content
    ref = response.json()["reference"]
    assert post(agent_api, f"/api/v1/complaints/{ref}/acknowledge").json()["status"] == (
        "acknowledged"
    )
    body = {"severity": "high", "impact": "medium", "urgency": "low"}
    assert post(agent_api, f"/api/v1/complaints/{ref}/assess", body).status_code == 200
    assert post(agent_api, f"/api/v1/complaints/{ref}/investigate").status_code == 200
    assert post(agent_api, f"/api/v1/complaints/{ref}/notes", {"note": "Vu"}).status_code == 201
    response = post(
        agent_api,
        f"/api/v1/complaints/{ref}/respond",
        {
            "response": "Remboursé.",
            "compensation_amount": "25.50",
            "root_cause": "billing-refund-delay",
        },
    )
    assert response.json()["compensation_amount"] == "25.50"
    assert (
        post(agent_api, f"/api/v1/complaints/{ref}/decision", {"decision": "accepted"}).status_code
        == 200
    )
    response = post(agent_api, f"/api/v1/complaints/{ref}/close", {"reason": "accepted"})
    assert response.json()["status"] == "closed"
    detail = agent_api.get(f"/api/v1/complaints/{ref}").json()
    assert [s["kind"] for s in detail["steps"]] == [
        "received",
        "acknowledged",
        "assessed",
        "investigating",
        "note",
        "response_proposed",
        "accepted",
        "closed",
    ]


def test_skipping_the_acknowledgement_is_a_409(agent_api, complaint):
    response = post(
        agent_api,
        f"/api/v1/complaints/{complaint.reference}/assess",
        {"severity": "low", "impact": "low", "urgency": "low"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "acknowledgement_required"


def test_closing_without_a_response_is_a_409(agent_api, complaint, agent):
    walk_to(complaint, agent, "investigating")
    response = post(
        agent_api,
        f"/api/v1/complaints/{complaint.reference}/close",
        {"reason": "final_decision", "root_cause": "other"},
    )
    assert response.status_code == 409


def test_bad_input_is_a_422_not_a_500(agent_api, complaint):
    response = post(
        agent_api,
        f"/api/v1/complaints/{complaint.reference}/respond",
        {"response": "x", "compensation_amount": "-3"},
    )
    assert response.status_code == 422
    response = post(agent_api, "/api/v1/complaints", {"case": complaint.case.reference})
    assert response.status_code == 422


def test_unknown_complaint_is_404(agent_api):
    assert agent_api.get("/api/v1/complaints/R-999999").status_code == 404


# ---- customers: their own complaint's status, nothing else -----------------------------------


def test_the_customer_sees_its_complaints_status(customer_api, complaint, agent):
    walk_to(complaint, agent, "response_proposed")
    response = customer_api.get(f"/api/v1/complaints/{complaint.reference}/status")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "response_proposed" and data["can_decide"] is True
    assert "accept" in data["next_step"]


def test_the_customer_cannot_read_the_internal_file(customer_api, complaint):
    assert customer_api.get(f"/api/v1/complaints/{complaint.reference}").status_code == 404
    assert customer_api.get("/api/v1/complaints").status_code == 404


def test_another_customer_gets_404(complaint, other_customer):
    client = bearer_client(other_customer.user)
    response = client.get(f"/api/v1/complaints/{complaint.reference}/status")
    assert response.status_code == 404


def test_the_customer_declares_a_complaint_and_decides(customer_api, case, agent, mediator):
    response = post(
        customer_api,
        "/api/v1/complaints",
        {"case": case.reference, "remedy_sought": "Être remboursée"},
    )
    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert complaint.source == "customer"
    walk_to(complaint, agent, "response_proposed")
    response = post(
        customer_api,
        f"/api/v1/complaints/{complaint.reference}/decision",
        {"decision": "refused", "comment": "Insuffisant"},
    )
    assert response.status_code == 200
    assert response.json()["mediator"]["name"] == mediator.name


def test_a_customer_cannot_acknowledge(customer_api, complaint):
    response = post(customer_api, f"/api/v1/complaints/{complaint.reference}/acknowledge")
    assert response.status_code == 404


# ---- register export, causes, actions: quality managers ----------------------------------------


def test_the_register_exports_for_supervisors_only(supervisor_api, agent_api, complaint):
    response = supervisor_api.get("/api/v1/complaints/export?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == complaint.reference
    assert agent_api.get("/api/v1/complaints/export").status_code == 403
    assert supervisor_api.get("/api/v1/complaints/export?format=pdf").status_code == 422


def test_corrective_action_links_complaints(supervisor_api, supervisor, complaint, agent):
    response = post(
        supervisor_api,
        "/api/v1/complaints/actions",
        {
            "title": "Changer de transporteur",
            "owner": supervisor.pk,
            "due_date": "2026-04-30",
            "root_cause": "delivery-damaged",
            "complaints": [complaint.reference],
        },
    )
    assert response.status_code == 201, response.content
    action_id = response.json()["id"]
    detail = supervisor_api.get(f"/api/v1/complaints/{complaint.reference}").json()
    assert detail["actions"] == [action_id]
    # done needs the effect measured
    url = f"/api/v1/complaints/actions/{action_id}"
    response = supervisor_api.patch(url, {"status": "done"}, content_type="application/json")
    assert response.status_code == 409
    response = supervisor_api.patch(
        url, {"status": "done", "effect_measured": "-40 % casse"}, content_type="application/json"
    )
    assert response.json()["status"] == "done"
    assert supervisor_api.patch(
        "/api/v1/complaints/actions/99999999999999999999", {}, content_type="application/json"
    ).status_code in (404, 422)


def test_agents_cannot_manage_actions(agent_api, agent):
    response = post(
        agent_api,
        "/api/v1/complaints/actions",
        {"title": "x", "owner": agent.pk, "due_date": "2026-04-30"},
    )
    assert response.status_code == 403


def test_top_causes_with_trend(supervisor_api, complaint, agent):
    walk_to(complaint, agent, "closed")
    response = supervisor_api.get("/api/v1/complaints/causes/top")
    assert response.status_code == 200
    [item] = response.json()
    assert item["cause"]["slug"] == "delivery" and item["count"] == 1 and item["trend"] == 1


# ---- reviews: agents see their own only -------------------------------------------------------


@pytest.fixture
def review(supervisor, agent, customer):
    case = case_new(customer)
    contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text="Réponse")
    card = Scorecard.objects.create(name="Email")
    criterion = Criterion.objects.create(scorecard=card, name="Tone", weight=1, scale_max=4)
    return services.review_create(
        reviewer=supervisor, case=case, agent=agent, scorecard=card, marks=[Mark(criterion.pk, 3)]
    )


def test_the_agent_sees_and_answers_its_review(agent_api, review):
    listing = agent_api.get("/api/v1/reviews").json()
    assert [r["id"] for r in listing] == [review.pk]
    assert listing[0]["score_percent"] == "75.0" and listing[0]["score_20"] == "15.0"
    response = post(agent_api, f"/api/v1/reviews/{review.pk}/dispute", {"comment": "Non"})
    assert response.json()["status"] == "disputed"


def test_another_agent_does_not_see_the_review(review, other_agent):
    client = bearer_client(other_agent)
    assert client.get("/api/v1/reviews").json() == []
    assert client.get(f"/api/v1/reviews/{review.pk}").status_code == 404
    assert post(client, f"/api/v1/reviews/{review.pk}/acknowledge").status_code == 404


def test_supervisors_see_every_review(supervisor_api, review):
    assert [r["id"] for r in supervisor_api.get("/api/v1/reviews").json()] == [review.pk]


def test_customers_see_no_review(customer_api, review):
    assert customer_api.get(f"/api/v1/reviews/{review.pk}").status_code == 404


def test_huge_review_ids_are_404(agent_api):
    assert agent_api.get(f"/api/v1/reviews/{2**70}").status_code == 404


def test_a_supervisor_creates_a_review_through_the_api(supervisor_api, agent, customer):
    case = case_new(customer)
    contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text="Réponse")
    card = Scorecard.objects.get(name="Standard interaction review")  # seeded (REQ-QA-01)
    payload = {
        "case": case.reference,
        "agent": agent.pk,
        "scorecard": card.pk,
        "marks": [{"criterion": c.pk, "value": 4} for c in card.criteria.all()],
    }
    response = post(supervisor_api, "/api/v1/reviews", payload)
    assert response.status_code == 201, response.content
    assert response.json()["score_20"] == "20.0"
    assert post(bearer_client(agent), "/api/v1/reviews", payload).status_code == 403
