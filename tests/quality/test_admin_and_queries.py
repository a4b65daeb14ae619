"""Admin for the configuration rows; query counts of the lists do not grow with the rows."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.accounts.services import administrator_ensure
from guichet.quality.models import QualityPolicy
from tests.conftest import bearer_client
from tests.quality.conftest import case_new, complaint_new, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db) -> Client:
    user, _ = administrator_ensure(email="root@guichet.test", password="a-long-passphrase-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label == "quality"],
    ids=lambda m: m._meta.label,
)
def test_every_quality_changelist_renders(admin_client, model, complaint, mediator):
    url = reverse(f"admin:quality_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_the_policy_is_one_row(admin_client, policy):
    # REQ-LEG-06: a settings row, not a list
    assert admin_client.get(reverse("admin:quality_qualitypolicy_add")).status_code == 403
    url = reverse("admin:quality_qualitypolicy_change", args=[policy.pk])
    response = admin_client.post(
        url,
        {
            "regulatory_profile": "acpr",
            "counting_mode": "",
            "mediation_months": 2,
            "review_samples_per_agent": 3,
        },
    )
    assert response.status_code == 302
    assert QualityPolicy.objects.get().regulatory_profile == "acpr"


def test_complaints_are_read_only_in_the_admin(admin_client, complaint):
    url = reverse("admin:quality_complaint_change", args=[complaint.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"status": "closed"})
    complaint.refresh_from_db()
    assert complaint.status == "received"


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = callable_()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _complaints(customer, agent, n):
    for _ in range(n):
        walk_to(complaint_new(case_new(customer), agent), agent, "closed")


def test_register_page_queries_do_not_grow(supervisor, customer, agent):
    client = Client()
    client.force_login(supervisor)
    _complaints(customer, agent, 2)
    few = _queries(lambda: client.get("/quality/complaints/"))
    _complaints(customer, agent, 4)
    assert _queries(lambda: client.get("/quality/complaints/")) == few


def test_register_export_queries_do_not_grow(supervisor, customer, agent):
    client = Client()
    client.force_login(supervisor)
    _complaints(customer, agent, 2)
    few = _queries(lambda: client.get("/quality/complaints/?export=xlsx"))
    _complaints(customer, agent, 4)
    assert _queries(lambda: client.get("/quality/complaints/?export=xlsx")) == few


def test_api_register_queries_do_not_grow(supervisor, customer, agent):
    client = bearer_client(supervisor)
    _complaints(customer, agent, 2)
    client.get("/api/v1/complaints")  # the token's first use is recorded once
    few = _queries(lambda: client.get("/api/v1/complaints"))
    _complaints(customer, agent, 4)
    assert _queries(lambda: client.get("/api/v1/complaints")) == few
