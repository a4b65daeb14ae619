import pytest

pytestmark = pytest.mark.django_db


def test_agent_opens_case_for_a_new_customer_and_it_gets_a_named_owner(agent_api, agent):
    # given an agent with a token, when they open a case for a customer by email
    response = agent_api.post(
        "/api/v1/cases",
        {
            "subject": "Colis non reçu",
            "body": "Bonjour, mon colis n'est pas arrivé.",
            "customer": {"email": "Paul@Example.test", "name": "Paul Petit"},
        },
        content_type="application/json",
    )
    # then the case exists, with a reference, new status and the only team member as owner
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == "G-000001"
    assert body["status"] == "new"
    assert body["owner"]["id"] == agent.pk
    assert body["customer"]["email"] == "paul@example.test"
