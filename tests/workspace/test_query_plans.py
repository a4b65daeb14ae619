"""The inbox's queries use the indexes of migration workspace 0001 (no sort of the whole backlog).

The selectors write the priority rank and the active-status condition as the same SQL text as the
indexes; if either side changes alone, these tests fail."""

from __future__ import annotations

import pytest
from django.db import connection

from guichet.workspace import selectors
from tests.workspace.conftest import case_new

pytestmark = pytest.mark.django_db


def plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def inbox_qs(user, view):
    """The inbox's segment of cases with no running target (priority rank, then age)."""
    qs = selectors.inbox_view_queryset(user=user, view=view, team_ids=[])
    return selectors._segments(qs, view=view, after=None)[-1].values("id")[:26]


@pytest.mark.parametrize(
    ("view", "index"),
    [
        ("open", "workspace_inbox_active_idx"),
        ("mine", "workspace_inbox_owner_idx"),
        ("unassigned", "workspace_inbox_owner_idx"),
        ("waiting", "workspace_inbox_status_idx"),
    ],
)
def test_inbox_views_walk_their_index_in_order(supervisor, customer, team, view, index):
    case_new(customer=customer, team=team)
    text = plan(inbox_qs(supervisor, view))
    if connection.vendor == "sqlite":
        assert index in text, text
    else:  # PostgreSQL may pick another of the inbox indexes and filter: still no sort
        assert "workspace_inbox_" in text, text
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in text, text
    else:
        assert " Sort " not in text and "Sort Key" not in text, text


def test_search_uses_the_full_text_index(supervisor, customer, team):
    from guichet.workspace import search

    case_new(customer=customer, team=team)
    if connection.vendor == "sqlite":
        qs = selectors.inbox_view_queryset(user=supervisor, view="all", team_ids=[]).filter(
            search.search_case_filter(search.search_parse("réclamation"))
        )
        assert "workspace_contact_fts VIRTUAL TABLE" in plan(qs)
        return
    # PostgreSQL reads the matching ids in a statement of their own, before the page's query
    sql, params, _settings = search._pg_matches_statement("réclamation")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    assert "workspace_contact_body_fts" in text, text
    assert "workspace_case_subject_fts" in text, text


def test_cases_with_a_due_time_are_read_along_the_due_time_index(supervisor, customer, team):
    # the segment of cases with a running target walks workspace_inbox_due_idx in order
    case_new(customer=customer, team=team)
    qs = selectors.inbox_view_queryset(user=supervisor, view="open", team_ids=[])
    text = plan(selectors._segments(qs, view="open", after=None)[0].values("id")[:26])
    assert "workspace_inbox_due_idx" in text, text
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in text, text
    else:
        assert " Sort " not in text and "Sort Key" not in text, text
