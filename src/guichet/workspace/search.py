"""Full-text search over case subjects and contact bodies, for the inbox.

The index lives in the database (created by migration 0001 of this app):

- PostgreSQL: GIN indexes on `to_tsvector('guichet_french', …)`, a copy of the built-in `french`
  configuration with `unaccent` before the Snowball French stemmer, so "réclamations",
  "reclamation" and "Réclamation" all become `reclam`.
- SQLite: two external-content FTS5 tables (`workspace_case_fts` on subjects,
  `workspace_contact_fts` on contact bodies), kept in step by triggers, tokenised with
  `unicode61 remove_diacritics 2` (case and accents folded; no stemming in the index).
  FTS5's only stemmer, `porter`, is English. Instead the *query* is stemmed here with a light
  French suffix-stripper and each word becomes a prefix query: "réclamations" → `reclam*`, which
  matches "réclamation", "réclamations", "réclamer", "réclamé". Stemming only the query keeps the
  index plain text (no Python function needed inside the triggers, so any writer — the ORM, a
  bulk load, the sqlite3 shell — keeps the index right), at the cost of a little over-matching,
  which suits a search an agent reads with their own eyes.

Both vendors return the newest matches first and stop at `MATCH_CAP` rows per source, so a word
found in half a million contacts costs what a rare one costs; the page says when the cap is hit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

MATCH_CAP = 1000
MAX_TERMS = 8
PG_CONFIG = "guichet_french"

_WORD = re.compile(r"\w+", re.UNICODE)
_REFERENCE = re.compile(r"^[A-Za-z]{1,10}-\d{1,12}$")

# Longest first: the first suffix that leaves a stem of at least MIN_STEM letters is removed.
# Inflections and common derivations of French nouns, adjectives and verbs (accents folded).
_FRENCH_SUFFIXES = sorted(
    {
        "issements",
        "issement",
        "ements",
        "ement",
        "ments",
        "ment",
        "ations",
        "ation",
        "itions",
        "ition",
        "utions",
        "ution",
        "atrices",
        "atrice",
        "ateurs",
        "ateur",
        "euses",
        "euse",
        "eurs",
        "eur",
        "ances",
        "ance",
        "ences",
        "ence",
        "ables",
        "able",
        "ibles",
        "ible",
        "istes",
        "iste",
        "ismes",
        "isme",
        "ites",
        "ite",
        "ives",
        "ive",
        "ifs",
        "if",
        "iques",
        "ique",
        "aient",
        "ions",
        "iez",
        "ait",
        "ais",
        "ant",
        "ante",
        "antes",
        "ants",
        "erons",
        "erez",
        "eront",
        "erai",
        "eras",
        "era",
        "ees",
        "ee",
        "es",
        "er",
        "ez",
        "e",
        "s",
        "x",
    },
    key=len,
    reverse=True,
)
MIN_STEM = 4


def fold(text: str) -> str:
    """Lower case without diacritics, as FTS5's `remove_diacritics 2` indexes words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def french_stem(word: str) -> str:
    """A light French stemmer for queries: strips one inflectional or derivational suffix."""
    word = fold(word)
    for suffix in _FRENCH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class SearchQuery:
    text: str
    terms: tuple[str, ...]
    reference: str | None

    @property
    def empty(self) -> bool:
        return not self.terms and self.reference is None


def search_parse(text: str) -> SearchQuery:
    text = " ".join((text or "").split())[:200]
    reference = text.upper() if _REFERENCE.match(text) else None
    terms = tuple(dict.fromkeys(fold(w) for w in _WORD.findall(text)))[:MAX_TERMS]
    return SearchQuery(text=text, terms=terms, reference=reference)


def _fts5_expression(terms: tuple[str, ...]) -> str:
    """Every word must appear (AND); words are quoted so the user cannot write FTS syntax."""
    parts = []
    for term in terms:
        stem = french_stem(term)
        # A prefix query on a 1–2 letter stem would walk a huge slice of the vocabulary.
        parts.append(f'"{stem}"*' if len(stem) >= 3 else f'"{stem}"')
    return " AND ".join(parts)


# The SQL below is built from constants only; user input always travels as a parameter.
_PG_TSQUERY = f"plainto_tsquery('{PG_CONFIG}'::regconfig, %s)"
_PG_SUBJECT_MATCH = f"to_tsvector('{PG_CONFIG}'::regconfig, subject) @@ {_PG_TSQUERY}"
_PG_BODY_MATCH = f"to_tsvector('{PG_CONFIG}'::regconfig, body_text) @@ {_PG_TSQUERY}"


# PostgreSQL: the GIN index gives row addresses, not ids, so keeping the newest `cap` matches
# means reading every matching row from the heap first (24,000 scattered rows for "réclamations"
# at 1,000,000 cases: ~200 ms). Instead the matches are read by windows of the newest ids, each
# 8× wider than the one before, stopping as soon as `cap` rows are found: inside a window the
# planner ANDs the GIN bitmap with a primary-key range bitmap, so only the window's matches are
# read. Windows are disjoint and newest first, so the first `cap` rows of their concatenation are
# exactly the newest `cap` matches. The last window has no lower bound and filters on `id + 0`
# (a key range over millions of ids would cost more than the few old matches it avoids).
# "ORDER BY id + 0" keeps the planner from walking the primary key backwards and computing
# to_tsvector() row by row. An Append runs its branches in order, so a later window is never read
# once the earlier ones gave `cap` rows. The largest ids are read first and written into the SQL
# as numbers: with `(SELECT max(id) …)` inside, the planner guessed a third of the table per
# window, planned parallel workers and JIT compilation (60 ms at 1,000,000 cases) for 30 rows.
PG_WINDOWS = (4096, 32768, 262144, 2097152)


def _pg_newest_matches(table: str, column: str, match: str, cap: int, windows) -> str:
    top = f"{{top_{table}}}"  # filled by search_case_filter with the table's largest id
    branches = []
    lower = 0
    for width in windows:
        bound = f"id > {top} - {width}"
        if lower:
            bound += f" AND id <= {top} - {lower}"
        branches.append(bound)
        lower = width
    branches.append(f"id + 0 <= {top} - {lower}" if lower else "TRUE")
    # Only the first, smallest window may be walked backwards along the key, and only if the
    # planner expects the word in most rows ("bonjour": it stops after ~1,500 rows instead of
    # checking all 4,096, 54 ms instead of 200); its worst case is bounded by the window.
    parts = " UNION ALL ".join(
        f"(SELECT {column} FROM {table} WHERE {match} AND {bound} "  # noqa: S608
        f"ORDER BY {'id' if i == 0 else 'id + 0'} DESC LIMIT {cap})"
        for i, bound in enumerate(branches)
    )
    return f"SELECT {column} FROM ({parts}) AS newest LIMIT {cap}"  # noqa: S608


def _sql_statements(cap: int, windows=PG_WINDOWS) -> dict[tuple[str, str], str]:
    return {
        ("postgresql", "subjects"): _pg_newest_matches(
            "cases_case", "id", _PG_SUBJECT_MATCH, cap, windows
        ),
        ("postgresql", "bodies"): _pg_newest_matches(
            "cases_contact", "case_id", _PG_BODY_MATCH, cap, windows
        ),
        ("postgresql", "cap"): (
            f"SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM cases_case WHERE {_PG_SUBJECT_MATCH} "  # noqa: S608
            f"LIMIT {cap}) s), (SELECT COUNT(*) FROM (SELECT 1 FROM cases_contact WHERE "
            f"{_PG_BODY_MATCH} LIMIT {cap}) b)"
        ),
        ("sqlite", "subjects"): (
            "SELECT rowid AS id FROM workspace_case_fts WHERE workspace_case_fts MATCH %s "  # noqa: S608
            f"ORDER BY rowid DESC LIMIT {cap}"
        ),
        ("sqlite", "bodies"): (
            "SELECT case_id FROM cases_contact WHERE id IN (SELECT rowid FROM "  # noqa: S608
            "workspace_contact_fts WHERE workspace_contact_fts MATCH %s "
            f"ORDER BY rowid DESC LIMIT {cap})"
        ),
        ("sqlite", "cap"): (
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM workspace_case_fts WHERE "  # noqa: S608
            f"workspace_case_fts MATCH %s LIMIT {cap})), (SELECT COUNT(*) FROM (SELECT 1 "
            f"FROM workspace_contact_fts WHERE workspace_contact_fts MATCH %s LIMIT {cap}))"
        ),
    }


_SQL = _sql_statements(MATCH_CAP)


def _vendor_argument(query: SearchQuery, vendor: str) -> str:
    """What the user typed, as the vendor's full-text engine wants it (always a parameter)."""
    if vendor == "sqlite":
        return _fts5_expression(query.terms)
    return " ".join(query.terms)


def search_case_filter(query: SearchQuery) -> Q:
    """A filter for `Case` rows matching the query in their subject or any contact's body."""
    condition = Q(pk__in=[])
    if query.reference:
        condition |= Q(reference=query.reference)
    if not query.terms:
        return condition
    vendor = connection.vendor
    if (vendor, "subjects") not in _SQL:  # pragma: no cover - plain substring search elsewhere
        word_q = Q()
        for term in query.terms:
            word_q &= Q(subject__icontains=term) | Q(contacts__body_text__icontains=term)
        return condition | word_q
    argument = _vendor_argument(query, vendor)
    subjects_sql, bodies_sql = _SQL[vendor, "subjects"], _SQL[vendor, "bodies"]
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT max(id) FROM cases_case), (SELECT max(id) FROM cases_contact)"
            )
            top_case, top_contact = (int(top or 0) for top in cursor.fetchone())
        subjects_sql = subjects_sql.replace("{top_cases_case}", str(top_case))
        bodies_sql = bodies_sql.replace("{top_cases_contact}", str(top_contact))
    # One subquery (a UNION of both sources, and of the reference) rather than OR-ed ones: the
    # planners then join on the few matching ids instead of walking every case and probing.
    sql = (
        f"SELECT id FROM ({subjects_sql}) AS subjects "  # noqa: S608
        f"UNION SELECT case_id FROM ({bodies_sql}) AS bodies"
    )
    params: list[str] = [argument] * (subjects_sql.count("%s") + bodies_sql.count("%s"))
    if query.reference:
        sql += " UNION SELECT id FROM cases_case WHERE reference = %s"
        params.append(query.reference)
    return Q(pk__in=RawSQL(sql, params))  # noqa: S611 (constant SQL, parameters)


def search_cap_reached(query: SearchQuery) -> bool:
    """True when one source hit MATCH_CAP: older matches exist beyond what the page shows."""
    vendor = connection.vendor
    if not query.terms or (vendor, "cap") not in _SQL:
        return False
    argument = _vendor_argument(query, vendor)
    with connection.cursor() as cursor:
        cursor.execute(_SQL[vendor, "cap"], (argument, argument))
        subjects, bodies = cursor.fetchone()
    return max(subjects, bodies) >= MATCH_CAP
