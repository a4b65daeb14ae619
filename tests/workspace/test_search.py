"""Full-text search over subjects and contact bodies, SQLite FTS5 and PostgreSQL alike."""

from __future__ import annotations

import pytest

from guichet.cases import services
from guichet.workspace import search
from tests.workspace.conftest import case_new, listed, listed_refs, logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("réclamations", "reclam"),
        ("Réclamation", "reclam"),
        ("remboursement", "rembours"),
        ("factures", "factur"),
        ("colis", "coli"),
        ("livraison", "livraison"),
        ("été", "ete"),
    ],
)
def test_french_stem_strips_one_suffix_and_accents(word, stem):
    assert search.french_stem(word) == stem


def test_search_parse_keeps_words_only_and_spots_references():
    # quotes, stars and operators are not passed to the engine as syntax
    parsed = search.search_parse('colis" OR * NEAR(a b')
    assert parsed.terms == ("colis", "or", "near", "a", "b")
    assert search.search_parse(" g-000123 ").reference == "G-000123"


def test_plural_query_finds_singular_in_a_message_body(agent, customer, team):
    # given a case whose message says "réclamation"
    case = case_new(customer=customer, team=team, body="Je dépose une réclamation officielle.")
    other = case_new(customer=customer, team=team, body="Merci pour la livraison rapide.")
    # when the agent searches "réclamations"
    response = logged_in(agent).get("/", {"q": "réclamations"})
    # then that case is found, and only it
    assert listed_refs(response) == [case.reference]
    assert not listed(response, other)


def test_search_ignores_accents_and_case(agent, customer, team):
    case = case_new(customer=customer, team=team, subject="Problème de FACTURATION")
    response = logged_in(agent).get("/", {"q": "probleme facturation"})
    assert listed(response, case)


def test_search_finds_a_reply_added_later(agent, customer, team):
    # given a case, and later a reply mentioning a word not in the first message
    case = case_new(customer=customer, team=team, owner=agent)
    services.contact_add(actor=agent, case=case, kind="reply", body_text="Votre avoir est prêt.")
    # when searching that word, then the case is found (the index follows new contacts)
    assert listed(logged_in(agent).get("/", {"q": "avoirs"}), case)


def test_search_follows_a_subject_change(agent, customer, team):
    case = case_new(customer=customer, team=team, subject="Ancien titre")
    services.case_update(actor=agent, case=case, subject="Garantie du lave-linge")
    client = logged_in(agent)
    assert listed(client.get("/", {"q": "garantie"}), case)
    assert not listed(client.get("/", {"q": "ancien"}), case)


def test_search_follows_merged_contacts_to_the_kept_case(agent, customer, team):
    # given a duplicate whose message mentions "parquet", merged into another case
    duplicate = case_new(customer=customer, team=team, body="Lame de parquet abîmée")
    kept = case_new(customer=customer, team=team, body="Bonjour")
    services.case_merge(actor=agent, source=duplicate, target=kept)
    # when searching the word in all cases, then the kept case carries it
    response = logged_in(agent).get("/", {"q": "parquet", "view": "all"})
    assert listed(response, kept)


def test_every_word_must_match(agent, customer, team):
    both = case_new(customer=customer, team=team, body="colis abîmé et en retard")
    one = case_new(customer=customer, team=team, body="colis arrivé")
    response = logged_in(agent).get("/", {"q": "colis retard"})
    assert listed(response, both)
    assert not listed(response, one)


def test_search_by_reference(agent, customer, team):
    case = case_new(customer=customer, team=team)
    assert listed(logged_in(agent).get("/", {"q": case.reference.lower()}), case)


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "a OR", "-", "'; DROP TABLE x; --", "^^"])
def test_engine_syntax_in_the_query_is_harmless(agent_client, query):
    assert agent_client.get("/", {"q": query}).status_code == 200


def test_search_respects_the_view_and_visibility(outsider, customer, team):
    case = case_new(customer=customer, team=team, body="réclamation sur la facture")
    assert not listed(logged_in(outsider).get("/", {"q": "réclamation", "view": "all"}), case)


def test_cap_notice_when_the_newest_matches_are_not_all(agent, customer, team, monkeypatch):
    # given a match cap of 2 and three cases with the word
    monkeypatch.setattr(search, "MATCH_CAP", 2)
    monkeypatch.setattr(search, "_SQL", search._sql_statements(2))
    for _ in range(3):
        case_new(customer=customer, team=team, body="remboursement demandé")
    response = logged_in(agent).get("/", {"q": "remboursement"})
    # then the page says only the most recent matches are listed
    assert "only the most recent matches" in response.content.decode()
    assert len(listed_refs(response)) == 2


@pytest.mark.parametrize("cap", [2, 3])
@pytest.mark.parametrize("source", ["subject", "body"])
def test_newest_matches_are_kept_across_id_windows(agent, customer, team, monkeypatch, cap, source):
    # given PostgreSQL's recency windows shrunk to 2 and 4 ids, and matches spread over them:
    # three old ones, then a non-match, a new match and a non-match
    monkeypatch.setattr(search, "MATCH_CAP", cap)
    monkeypatch.setattr(search, "_SQL", search._sql_statements(cap, windows=(2, 4)))
    plain = {"subject": "Colis non reçu", "body": "Bonjour, mon colis n'est pas arrivé."}
    word = {"subject": "Remboursement attendu", "body": "remboursement demandé"}
    kinds = ["match", "match", "match", "other", "match", "other"]
    cases = [
        case_new(
            customer=customer, team=team, **{source: (word if k == "match" else plain)[source]}
        )
        for k in kinds
    ]
    matches = [c for c, k in zip(cases, kinds, strict=True) if k == "match"]
    response = logged_in(agent).get("/", {"q": "remboursements", "view": "all"})
    # then exactly the newest `cap` matches are listed, whichever window they sit in
    assert set(listed_refs(response)) == {c.reference for c in matches[-cap:]}
