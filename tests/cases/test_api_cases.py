"""The cases endpoints: happy paths, 403 for forbidden actions, 404 without existence leak."""

from __future__ import annotations

import pytest

from guichet.cases import services
from guichet.cases.choices import CaseStatus, ContactKind, EventKind
from guichet.cases.models import Case, CaseEvent, Contact
from tests.cases.conftest import case_new, counts, json_patch, json_post

pytestmark = pytest.mark.django_db

S = CaseStatus
CASE_KEYS = {
    "reference",
    "subject",
    "status",
    "priority",
    "channel",
    "category",
    "tags",
    "customer",
    "owner",
    "team",
    "merged_into",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "sla",  # the nearest service target (guichet.sla)
}


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "code", "details"}
    assert body["message"]
    if code:
        assert body["code"] == code
    return body


# --- POST /cases --------------------------------------------------------------------------


def test_agent_opens_a_case_with_every_field(agent_api, agent, team, category):
    response = json_post(
        agent_api,
        "/api/v1/cases",
        {
            "subject": "Colis abîmé",
            "body": "Le carton était ouvert.",
            "channel": "phone",
            "customer": {"email": "paul@example.test", "name": "Paul Petit"},
            "priority": "high",
            "category": "livraison",
            "tags": ["Casse"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CASE_KEYS
    assert body["reference"] == "G-000001"
    assert (body["status"], body["priority"], body["channel"], body["category"]) == (
        "new",
        "high",
        "phone",
        "livraison",
    )
    assert body["tags"] == ["casse"]
    assert body["owner"] == {"id": agent.pk, "name": "Camille Martin"}
    assert body["team"] == {"id": team.pk, "name": team.name}
    assert body["customer"]["email"] == "paul@example.test"
    assert body["customer"]["name"] == "Paul Petit"


def test_agent_opens_for_a_known_customer_by_email(agent_api, customer):
    response = json_post(
        agent_api,
        "/api/v1/cases",
        {"subject": "Re", "body": "x", "customer": {"email": customer.email.upper()}},
    )
    assert response.status_code == 201
    assert response.json()["customer"]["id"] == customer.pk


def test_agent_chooses_owner_and_team(agent_api, agent, other_team, billing_agent, customer):
    response = json_post(
        agent_api,
        "/api/v1/cases",
        {
            "subject": "Facture",
            "body": "x",
            "customer": {"email": customer.email},
            "team": other_team.pk,
            "owner": billing_agent.pk,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner"]["id"] == billing_agent.pk
    assert response.json()["team"]["id"] == other_team.pk


def test_agent_must_say_who_the_customer_is(agent_api):
    body = _error(
        json_post(agent_api, "/api/v1/cases", {"subject": "x", "body": "y"}),
        422,
        "validation_error",
    )
    assert body["details"][0]["field"] == "customer"
    assert counts() == (0, 0, 0)


def test_customer_opens_their_own_case(customer_api, customer, agent):
    response = json_post(customer_api, "/api/v1/cases", {"subject": "Colis", "body": "Où ?"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"]["id"] == customer.pk
    assert body["owner"]["id"] == agent.pk  # routing, not the customer's choice


def test_customer_cannot_open_for_someone_else(customer_api, other_customer, agent):
    response = json_post(
        customer_api,
        "/api/v1/cases",
        {"subject": "x", "body": "y", "customer": {"email": other_customer.email}},
    )
    _error(response, 403, "forbidden")
    assert counts() == (0, 0, 0)


def test_customer_naming_themselves_is_fine(customer_api, customer, agent):
    response = json_post(
        customer_api,
        "/api/v1/cases",
        {"subject": "x", "body": "y", "customer": {"email": customer.email.upper(), "name": "M"}},
    )
    assert response.status_code == 201


def test_customer_cannot_choose_owner_priority_team_or_tags(
    customer_api, customer, agent, other_agent, other_team, billing_agent
):
    # given the first agent is busier, so routing would pick the other
    case_new(customer=customer, owner=agent)
    response = json_post(
        customer_api,
        "/api/v1/cases",
        {
            "subject": "x",
            "body": "y",
            "owner": agent.pk,
            "team": other_team.pk,
            "priority": "urgent",
            "tags": ["vip"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == other_agent.pk
    assert body["team"]["id"] != other_team.pk
    assert (body["priority"], body["tags"]) == ("normal", [])


def test_customer_portal_account_without_record_gets_one(agent, db):
    from guichet.accounts.services import user_create
    from guichet.customers.models import Customer
    from tests.conftest import bearer_client

    user = user_create(email="nouveau@example.test", first_name="Noé", role="customer")
    response = json_post(bearer_client(user), "/api/v1/cases", {"subject": "x", "body": "y"})
    assert response.status_code == 201, response.content
    assert Customer.objects.get(user=user).email == "nouveau@example.test"


def test_html_body_is_sanitised_through_the_api(agent_api, customer):
    response = json_post(
        agent_api,
        "/api/v1/cases",
        {
            "subject": "x",
            "body_html": '<p>Salut</p><script>alert(1)</script><img src=x onerror="alert(2)">',
            "customer": {"email": customer.email},
        },
    )
    assert response.status_code == 201
    contact = Contact.objects.get()
    assert "script" not in contact.body_html
    assert "onerror" not in contact.body_html
    detail = agent_api.get(f"/api/v1/cases/{response.json()['reference']}").json()
    assert "onerror" not in detail["contacts"][0]["body_html"]
    assert detail["contacts"][0]["body_text"] == "Salut"


# --- GET /cases/{reference} ---------------------------------------------------------------


@pytest.fixture
def conversation(case, agent, customer):
    """A case with a reply, an internal note and a customer answer, in that order."""
    services.contact_add(actor=agent, case=case, kind=ContactKind.REPLY, body_text="Bonjour")
    services.contact_add(actor=agent, case=case, kind=ContactKind.NOTE, body_text="Secret")
    services.contact_add(
        actor=customer.user, case=case, kind=ContactKind.CUSTOMER_MESSAGE, body_text="Merci"
    )
    return case


def test_agent_reads_the_whole_conversation_in_order(agent_api, conversation):
    response = agent_api.get(f"/api/v1/cases/{conversation.reference}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CASE_KEYS | {"contacts"}
    assert [c["kind"] for c in body["contacts"]] == [
        "customer_message",
        "reply",
        "note",
        "customer_message",
    ]
    first = body["contacts"][0]
    assert set(first) >= {"channel", "kind", "author", "created_at", "body_text", "body_html"}
    assert first["author"] == "Marie Dupont"
    assert body["contacts"][1]["author"] == "Camille Martin"
    assert body["contacts"][1]["author_type"] == "agent"


def test_customer_never_sees_internal_notes(customer_api, conversation):
    body = customer_api.get(f"/api/v1/cases/{conversation.reference}").json()
    assert [c["kind"] for c in body["contacts"]] == [
        "customer_message",
        "reply",
        "customer_message",
    ]
    assert "Secret" not in str(body)


def test_reference_is_case_insensitive_in_the_url(agent_api, case):
    assert agent_api.get(f"/api/v1/cases/{case.reference.lower()}").status_code == 200


def test_another_customers_case_looks_exactly_like_a_missing_one(customer_api, other_case):
    # given another customer's case G-000001, and a reference that exists nowhere
    hidden = customer_api.get(f"/api/v1/cases/{other_case.reference}")
    missing = customer_api.get("/api/v1/cases/G-999999")
    # then both are 404 with the same body but for the reference typed
    _error(hidden, 404, "not_found")
    _error(missing, 404, "not_found")
    assert hidden.content.replace(b"G-000001", b"X") == missing.content.replace(b"G-999999", b"X")
    assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("get", "/events", None),
        ("post", "/contacts", {"kind": "customer_message", "body": "Coucou"}),
        ("post", "/status", {"status": "open", "reason": "x"}),
        ("patch", "", {"subject": "pirate"}),
    ],
)
def test_customer_gets_404_for_another_customers_case_everywhere(
    customer_api, other_case, method, suffix, payload
):
    before = counts()
    url = f"/api/v1/cases/{other_case.reference}{suffix}"
    if method == "get":
        response = customer_api.get(url)
    else:
        response = getattr(customer_api, method)(url, payload, content_type="application/json")
    assert response.status_code in (403, 404)
    if suffix != "/events":  # the timeline is agents-only: 403 to every customer, no leak
        _error(response, 404)
    assert counts() == before


def test_agent_of_another_team_gets_404(billing_api, case):
    _error(billing_api.get(f"/api/v1/cases/{case.reference}"), 404)
    _error(
        json_post(
            billing_api, f"/api/v1/cases/{case.reference}/contacts", {"kind": "note", "body": "x"}
        ),
        404,
    )


def test_supervisor_reads_any_case(supervisor_api, case):
    assert supervisor_api.get(f"/api/v1/cases/{case.reference}").status_code == 200


# --- POST /cases/{reference}/contacts -----------------------------------------------------


def test_agent_replies(agent_api, case):
    response = json_post(
        agent_api, f"/api/v1/cases/{case.reference}/contacts", {"kind": "reply", "body": "Bonjour"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["direction"], body["channel"], body["author"]) == (
        "reply",
        "outbound",
        "api",
        "Camille Martin",
    )
    case.refresh_from_db()
    assert case.status == S.OPEN
    assert case.first_response_at is not None


def test_agent_logs_a_call(agent_api, case):
    response = json_post(
        agent_api,
        f"/api/v1/cases/{case.reference}/contacts",
        {
            "kind": "call",
            "body": "Rappelé",
            "channel": "phone",
            "direction": "inbound",
            "duration_seconds": 300,
        },
    )
    assert response.status_code == 201, response.content
    assert (response.json()["direction"], response.json()["duration_seconds"]) == ("inbound", 300)


def test_customer_writes_a_message(customer_api, case):
    response = json_post(
        customer_api, f"/api/v1/cases/{case.reference}/contacts", {"body": "Alors ?"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["channel"], body["author_type"]) == (
        "customer_message",
        "portal",
        "customer",
    )


def test_customer_message_reopens_a_resolved_case_through_the_api(customer_api, case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    json_post(customer_api, f"/api/v1/cases/{case.reference}/contacts", {"body": "Pas réglé"})
    case.refresh_from_db()
    assert case.status == S.OPEN
    assert CaseEvent.objects.filter(case=case, kind=EventKind.REOPENED).exists()


@pytest.mark.parametrize("kind", ["note", "reply", "call"])
def test_customer_cannot_add_agent_contacts(customer_api, case, kind):
    before = counts()
    response = json_post(
        customer_api, f"/api/v1/cases/{case.reference}/contacts", {"kind": kind, "body": "x"}
    )
    _error(response, 403, "forbidden")
    assert counts() == before


def test_contact_on_a_merged_case_is_409(agent_api, customer, agent):
    source, target = case_new(customer=customer), case_new(customer=customer)
    services.case_merge(actor=agent, source=source, target=target)
    response = json_post(
        agent_api, f"/api/v1/cases/{source.reference}/contacts", {"kind": "reply", "body": "x"}
    )
    _error(response, 409, "case_merged")


# --- POST /cases/{reference}/status -------------------------------------------------------


def test_agent_resolves(agent_api, case):
    response = json_post(
        agent_api, f"/api/v1/cases/{case.reference}/status", {"status": "resolved"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_at"] is not None


def test_same_status_is_409(agent_api, case):
    _error(json_post(agent_api, f"/api/v1/cases/{case.reference}/status", {"status": "new"}), 409)


def test_impossible_transition_is_409(agent_api, case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    response = json_post(
        agent_api, f"/api/v1/cases/{case.reference}/status", {"status": "waiting_customer"}
    )
    _error(response, 409, "invalid_transition")


def test_reopening_without_reason_is_422_on_reason(agent_api, case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    body = _error(
        json_post(agent_api, f"/api/v1/cases/{case.reference}/status", {"status": "open"}), 422
    )
    assert body["details"] == [{"field": "reason", "message": "A reason is required."}]


def test_customer_reopens_with_a_reason(customer_api, case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    response = json_post(
        customer_api, f"/api/v1/cases/{case.reference}/status", {"status": "open", "reason": "Non"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"


@pytest.mark.parametrize("status", ["open", "waiting_customer", "resolved", "closed"])
def test_customer_cannot_change_status_otherwise(customer_api, case, status):
    before = counts()
    response = json_post(
        customer_api, f"/api/v1/cases/{case.reference}/status", {"status": status, "reason": "x"}
    )
    _error(response, 403, "forbidden")
    assert counts() == before


# --- POST /cases/{reference}/assign -------------------------------------------------------


def test_agent_transfers_with_a_reason(agent_api, case, other_agent):
    response = json_post(
        agent_api,
        f"/api/v1/cases/{case.reference}/assign",
        {"owner": other_agent.pk, "reason": "Congés"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == other_agent.pk


def test_transfer_without_reason_is_422(agent_api, case, other_agent):
    body = _error(
        json_post(agent_api, f"/api/v1/cases/{case.reference}/assign", {"owner": other_agent.pk}),
        422,
    )
    assert body["details"][0]["field"] == "reason"


def test_agent_takes_a_case_with_me(case, other_agent):
    from tests.conftest import bearer_client

    response = json_post(
        bearer_client(other_agent), f"/api/v1/cases/{case.reference}/assign", {"owner": "me"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == other_agent.pk


def test_moving_to_another_team_through_the_api(agent_api, case, other_team, billing_agent):
    response = json_post(
        agent_api,
        f"/api/v1/cases/{case.reference}/assign",
        {"owner": billing_agent.pk, "team": other_team.pk, "reason": "Facturation"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["team"]["id"] == other_team.pk


def test_assign_to_same_owner_is_409(agent_api, case, agent):
    _error(json_post(agent_api, f"/api/v1/cases/{case.reference}/assign", {"owner": agent.pk}), 409)


def test_customer_cannot_assign(customer_api, case, agent):
    before = counts()
    _error(
        json_post(customer_api, f"/api/v1/cases/{case.reference}/assign", {"owner": agent.pk}),
        403,
        "forbidden",
    )
    assert counts() == before


# --- PATCH /cases/{reference} -------------------------------------------------------------


def test_agent_updates_fields(agent_api, case, category):
    response = json_patch(
        agent_api,
        f"/api/v1/cases/{case.reference}",
        {
            "subject": "Nouveau titre",
            "priority": "urgent",
            "category": "livraison",
            "tags": ["vip"],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["subject"], body["priority"], body["category"], body["tags"]) == (
        "Nouveau titre",
        "urgent",
        "livraison",
        ["vip"],
    )
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {"priority_changed", "category_changed", "tags_changed"} <= kinds


def test_empty_category_clears_it(agent_api, customer, agent, category):
    case = case_new(customer=customer, category=category)
    response = json_patch(agent_api, f"/api/v1/cases/{case.reference}", {"category": ""})
    assert response.status_code == 200
    assert response.json()["category"] is None


def test_patch_leaves_unsent_fields_alone(agent_api, customer, agent, category):
    case = case_new(customer=customer, category=category, priority="high")
    response = json_patch(agent_api, f"/api/v1/cases/{case.reference}", {"subject": "Autre"})
    assert (response.json()["category"], response.json()["priority"]) == ("livraison", "high")


def test_customer_cannot_patch(customer_api, case):
    _error(json_patch(customer_api, f"/api/v1/cases/{case.reference}", {"priority": "urgent"}), 403)
    case.refresh_from_db()
    assert case.priority == "normal"


# --- POST /cases/{reference}/merge --------------------------------------------------------


def test_agent_merges_a_duplicate(agent_api, customer, agent):
    target, source = case_new(customer=customer), case_new(customer=customer)
    response = json_post(
        agent_api, f"/api/v1/cases/{source.reference}/merge", {"into": target.reference}
    )
    assert response.status_code == 200, response.content
    assert response.json()["reference"] == target.reference
    source_view = agent_api.get(f"/api/v1/cases/{source.reference}").json()
    assert (source_view["status"], source_view["merged_into"]) == ("closed", target.reference)
    assert len(agent_api.get(f"/api/v1/cases/{target.reference}").json()["contacts"]) == 2


def test_merge_across_customers_is_409(agent_api, case, other_case):
    response = json_post(
        agent_api, f"/api/v1/cases/{other_case.reference}/merge", {"into": case.reference}
    )
    _error(response, 409, "merge_other_customer")


def test_merge_into_an_invisible_case_is_404(
    billing_api, customer, billing_agent, other_team, agent
):
    visible = case_new(customer=customer, actor=billing_agent, team=other_team)
    hidden = case_new(customer=customer)  # default team, not billing's
    response = json_post(
        billing_api, f"/api/v1/cases/{visible.reference}/merge", {"into": hidden.reference}
    )
    _error(response, 404)
    assert Case.objects.get(pk=visible.pk).merged_into is None


def test_customer_cannot_merge(customer_api, customer, agent):
    target, source = case_new(customer=customer), case_new(customer=customer)
    response = json_post(
        customer_api, f"/api/v1/cases/{source.reference}/merge", {"into": target.reference}
    )
    _error(response, 403)


# --- GET /cases/{reference}/events --------------------------------------------------------


def test_agent_reads_the_timeline(agent_api, case, agent):
    services.case_change_status(actor=agent, case=case, status=S.RESOLVED)
    response = agent_api.get(f"/api/v1/cases/{case.reference}/events")
    assert response.status_code == 200
    events = response.json()
    assert [e["kind"] for e in events] == ["created", "assigned", "contact_added", "status_changed"]
    assert events[-1]["actor"] == "Camille Martin"
    assert events[-1]["data"] == {"old": "new", "new": "resolved", "reason": ""}


def test_customer_cannot_read_the_timeline(customer_api, case):
    _error(customer_api.get(f"/api/v1/cases/{case.reference}/events"), 403)


def test_timeline_of_an_invisible_case_is_404(billing_api, case):
    _error(billing_api.get(f"/api/v1/cases/{case.reference}/events"), 404)
