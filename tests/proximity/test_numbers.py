"""Contact numbers carry a tariff class; a premium-rate number for after-sales or complaints
gets a warning (REQ-LEG-04, Code de la consommation L121-16)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from guichet.accounts.choices import Role
from guichet.accounts.services import user_create
from guichet.core.errors import PermissionDenied
from guichet.proximity.services.numbers import (
    contact_number_save,
    number_warnings,
    tariff_class_guess,
)
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(db):
    return user_create(email="admin@guichet.test", role=Role.ADMINISTRATOR, first_name="Ada")


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("0 800 12 34 56", "free"),
        ("08 05 12 34 56", "free"),
        ("0806 12 34 56", "standard"),
        ("09 70 12 34 56", "standard"),
        ("01 23 45 67 89", "standard"),
        ("+33 8 92 12 34 56", "premium"),
        ("0891 12 34 56", "premium"),
        ("0820 12 34 56", "premium"),
        ("118 218", "premium"),
        ("3010", "free"),
        ("+44 20 7946 0000", None),
    ],
)
def test_the_numbering_plan_tells_the_tariff(number, expected):
    assert tariff_class_guess(number) == expected


def test_a_premium_number_for_complaints_is_warned_about():
    warnings = number_warnings(number="0892 12 34 56", purpose="complaints", tariff_class="premium")
    assert len(warnings) == 1
    assert "L121-16" in warnings[0]


def test_a_premium_number_declared_standard_is_caught_by_its_prefix():
    warnings = number_warnings(
        number="0899 12 34 56", purpose="after_sales", tariff_class="standard"
    )
    assert len(warnings) == 2
    assert "looks like a premium-rate number" in warnings[0]


def test_a_premium_sales_line_is_allowed_without_legal_warning():
    assert number_warnings(number="0892 12 34 56", purpose="sales", tariff_class="premium") == []


def test_a_free_after_sales_number_has_no_warning():
    assert number_warnings(number="0800 12 34 56", purpose="after_sales", tariff_class="free") == []


def test_only_administrators_set_numbers(agent):
    with pytest.raises(PermissionDenied):
        contact_number_save(
            actor=agent, label="SAV", number="0800123456", purpose="after_sales",
            tariff_class="free",
        )  # fmt: skip


def test_the_api_returns_the_warning_to_the_administrator(administrator):
    response = bearer_client(administrator).post(
        "/api/v1/contact-numbers",
        {"label": "SAV", "number": "0892 12 34 56", "purpose": "after_sales",
         "tariff_class": "premium"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    assert "L121-16" in response.json()["warnings"][0]


def test_the_admin_shows_the_warning_on_save(administrator):
    client = Client()
    client.force_login(administrator)
    response = client.post(
        reverse("admin:proximity_contactnumber_add"),
        {"label": "Réclamations", "number": "0891 00 00 00", "purpose": "complaints",
         "tariff_class": "premium", "shown_to_customers": "on", "order": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("L121-16" in t for t in texts)


def test_customers_read_numbers_with_their_tariff(administrator, customer_api):
    contact_number_save(
        actor=administrator, label="SAV", number="09 70 00 00 00", purpose="after_sales",
        tariff_class="standard",
    )  # fmt: skip
    rows = customer_api.get("/api/v1/contact-numbers").json()
    assert rows[0]["tariff_class"] == "standard"
    assert rows[0]["tariff_label"] == "Standard rate (price of a normal call)"
