"""Bad input: 422 naming the field, one error shape, never a 500, nothing half-written."""

from __future__ import annotations

import pytest

from tests.cases.conftest import counts, json_patch, json_post

pytestmark = pytest.mark.django_db

OPEN = "/api/v1/cases"


def _field_error(response, field: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"message", "code", "details"}
    assert body["code"] == "validation_error"
    fields = [d["field"] for d in body["details"]]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), body
    assert all(d["message"] for d in body["details"])
    return body


def _valid_open(**overrides) -> dict:
    payload = {"subject": "Colis", "body": "Où est-il ?", "customer": {"email": "p@example.test"}}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


# --- POST /cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("subject", _valid_open(subject=...)),
        ("subject", _valid_open(subject="   ")),
        ("subject", _valid_open(subject="x" * 251)),
        ("subject", _valid_open(subject=None)),
        ("subject", _valid_open(subject=["a"])),
        ("body", _valid_open(body="")),
        ("body", _valid_open(body={"text": "x"})),
        ("channel", _valid_open(channel="fax")),
        ("priority", _valid_open(priority="asap")),
        ("category", _valid_open(category="nope")),
        ("team", _valid_open(team=987654)),
        ("team", _valid_open(team="abc")),
        ("owner", _valid_open(owner=987654)),
        ("customer.email", _valid_open(customer={"email": "not-an-email"})),
        ("customer.email", _valid_open(customer={"name": "Sans adresse"})),
        ("customer", _valid_open(customer="p@example.test")),
        ("tags", _valid_open(tags="vip")),
        ("tags", _valid_open(tags=[f"t{i}" for i in range(21)])),
    ],
)
def test_open_with_bad_input_is_422_on_the_field(agent_api, agent, category, field, payload):
    before = counts()
    _field_error(json_post(agent_api, OPEN, payload), field)
    assert counts() == before


def test_owner_that_is_a_customer_account_is_422(agent_api, agent, customer):
    _field_error(json_post(agent_api, OPEN, _valid_open(owner=customer.user.pk)), "owner")


def test_owner_outside_the_chosen_team_is_422(agent_api, agent, team, billing_agent):
    _field_error(
        json_post(agent_api, OPEN, _valid_open(owner=billing_agent.pk, team=team.pk)), "owner"
    )


def test_inactive_owner_is_422(agent_api, agent, other_agent):
    other_agent.is_active = False
    other_agent.save()
    _field_error(json_post(agent_api, OPEN, _valid_open(owner=other_agent.pk)), "owner")


def test_malformed_json_is_422_on_the_body(agent_api, agent):
    response = agent_api.post(OPEN, '{"subject": "x", ', content_type="application/json")
    _field_error(response, "body")
    assert counts() == (0, 0, 0)


def test_json_that_is_not_an_object_is_422(agent_api, agent):
    for raw in ("[1, 2]", '"texte"', "42", "null", "true"):
        response = agent_api.post(OPEN, raw, content_type="application/json")
        assert response.status_code == 422, (raw, response.content)
        assert set(response.json()) == {"message", "code", "details"}


def test_empty_body_is_422_on_the_body(agent_api, agent):
    _field_error(agent_api.post(OPEN, "", content_type="application/json"), "body")


def test_union_field_error_names_the_field_once(agent_api, case):
    # given "owner" accepts an id or "me": pydantic reports one error per alternative
    response = json_post(agent_api, f"{OPEN}/{case.reference}/assign", {"owner": "bob"})
    # then the client sees one detail, on "owner"
    body = _field_error(response, "owner")
    assert [d["field"] for d in body["details"]] == ["owner"]


# --- GET /cases ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "query"),
    [
        ("status", "status=archived"),
        ("status", "status=open,nope"),
        ("priority", "priority=asap"),
        ("owner", "owner=bob"),
        ("team", "team=abc"),
        ("customer", "customer=1.5"),
        ("updated_since", "updated_since=yesterday"),
        ("cursor", "cursor=garbage"),
        ("cursor", "cursor=%00%01"),
        ("cursor", "cursor=WyJ4IiwgMV0"),  # ["x", 1]
        ("cursor", "cursor=WzFdCg"),  # [1]
        ("cursor", "cursor=eyJhIjogMX0"),  # {"a": 1}
        ("cursor", "cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgMWU5OTld"),  # pk 1e999
        ("limit", "limit=0"),
        ("limit", "limit=201"),
        ("limit", "limit=ten"),
    ],
)
def test_list_with_bad_query_is_422_on_the_field(agent_api, case, field, query):
    _field_error(agent_api.get(f"{OPEN}?{query}"), field)


# --- other writes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("kind", {"kind": "status_notice", "body": "x"}),
        ("kind", {"kind": "sms", "body": "x"}),
        ("body", {"kind": "reply", "body": ""}),
        ("channel", {"kind": "reply", "body": "x", "channel": "fax"}),
        ("direction", {"kind": "call", "body": "x", "direction": "sideways"}),
        ("duration_seconds", {"kind": "call", "body": "x", "duration_seconds": -5}),
        ("duration_seconds", {"kind": "call", "body": "x", "duration_seconds": "long"}),
    ],
)
def test_contact_with_bad_input_is_422(agent_api, case, field, payload):
    before = counts()
    _field_error(json_post(agent_api, f"{OPEN}/{case.reference}/contacts", payload), field)
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("status", {"status": "archived"}),
        ("status", {}),
        ("reason", {"status": "closed", "reason": "x" * 501}),
    ],
)
def test_status_with_bad_input_is_422(agent_api, case, field, payload):
    _field_error(json_post(agent_api, f"{OPEN}/{case.reference}/status", payload), field)


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("owner", {"owner": "bob"}),
        ("owner", {"owner": 987654, "reason": "x"}),
        ("team", {"team": 987654, "reason": "x"}),
        ("team", {"team": "billing"}),
    ],
)
def test_assign_with_bad_input_is_422(agent_api, case, field, payload):
    before = counts()
    _field_error(json_post(agent_api, f"{OPEN}/{case.reference}/assign", payload), field)
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("priority", {"priority": "asap"}),
        ("category", {"category": "nope"}),
        ("subject", {"subject": ""}),
        ("subject", {"subject": "x" * 251}),
        ("tags", {"tags": "vip"}),
    ],
)
def test_patch_with_bad_input_is_422(agent_api, case, field, payload):
    _field_error(json_patch(agent_api, f"{OPEN}/{case.reference}", payload), field)


def test_merge_without_target_is_422(agent_api, case):
    _field_error(json_post(agent_api, f"{OPEN}/{case.reference}/merge", {}), "into")


def test_merge_into_a_missing_case_is_404(agent_api, case):
    response = json_post(agent_api, f"{OPEN}/{case.reference}/merge", {"into": "G-999999"})
    assert response.status_code == 404


# --- garbage ------------------------------------------------------------------------------

GARBAGE = [
    b"",
    b"{",
    b"\x00\x01\x02\xff\xfe",
    b"\xff" * 100,
    b"[]",
    b"{}",
    b'{"subject": {"$ne": null}}',
    b'{"subject": "x", "body": "y", "customer": {"email": "a@b.test", "name": null}}',
    b'{"subject": 1e999, "body": "y"}',
    b'{"team": 99999999999999999999999999, "owner": -1}',
    b'{"owner": 9223372036854775808, "team": 9223372036854775807, "reason": "x"}',
    b'{"status": "open", "reason": null}',
    b'{"kind": null, "body": null}',
    b'{"duration_seconds": 1e10, "kind": "call", "body": "x"}',
    b'{"into": "G-\\u0000"}',
    b'{"tags": [null, 1, {"a": 1}]}',
    b'{"category": ["a"]}',
    b'"' + b"a" * 10_000 + b'"',
    b"subject=x&body=y",
    b"<xml>not json</xml>",
    b'{"subject": "\\ud800", "body": "\\udfff", "customer": {"email": "x@y.test"}}',
    b'{"subject": "a\\u0000b", "body": "c\\u0000d",'
    b' "customer": {"email": "x@y.test", "name": "n\\u0000"}}',
    b'{"kind": "reply", "body": "a\\u0000b", "tags": ["t\\u0000"], "subject": "s\\u0000"}',
    b'{"name": "N\\u0000", "email": "z@y.test", "organisation": "O\\u0000", "segment": "\\u0000"}',
    b'{"status": "resolved", "reason": "r\\u0000", "into": "\\u0000", "category": "\\u0000"}',
]
WRITE_URLS = [
    ("post", "/api/v1/cases"),
    ("post", "/api/v1/cases/{ref}/contacts"),
    ("post", "/api/v1/cases/{ref}/status"),
    ("post", "/api/v1/cases/{ref}/assign"),
    ("post", "/api/v1/cases/{ref}/merge"),
    ("patch", "/api/v1/cases/{ref}"),
    ("post", "/api/v1/customers"),
]


@pytest.mark.parametrize(("method", "url"), WRITE_URLS)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_garbage_never_gives_a_500(agent_api, case, method, url, content_type):
    for raw in GARBAGE:
        response = getattr(agent_api, method)(
            url.format(ref=case.reference), raw, content_type=content_type
        )
        assert response.status_code < 500, (raw, response.status_code, response.content[:300])
        if response.status_code >= 400:
            assert set(response.json()) == {"message", "code", "details"}, raw


GARBAGE_QUERIES = [
    "team=99999999999999999999999",
    "customer=-99999999999999999999",
    "owner=99999999999999999999999",
    "team=9223372036854775808",
    "updated_since=9999-12-31T23:59:59",
    "updated_since=2026-01-01T00:00:00",
    "updated_since=0001-01-01T00:00:00%2B14:00",
    "status=%00",
    "status=" + "open," * 500,
    "cursor=" + "A" * 5000,
    "cursor=WyI5OTk5LTEyLTMxVDIzOjU5OjU5IiwgOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",
    "limit=-1",
    "limit=99999999999999999999999",
    "owner=me&owner=none",
    "priority=",
    "status=",
    "owner=%00",
    "priority=%00",
]


@pytest.mark.parametrize("query", GARBAGE_QUERIES)
def test_garbage_queries_never_give_a_500(agent_api, case, query):
    response = agent_api.get(f"/api/v1/cases?{query}")
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"message", "code", "details"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/%00",
        "/api/v1/cases/" + "G" * 3000,
        "/api/v1/cases/G-000001%27%20OR%201=1",
        "/api/v1/customers/99999999999999999999999",
        "/api/v1/customers/abc",
        "/api/v1/cases/G-%00/events",
    ],
)
def test_garbage_paths_never_give_a_500(agent_api, case, path):
    response = agent_api.get(path)
    assert response.status_code < 500
    assert response.status_code in (404, 422)


def test_unknown_api_url_answers_in_the_error_shape(agent_api):
    response = agent_api.get("/api/v1/nope")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "code", "details"}


def test_customer_search_with_nul_is_harmless(agent_api, customer):
    response = agent_api.get("/api/v1/customers?search=Marie%00")
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["items"]] == ["Marie Dupont"]


def test_nul_characters_are_dropped_from_json_input(agent_api, customer):
    # when a client sends NUL characters inside the strings of a new case
    response = agent_api.post(
        OPEN,
        b'{"subject": "Co\\u0000lis", "body": "Bon\\u0000jour", "customer": {"email": "%s"}}'
        % customer.email.encode(),
        content_type="application/json",
    )
    # then they are simply dropped, on SQLite as on PostgreSQL
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "Colis"


@pytest.mark.parametrize(
    "overrides",
    [{"subject": "   "}, {"category": "nope"}, {"owner": 987654}, {"body": ""}],
)
def test_failed_open_leaves_no_orphan_customer(agent_api, agent, overrides):
    # given a new customer's address, when the case itself is refused
    from guichet.customers.models import Customer

    payload = _valid_open(customer={"email": "nouveau@example.test", "name": "Nouveau"})
    response = json_post(agent_api, OPEN, {**payload, **overrides})
    # then the customer created on the way is rolled back with everything else
    assert response.status_code == 422
    assert not Customer.objects.filter(email="nouveau@example.test").exists()
    assert counts() == (0, 0, 0)
