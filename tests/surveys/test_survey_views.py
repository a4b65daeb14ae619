"""The one-click survey page: GET never records (mail scanners open links), POST records, a
second POST updates; forged or expired links get a clear page; opt-out by link."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.surveys import services
from guichet.surveys.models import SurveyAnswer, SurveyInvitation, SurveyOptOut
from guichet.surveys.tokens import (
    SALT,
    TokenExpired,
    TokenInvalid,
    invitation_from_token,
    invitation_token,
)
from tests.surveys.conftest import open_case, reply, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(config, agent, customer) -> SurveyInvitation:
    now = timezone.now()
    case = open_case(agent=agent, customer=customer, at=now - timedelta(hours=3))
    reply(agent=agent, case=case, at=now - timedelta(hours=2))
    resolve(agent=agent, case=case, at=now - timedelta(hours=1))
    invitation, reason = services.invitation_schedule(case_id=case.pk, now=now)
    assert reason == ""
    return invitation


def _url(invitation, **query):
    url = reverse("surveys:answer", kwargs={"token": invitation_token(invitation)})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def test_get_with_the_clicked_answer_shows_it_selected_and_records_nothing(invitation):
    # given a mail scanner (or the customer) opening the "no" link
    response = Client().get(_url(invitation, expectations_met="no"))
    # then the page shows the answer selected, ready to be posted by its script…
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="no" checked' in html
    assert 'data-autosubmit="expectations_met"' in html
    assert 'name="csat"' in html  # the rest of the questions below it
    # …and nothing is recorded by the GET
    assert not SurveyAnswer.objects.exists()
    assert response["Referrer-Policy"] == "same-origin"


def test_post_records_the_answer(invitation):
    client = Client()
    response = client.post(
        _url(invitation), {"expectations_met": "yes"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 200
    assert response.json() == {"recorded": True}
    assert SurveyAnswer.objects.get().expectations_met is True


def test_second_post_updates_instead_of_duplicating(invitation):
    client = Client()
    client.post(_url(invitation), {"expectations_met": "yes"})
    response = client.post(
        _url(invitation), {"expectations_met": "no", "csat": "2", "comment": "Trop long."}
    )
    assert response.status_code == 302
    answer = SurveyAnswer.objects.get()
    assert (answer.expectations_met, answer.csat, answer.comment) == (False, 2, "Trop long.")


def test_one_click_post_keeps_the_other_answers(invitation):
    client = Client()
    client.post(_url(invitation), {"expectations_met": "yes", "csat": "5"})
    client.post(_url(invitation), {"expectations_met": "no"})
    answer = SurveyAnswer.objects.get()
    assert (answer.expectations_met, answer.csat) == (False, 5)


def test_invalid_answer_is_a_clear_422_not_an_error(invitation):
    response = Client().post(_url(invitation), {"csat": "9"})
    assert response.status_code == 422
    assert "de 1 à 5" in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_forged_token_gets_a_clear_page(invitation):
    token = invitation_token(invitation)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = Client().get(reverse("surveys:answer", kwargs={"token": forged}))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_forged_token_cannot_post(invitation):
    response = Client().post(
        reverse("surveys:answer", kwargs={"token": "garbage"}), {"expectations_met": "yes"}
    )
    assert response.status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_token_signed_for_another_customer_is_refused(invitation, other_customer):
    payload = {
        "i": invitation.pk,
        "c": other_customer.pk,
        "n": invitation.nonce,
        "e": int(invitation.expires_at.timestamp()),
    }
    with pytest.raises(TokenInvalid):
        invitation_from_token(signing.dumps(payload, salt=SALT))


def test_token_with_a_wrong_nonce_is_refused(invitation):
    payload = {
        "i": invitation.pk,
        "c": invitation.customer_id,
        "n": "guessed",
        "e": int(invitation.expires_at.timestamp()),
    }
    with pytest.raises(TokenInvalid):
        invitation_from_token(signing.dumps(payload, salt=SALT))


def test_token_signed_with_another_salt_is_refused(invitation):
    payload = {
        "i": invitation.pk,
        "c": invitation.customer_id,
        "n": invitation.nonce,
        "e": int(invitation.expires_at.timestamp()),
    }
    with pytest.raises(TokenInvalid):
        invitation_from_token(signing.dumps(payload, salt="other"))


def test_expired_token_gets_a_clear_page(invitation):
    token = invitation_token(invitation)
    with pytest.raises(TokenExpired):
        invitation_from_token(token, now=invitation.expires_at + timedelta(seconds=1))
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    response = Client().get(reverse("surveys:answer", kwargs={"token": token}))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_opt_out_get_asks_and_post_records(invitation):
    url = reverse("surveys:opt_out", kwargs={"token": invitation_token(invitation)})
    client = Client()
    assert client.get(url).status_code == 200
    assert not SurveyOptOut.objects.exists()
    # RFC 8058 one-click: a mail client POSTs without a CSRF token
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert SurveyOptOut.objects.filter(customer=invitation.customer).exists()


def test_survey_page_speaks_the_customers_language(invitation):
    invitation.language = "en"
    invitation.save()
    html = Client().get(_url(invitation)).content.decode()
    assert "Did our service meet your expectations?" in html
