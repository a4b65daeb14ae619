"""Customer services: creation, identities by email, no duplicates."""

from __future__ import annotations

import pytest

from guichet.core.errors import ValidationFailed
from guichet.customers.models import Customer, CustomerEmail, Organisation
from guichet.customers.services import (
    customer_create,
    customer_email_add,
    customer_get_or_create_by_email,
)

pytestmark = pytest.mark.django_db


def test_create_normalises_the_email_and_records_it_as_primary():
    customer = customer_create(name=" Marie Dupont ", email="  Marie.Dupont@Example.TEST ")
    assert (customer.name, customer.email) == ("Marie Dupont", "marie.dupont@example.test")
    assert list(customer.emails.values_list("address", "is_primary")) == [
        ("marie.dupont@example.test", True)
    ]


def test_name_defaults_to_the_email_local_part():
    assert customer_create(name="", email="paul.petit@example.test").name == "paul.petit"


def test_a_customer_needs_a_name_or_an_email():
    with pytest.raises(ValidationFailed) as caught:
        customer_create(name="  ")
    assert caught.value.details[0]["field"] == "name"


def test_phone_only_customer_is_allowed():
    customer = customer_create(name="Jean", phone=" 01 23 45 67 89 ")
    assert (customer.email, customer.phone) == ("", "01 23 45 67 89")
    assert not CustomerEmail.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.test", "a b@c.test"])
def test_invalid_email_is_refused(email):
    with pytest.raises(ValidationFailed) as caught:
        customer_create(name="X", email=email)
    assert caught.value.details[0]["field"] == "email"
    assert not Customer.objects.exists()


def test_an_email_belongs_to_one_customer_only():
    customer_create(name="Marie", email="marie@example.test")
    with pytest.raises(ValidationFailed) as caught:
        customer_create(name="Autre Marie", email="MARIE@example.test")
    assert caught.value.details[0]["field"] == "email"
    assert Customer.objects.count() == 1


def test_language_must_be_french_or_english():
    with pytest.raises(ValidationFailed) as caught:
        customer_create(name="Hans", language="de")
    assert caught.value.details[0]["field"] == "language"


def test_name_longer_than_200_is_refused():
    with pytest.raises(ValidationFailed):
        customer_create(name="x" * 201)


def test_organisation_is_shared_by_name():
    a = customer_create(name="A", organisation_name="ACME")
    b = customer_create(name="B", organisation_name=" ACME ")
    assert a.organisation == b.organisation
    assert Organisation.objects.count() == 1


def test_get_or_create_finds_a_known_address_whatever_its_case():
    known = customer_create(name="Marie", email="marie@example.test")
    customer, created = customer_get_or_create_by_email(email=" Marie@Example.test", name="M")
    assert (customer, created) == (known, False)


def test_get_or_create_finds_a_secondary_address():
    known = customer_create(name="Marie", email="marie@example.test")
    customer_email_add(customer=known, email="marie.pro@work.test")
    assert customer_get_or_create_by_email(email="marie.pro@work.test")[0] == known


def test_get_or_create_creates_on_first_contact():
    customer, created = customer_get_or_create_by_email(email="new@example.test", name="Nouveau")
    assert created
    assert (customer.name, customer.email) == ("Nouveau", "new@example.test")


def test_email_add_refuses_an_address_of_someone_else():
    customer_create(name="A", email="a@example.test")
    b = customer_create(name="B", email="b@example.test")
    with pytest.raises(ValidationFailed):
        customer_email_add(customer=b, email="A@example.test")


def test_email_add_is_idempotent():
    a = customer_create(name="A", email="a@example.test")
    first = customer_email_add(customer=a, email="alt@example.test")
    assert customer_email_add(customer=a, email="ALT@example.test") == first
    assert a.emails.count() == 2


# --- Many addresses at once (a batch of inbound mail) ------------------------------------------


def test_many_addresses_make_one_customer_each_and_find_the_known_ones(db):
    from guichet.customers.models import Customer
    from guichet.customers.services import customers_get_or_create_by_email

    known = customer_create(name="Paul Petit", email="paul@example.fr")
    found = customers_get_or_create_by_email(
        people=[
            ("Marie@Example.fr", "Marie Dupont"),
            ("marie@example.fr", "Autre nom"),  # the same address again: one customer
            ("PAUL@example.fr", "Paul"),
            ("lea@example.fr", ""),
        ]
    )
    assert set(found) == {"marie@example.fr", "paul@example.fr", "lea@example.fr"}
    assert found["paul@example.fr"] == known
    assert found["marie@example.fr"].name == "Marie Dupont"
    assert found["lea@example.fr"].name == "lea"
    assert Customer.objects.count() == 3
    assert found["marie@example.fr"].emails.get().is_primary


def test_many_addresses_with_an_invalid_one_write_nothing(db):
    from guichet.core.errors import ValidationFailed
    from guichet.customers.models import Customer
    from guichet.customers.services import customers_get_or_create_by_email

    with pytest.raises(ValidationFailed):
        customers_get_or_create_by_email(people=[("a@example.fr", "A"), ("pas une adresse", "B")])
    assert Customer.objects.count() == 0
