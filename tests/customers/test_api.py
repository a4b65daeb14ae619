"""GET/POST /api/v1/customers: agents see everyone, a customer only itself."""

from __future__ import annotations

import pytest

from guichet.customers.models import Customer
from guichet.customers.services import customer_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"
KEYS = {"id", "name", "email", "phone", "language", "organisation", "segment", "created_at"}


def _post(client, data):
    return client.post(URL, data, content_type="application/json")


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {c["name"] for c in response.json()["items"]}


def test_agent_creates_a_customer(agent_api):
    response = _post(
        agent_api,
        {
            "name": "Paul Petit",
            "email": "Paul@Example.test",
            "phone": "0102030405",
            "language": "en",
            "organisation": "ACME",
            "segment": "pro",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == KEYS
    assert (body["email"], body["organisation"], body["language"], body["segment"]) == (
        "paul@example.test",
        "ACME",
        "en",
        "pro",
    )


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("email", {"name": "X", "email": "nope"}),
        ("language", {"name": "X", "language": "de"}),
        ("name", {"name": ""}),
        ("name", {"name": "x" * 201}),
        ("phone", {"name": "X", "phone": "1" * 41}),
        ("email", {"name": "X", "email": 42}),
    ],
)
def test_bad_customer_is_422_on_the_field(agent_api, field, data):
    response = _post(agent_api, data)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [d["field"] for d in body["details"]]
    assert not Customer.objects.exists()


def test_duplicate_email_is_refused(agent_api, customer):
    response = _post(agent_api, {"name": "Autre", "email": customer.email.upper()})
    assert response.status_code == 422
    assert Customer.objects.count() == 1


def test_customer_cannot_create_customers(customer_api):
    response = _post(customer_api, {"name": "Faux", "email": "faux@example.test"})
    assert response.status_code == 403
    assert set(response.json()) == {"message", "code", "details"}
    assert not Customer.objects.filter(email="faux@example.test").exists()


def test_agent_lists_every_customer(agent_api, customer, other_customer):
    assert _names(agent_api.get(URL)) == {"Marie Dupont", "Jean Morel"}


def test_customer_lists_only_itself(customer_api, customer, other_customer):
    assert _names(customer_api.get(URL)) == {"Marie Dupont"}


@pytest.mark.parametrize(
    ("search", "expected"),
    [("morel", {"Jean Morel"}), ("MARIE.DUP", {"Marie Dupont"}), ("acme", {"Zoé"})],
)
def test_agent_searches_by_name_email_or_organisation(
    agent_api, customer, other_customer, search, expected
):
    customer_create(name="Zoé", email="zoe@example.test", organisation_name="Acme SA")
    assert _names(agent_api.get(f"{URL}?search={search}")) == expected


def test_search_does_not_repeat_a_customer_with_several_matching_addresses(agent_api, customer):
    from guichet.customers.services import customer_email_add

    customer_email_add(customer=customer, email="marie.perso@example.test")
    items = agent_api.get(f"{URL}?search=marie").json()["items"]
    assert [c["id"] for c in items] == [customer.pk]


def test_customer_list_pages_without_duplicates(agent_api):
    for i in range(7):
        customer_create(name=f"Client {i}", email=f"c{i}@example.test")
    seen: list[int] = []
    cursor = None
    while True:
        url = f"{URL}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = agent_api.get(url).json()
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7


def test_customer_list_bad_cursor_is_422(agent_api):
    response = agent_api.get(f"{URL}?cursor=garbage")
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "cursor"


def test_agent_reads_one_customer(agent_api, customer):
    response = agent_api.get(f"{URL}/{customer.pk}")
    assert response.status_code == 200
    assert response.json()["email"] == customer.email


def test_customer_reads_itself_but_not_another(customer_api, customer, other_customer):
    assert customer_api.get(f"{URL}/{customer.pk}").status_code == 200
    hidden = customer_api.get(f"{URL}/{other_customer.pk}")
    missing = customer_api.get(f"{URL}/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_customers_need_authentication(db):
    from django.test import Client

    assert Client().get(URL).status_code == 401
