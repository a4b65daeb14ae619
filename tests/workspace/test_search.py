"""Full-text search over subjects and contact bodies, SQLite FTS5 and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

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


@pytest.mark.parametrize("plan", ["windows", "walk 1", "walk 3", "one read"])
@pytest.mark.parametrize("cap", [2, 3])
@pytest.mark.parametrize("source", ["subject", "body"])
def test_newest_matches_are_kept_across_id_windows(
    agent, customer, team, monkeypatch, cap, source, plan
):
    if plan != "windows" and connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL chooses between walking, windows and one read")
    # given PostgreSQL's recency windows shrunk to 2 and 4 ids (or, for a frequent word, the
    # newest 1 or 3 ids walked along the key first; or for a rare one, all matches read at once),
    # and matches spread over them: three old ones, then a non-match, a new match, a non-match
    monkeypatch.setattr(search, "MATCH_CAP", cap)
    monkeypatch.setattr(search, "_SQL", search._sql_statements(cap, windows=(2, 4)))
    walk = int(plan[5:]) if plan.startswith("walk") else 0
    windows = () if plan == "one read" else (2, 4)
    monkeypatch.setattr(search, "_pg_plan", lambda *_estimates: (walk, windows))
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


@pytest.mark.parametrize(
    ("share", "rarest", "total", "rows", "plan"),
    [
        (0.66, 0.66, 0.66, 3_400_000, (4096, search.PG_WINDOWS)),  # "bonjour": ~1,500 rows
        (0.19, 0.19, 0.19, 3_400_000, (8192, search.PG_WINDOWS)),  # "commande": ~5,300 rows
        (0.055, 0.055, 0.055, 3_400_000, (32768, search.PG_WINDOWS)),  # 5.5 %: ~18,000 rows
        (0.0075, 0.0075, 0.0075, 3_400_000, (0, search.PG_WINDOWS)),  # "réclamations": windows
        (0.0075, 0.0075, 0.0075, 340_000, (0, ())),  # …in a tenth of the rows: all at once
        (0.0, 0.0018, 0.0018, 3_400_000, (0, ())),  # not among the most common: rare, one read
        (0.13, 0.19, 0.85, 3_400_000, (16384, search.PG_WINDOWS)),  # two frequent words
        (0.016, 0.085, 0.275, 3_400_000, (131072, search.PG_WINDOWS)),  # their lists cost more
        (0.001, 0.05, 0.1, 3_400_000, (0, search.PG_WINDOWS)),  # too rare together to walk
    ],
)
def test_frequent_words_are_walked_rare_ones_read_by_windows_or_at_once(
    share, rarest, total, rows, plan
):
    assert search._pg_plan(share, rarest, total, rows, 1000, search.PG_WINDOWS) == plan


def test_shares_of_a_query_come_from_the_most_common_lexemes():
    common, floor = {"bonjour": 0.66, "command": 0.2}, 0.002
    assert search._pg_shares(["bonjour", "command"], common, floor) == pytest.approx(
        (0.132, 0.2, 0.86)
    )
    # a word not listed is rarer than the least common listed: unknown product, bounded rarest
    assert search._pg_shares(["bonjour", "zzz"], common, floor) == (0.0, 0.002, 0.662)
    assert search._pg_shares([], common, floor) == (0.0, 0.0, 0.0)  # only stop words


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_walk_checks_rows_along_the_key_not_the_full_text_index(customer, team):
    case_new(customer=customer, team=team, body="Bonjour")
    plan = (4096, search.PG_WINDOWS)
    sql = search._pg_matches_sql(1000, plan, plan)
    first = sql.split(" UNION ALL ")[0]  # the subjects' walk, before their windows
    assert "ts_match_vq(" in first and "ORDER BY id DESC" in first
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            "EXPLAIN " + sql.replace("{top_cases_case}", "1").replace("{top_cases_contact}", "1"),
            ["bonjour"] * sql.count("%s"),
        )
        text = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan Backward using cases_contact_pkey" in text, text
    assert "Index Scan Backward using cases_case_pkey" in text, text


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_search_puts_the_planner_settings_back(agent, customer, team):
    # given a search run inside a transaction (SET LOCAL would last until its end)
    case_new(customer=customer, team=team, body="réclamation")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('random_page_cost'), current_setting('jit')")
        before = cursor.fetchone()
        search.search_case_filter(search.search_parse("réclamation"))
        cursor.execute("SELECT current_setting('random_page_cost'), current_setting('jit')")
        assert cursor.fetchone() == before


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_cap_notice_needs_no_second_search(agent, customer, team, monkeypatch):
    # given a cap of 2 and three matching cases, the filter's own reading tells the cap is hit
    monkeypatch.setattr(search, "MATCH_CAP", 2)
    monkeypatch.setattr(search, "_SQL", search._sql_statements(2))
    for _ in range(3):
        case_new(customer=customer, team=team, body="remboursement demandé")
    query = search.search_parse("remboursement")
    search.search_case_filter(query)
    monkeypatch.setattr(search, "_pg_matches", lambda _argument: pytest.fail("searched again"))
    assert search.search_cap_reached(query)
