"""Knowledge answers offered beside the portal's new-request form: only published ones, in the
customer's language, matched on the words of the subject whatever their accents or plural."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guichet.knowledge.models import Answer
from guichet.knowledge.selectors import answers_matching

pytestmark = pytest.mark.django_db


def answer(title: str, *, published: bool = True, language: str = "fr", **kwargs) -> Answer:
    return Answer.objects.create(
        title=title,
        body=kwargs.pop("body", "Voici la marche à suivre."),
        is_published=published,
        language=language,
        **kwargs,
    )


def titles(found) -> list[str]:
    return [a.title for a in found]


def test_a_subject_finds_the_answer_sharing_its_words_whatever_accents_and_plural():
    parcel = answer("Où en est ma livraison ?", keywords="colis suivi")
    answer("Changer mon mot de passe")
    assert titles(answers_matching(text="Livraisons en retard", language="fr")) == [parcel.title]
    assert titles(answers_matching(text="COLIS perdu", language="fr")) == [parcel.title]
    assert titles(answers_matching(text="livraíson", language="fr")) == [parcel.title]


def test_drafts_and_other_languages_are_never_offered():
    answer("Livraison : brouillon", published=False)
    answer("Delivery status", language="en", keywords="livraison")
    assert answers_matching(text="livraison", language="fr") == []
    assert titles(answers_matching(text="livraison", language="en")) == ["Delivery status"]


def test_title_matches_come_first_and_at_most_five_are_offered():
    for i in range(7):
        answer(f"Question {i}", body="Parlons de remboursement.")
    best = answer("Remboursement d'une commande")
    found = answers_matching(text="remboursement", language="fr")
    assert len(found) == 5
    assert found[0] == best


def test_short_or_empty_subjects_offer_nothing(django_assert_num_queries):
    answer("Mon colis")
    with django_assert_num_queries(0):
        assert answers_matching(text="", language="fr") == []
        assert answers_matching(text="mon un le", language="fr") == []


def test_matching_is_one_query_however_many_answers(django_assert_num_queries):
    for i in range(30):
        answer(f"Colis {i}")
    with django_assert_num_queries(1):
        answers_matching(text="colis abîmé livraison retard", language="fr")


def test_portal_endpoint_lists_matching_published_answers_for_anyone():
    answer("Où en est ma livraison ?", body="Suivez votre colis.")
    answer("Livraison interne", published=False)
    client = Client(headers={"accept-language": "fr"})
    body = client.get(reverse("portal:answers"), {"subject": "livraison"}).content.decode()
    assert "Où en est ma livraison ?" in body
    assert "Suivez votre colis." in body
    assert "Livraison interne" not in body


def test_portal_endpoint_speaks_the_visitors_language():
    answer("Livraison", language="fr")
    answer("Delivery", language="en", keywords="livraison")
    client = Client()
    client.post(reverse("portal:language"), {"language": "en", "next": "/portal/"})
    body = client.get(reverse("portal:answers"), {"subject": "livraison"}).content.decode()
    assert "Delivery" in body and "Livraison" not in body
