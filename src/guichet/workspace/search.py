"""Full-text search over case subjects and contact bodies, for the inbox.

The index lives in the database (created by migration 0001 of this app):

- PostgreSQL: stored columns `workspace_fts` = `to_tsvector('guichet_french', …)` (migration
  0005) with GIN indexes; `guichet_french` is a copy of the built-in `french` configuration with
  `unaccent` before the Snowball French stemmer, so "réclamations", "reclamation" and
  "Réclamation" all become `reclam`.
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

import functools
import math
import re
import threading
import time
import unicodedata
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, Q
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
# `workspace_fts` is a stored column, to_tsvector(guichet_french, subject / body_text), kept by
# PostgreSQL itself (migration 0005): checking a row is ~1 µs instead of ~30 µs for to_tsvector.
_PG_MATCH = f"workspace_fts @@ {_PG_TSQUERY}"


# PostgreSQL: the GIN index gives row addresses, not ids, so keeping the newest `cap` matches
# means reading every matching row from the heap first (24,000 scattered rows for "réclamations"
# at 1,000,000 cases: ~200 ms). Instead the matches are read by windows of the newest ids, each
# 8× wider than the one before, stopping as soon as `cap` rows are found: inside a window the
# planner ANDs the GIN bitmap with a primary-key range bitmap, so only the window's matches are
# read. Windows are disjoint and newest first, so the first `cap` rows of their concatenation are
# exactly the newest `cap` matches. The last window has no lower bound and filters on `id + 0`
# (a key range over millions of ids would cost more than the few old matches it avoids).
# An Append runs its branches in order, so a later window is never read once the earlier ones
# gave `cap` rows. The largest ids are read first and written into the SQL as numbers: with
# `(SELECT max(id) …)` inside, the planner guessed a third of the table per window, planned
# parallel workers and JIT compilation (60 ms at 1,000,000 cases) for 30 rows.
PG_WINDOWS = (4096, 32768, 262144, 2097152)

# Each source picks one of three plans from the column's statistics (ANALYZE's most common
# elements, pg_stats: the share of rows holding each of the ~1,000 most common lexemes; see
# _pg_common_shares) and an estimate of each plan's cost:
# - walk: a frequent word has a huge GIN posting list, read again for every window ("bonjour" is
#   in two contacts out of three: 2.2 million entries at 1,000,000 cases). The newest ids are
#   walked backwards along the primary key instead, each row's stored vector checked, until
#   `cap` match (~1,500 rows for "bonjour"). Written `ts_match_vq(…)`, not `@@`, so no GIN plan
#   exists for it. Bounded (PG_WALK_MIN–PG_WALK_MAX ids, 1.5× the rows the estimate needs; the
#   windows wider than it follow) in case the statistics are wrong.
# - windows: PG_WINDOWS, each a GIN read of the query's rarest word ANDed with a key range.
# - one read: when even the rarest word is in few rows, all matches read at once (one GIN read
#   instead of five, for a word found in a few hundred rows or nowhere).
# A lexeme missing from the most common elements is rarer than the least common one listed.
# Costs per unit in µs, from EXPLAIN ANALYZE at 1,000,000 cases (3,381,580 contacts) on a quiet
# moment; only their ratios matter.
PG_COST_WALKED_ROW = 0.5  # index step, heap row, vector check
PG_COST_GIN_ENTRY = 0.11  # one entry of a posting list into the bitmap (every word's list)
PG_COST_KEY_IN_RANGE = 0.06  # one id of a window's key range into the bitmap
PG_COST_HEAP_MATCH = 1.7  # one matching row fetched from a scattered heap page
PG_WALK_MIN, PG_WALK_MAX = 4096, 131072
_PG_WALK_MATCH = f"ts_match_vq(workspace_fts, {_PG_TSQUERY})"
# Windows up to PG_PLANNER_WALK ids are ordered by `id`: the planner may walk them too, when
# its own estimate says the window holds enough matches (it stops at `cap`), or AND the GIN
# bitmap with the key range. Wider windows are ordered by `id + 0`, which forbids walking: a
# walk misled by old statistics (a word frequent last year, rare now) would check every row.
PG_PLANNER_WALK = 32768


def _pg_plan(
    share: float, rarest: float, total: float, rows: int, cap: int, windows
) -> tuple[int, tuple]:
    """(ids walked first, windows after them) for one source: `share` is the estimated share of
    rows holding every word (0: unknown, rare), `rarest` an upper bound of the rarest word's,
    `total` the sum of the words' shares (a GIN read goes through every word's list: "commande
    livraison" read 167,000 + 644,000 entries per window, 75 ms)."""
    rows = max(rows, 1)
    needed = cap / share if share > 0 else math.inf  # rows to walk for `cap` matches
    read, width = 0, rows
    for width in (*windows, rows):
        read += 1
        if width >= min(needed, rows):
            break
    width = min(width, rows)
    matches = min(share * width if share > 0 else rarest * width, cap * 8.0)
    costs = {
        "windows": read * total * rows * PG_COST_GIN_ENTRY
        + width * PG_COST_KEY_IN_RANGE
        + matches * PG_COST_HEAP_MATCH,
        "one read": total * rows * PG_COST_GIN_ENTRY + rarest * rows * PG_COST_HEAP_MATCH,
    }
    if 1.5 * needed <= PG_WALK_MAX:
        costs["walk"] = needed * PG_COST_WALKED_ROW
    best = min(costs, key=costs.__getitem__)
    if best == "one read":
        return 0, ()
    if best == "windows":
        return 0, tuple(windows)
    walk = PG_WALK_MIN
    while walk < 1.5 * needed:
        walk *= 2
    return walk, tuple(windows)


def _pg_newest_matches(table: str, column: str, cap: int, windows, walk: int) -> str:
    top = f"{{top_{table}}}"  # filled by _pg_matches_statement with the table's largest id
    branches = []
    if walk:
        branches.append((_PG_WALK_MATCH, f"id > {top} - {walk}", "id"))
    lower = walk
    for width in windows:
        if width <= lower:
            continue
        bound = f"id > {top} - {width}"
        if lower:
            bound += f" AND id <= {top} - {lower}"
        branches.append((_PG_MATCH, bound, "id" if width <= PG_PLANNER_WALK else "id + 0"))
        lower = width
    branches.append((_PG_MATCH, f"id + 0 <= {top} - {lower}" if lower else "TRUE", "id + 0"))
    parts = " UNION ALL ".join(
        f"(SELECT {column} FROM {table} WHERE {match} AND {bound} "  # noqa: S608
        f"ORDER BY {order} DESC LIMIT {cap})"
        for match, bound, order in branches
    )
    return f"SELECT {column} FROM ({parts}) AS newest LIMIT {cap}"  # noqa: S608


@functools.lru_cache(maxsize=64)
def _pg_matches_sql(cap: int, case_plan: tuple, contact_plan: tuple) -> str:
    """Both sources in one statement, each row tagged with its source (0 subjects, 1 bodies):
    the per-source row counts tell whether a cap was reached, so the page's "only the most
    recent matches" notice costs no second search. A plan is (ids walked, windows)."""
    subjects = _pg_newest_matches("cases_case", "id", cap, case_plan[1], case_plan[0])
    bodies = _pg_newest_matches("cases_contact", "case_id", cap, contact_plan[1], contact_plan[0])
    return (
        f"SELECT 0, id FROM ({subjects}) AS subjects "  # noqa: S608
        f"UNION ALL SELECT 1, case_id FROM ({bodies}) AS bodies"
    )


# How common each lexeme is, per table: ANALYZE's most common elements of `workspace_fts` (the
# share of rows holding each, for the ~1,000 most common). Read from pg_stats once per process
# and PG_COMMON_SECONDS (7 ms: the view decodes every statistics slot), since only an ANALYZE
# changes them.
PG_COMMON_SECONDS = 600
_PG_COMMON = (
    "SELECT tablename, most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename IN ('cases_case', 'cases_contact') "
    "AND attname = 'workspace_fts'"
)
_pg_common: dict[str, tuple[float, dict]] = {}


def _pg_common_shares() -> dict[str, tuple[dict[str, float], float]]:
    """Per table: {lexeme: share of rows} and the smallest share listed (any lexeme not
    listed is rarer than that)."""
    expires, shares = _pg_common.get(connection.alias, (0.0, {}))
    if time.monotonic() < expires:
        return shares
    with connection.cursor() as cursor:
        cursor.execute(_PG_COMMON)
        shares = {}
        for table, elems, freqs in cursor.fetchall():
            listed = [float(freq) for freq in (freqs or ())[: len(elems or ())]]
            shares[table] = (dict(zip(elems or (), listed, strict=True)), min(listed, default=0.0))
    _pg_common[connection.alias] = (time.monotonic() + PG_COMMON_SECONDS, shares)
    return shares


def _pg_shares(
    lexemes: list[str], common: dict[str, float], floor: float
) -> tuple[float, float, float]:
    """The share of rows holding every lexeme (product, independence assumed; 0 when one is
    not listed: rare, unknown), an upper bound of the rarest lexeme's share and of the sum of
    their shares (`floor` for a lexeme not listed among the most common elements)."""
    if not lexemes:
        return 0.0, 0.0, 0.0
    bounds = [common.get(lexeme, floor) for lexeme in lexemes]
    return math.prod(common.get(lexeme, 0.0) for lexeme in lexemes), min(bounds), sum(bounds)


def _sql_statements(cap: int, windows=PG_WINDOWS) -> dict:
    return {
        ("postgresql", "top"): (
            "SELECT (SELECT max(id) FROM cases_case), (SELECT max(id) FROM cases_contact), "  # noqa: S608
            f"tsvector_to_array(to_tsvector('{PG_CONFIG}'::regconfig, %s))"
        ),
        ("postgresql", "matches"): (cap, tuple(windows)),  # for _pg_matches_sql
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


# PostgreSQL's matches are read once per request by search_case_filter; search_cap_reached,
# called after it for the same words, takes the answer from here instead of searching again.
_pg_capped = threading.local()


# Planner settings for the matches statement only (SET LOCAL, restored after it). Its pages are
# in memory when searched often, so a scattered heap page costs about a sequential one: with the
# default random_page_cost (4) the planner read a 28,672-id window row by row (27,000 rows
# checked, 46–73 ms at 100,000 cases under load) instead of ANDing the GIN bitmap with the key
# range (7 ms). JIT compilation (tens of ms) never pays off for a statement that reads a few
# thousand rows, but its cost estimate at 1,000,000 rows (every window, most never run) can
# cross jit_above_cost.
_PG_SETTINGS = (("random_page_cost", "1.1"), ("jit", "off"))
# Read with the largest ids and the shares, in the same statement (before setting them).
_PG_SET = ", ".join(
    [f"current_setting('{name}')" for name, _value in _PG_SETTINGS]
    + [f"set_config('{name}', '{value}', true)" for name, value in _PG_SETTINGS]
)


def _pg_matches_statement(argument: str) -> tuple[str, list[str], list[str]]:
    """The matches statement with this moment's largest ids written in, its parameters, and the
    planner settings as they were before (the statement that read the ids also set them, for
    the rest of the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(f"{_SQL['postgresql', 'top']}, {_PG_SET}", [argument])
        top_case, top_contact, lexemes, *settings = cursor.fetchone()
    top_case, top_contact = int(top_case or 0), int(top_contact or 0)
    cap, windows = _SQL["postgresql", "matches"]
    common = _pg_common_shares()
    plans = [
        _pg_plan(*_pg_shares(lexemes or [], *common.get(table, ({}, 1.0))), top, cap, windows)
        for table, top in (("cases_case", top_case), ("cases_contact", top_contact))
    ]
    sql = (
        _pg_matches_sql(cap, *plans)
        .replace("{top_cases_case}", str(top_case))
        .replace("{top_cases_contact}", str(top_contact))
    )
    return sql, [argument] * sql.count("%s"), settings[: len(_PG_SETTINGS)]


def _pg_matches(argument: str) -> list[int]:
    """The ids of the cases among the newest MATCH_CAP matching subjects and contact bodies."""
    nested = connection.in_atomic_block
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        sql, params, before = _pg_matches_statement(argument)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if nested:  # SET LOCAL lasts until the outer transaction ends: put the values back
            cursor.execute(
                "SELECT "
                + ", ".join(f"set_config('{name}', %s, true)" for name, _value in _PG_SETTINGS),
                before,
            )
    per_source = [0, 0]
    for source, _case_id in rows:
        per_source[source] += 1
    _pg_capped.answer = (connection.alias, argument, max(per_source) >= MATCH_CAP)
    return sorted({case_id for _source, case_id in rows})


def search_case_filter(query: SearchQuery) -> Q:
    """A filter for `Case` rows matching the query in their subject or any contact's body."""
    condition = Q(pk__in=[])
    if query.reference:
        condition |= Q(reference=query.reference)
    if not query.terms:
        return condition
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):  # pragma: no cover - plain substring search
        word_q = Q()
        for term in query.terms:
            word_q &= Q(subject__icontains=term) | Q(contacts__body_text__icontains=term)
        return condition | word_q
    argument = _vendor_argument(query, vendor)
    if vendor == "postgresql":
        # The ids themselves (at most 2 × MATCH_CAP), read here in one statement, passed on as
        # one array: 2,000 separate parameters cost ~4 ms more to compile, bind and parse. As
        # `= ANY(array)` (hashed), not `IN (SELECT unnest(…))`, which the planner joins by
        # ~2,000 key lookups (6 ms at 1,000,000) where a walk of the page's order stops at 26.
        ids = RawSQL(
            '"cases_case"."id" = ANY(%s::bigint[])',
            [_pg_matches(argument)],
            output_field=BooleanField(),
        )
        return condition | Q(ids)
    subjects_sql, bodies_sql = _SQL[vendor, "subjects"], _SQL[vendor, "bodies"]
    # One subquery (a UNION of both sources, and of the reference) rather than OR-ed ones: the
    # planner then joins on the few matching ids instead of walking every case and probing.
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
    if not query.terms or vendor not in ("sqlite", "postgresql"):
        return False
    argument = _vendor_argument(query, vendor)
    if vendor == "postgresql":
        answer = getattr(_pg_capped, "answer", None)
        _pg_capped.answer = None
        if answer is None or answer[:2] != (connection.alias, argument):
            _pg_matches(argument)  # not searched just before (not the inbox's order of calls)
            answer, _pg_capped.answer = _pg_capped.answer, None
        return answer[2]
    with connection.cursor() as cursor:
        cursor.execute(_SQL[vendor, "cap"], (argument, argument))
        subjects, bodies = cursor.fetchone()
    return max(subjects, bodies) >= MATCH_CAP
