import pytest
from django.contrib import admin
from django.urls import reverse

from guichet.accounts.services import administrator_ensure
from guichet.cases.models import Case
from guichet.cases.services import case_open

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "customers", "cases")


@pytest.fixture
def admin_client(client, db):
    user, _ = administrator_ensure(email="root@guichet.test", password="a-long-passphrase-1")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label in OUR_APPS],
    ids=lambda m: m._meta.label,
)
def test_every_changelist_renders_for_an_administrator(admin_client, model, agent, customer):
    case_open(actor=None, customer=customer, subject="Retard", body_text="Où est ma commande ?")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_a_case_can_be_viewed_but_not_changed_in_the_admin(admin_client, customer, agent):
    # given a case, when the administrator opens it in the admin
    case = case_open(actor=None, customer=customer, subject="Retard", body_text="Où ?")
    url = reverse("admin:cases_case_change", args=[case.pk])
    page = admin_client.get(url)
    # then it is shown with its conversation, and a POST changes nothing
    assert page.status_code == 200
    assert "Où ?" in page.content.decode()
    admin_client.post(url, {"subject": "Autre", "status": "closed"})
    case.refresh_from_db()
    assert (case.subject, case.status) == ("Retard", "new")
    assert Case.objects.count() == 1


def test_an_agent_cannot_open_the_admin(client, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
