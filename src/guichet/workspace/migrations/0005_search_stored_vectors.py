"""PostgreSQL search: the full-text vectors are stored columns, no longer index expressions.

Searching for the newest matches checks rows one by one along the primary key when a word is
frequent (see guichet.workspace.search). With an expression index every such check ran
`to_tsvector` again (~30 µs a contact body under load: 1,500 contacts for "bonjour" cost ~50 ms,
and a window of 4,096 rare-word misses ~120 ms); a stored vector is checked in about 1 µs. Also
the GIN bitmap's lossy pages are rechecked against the stored vector instead of recomputed.

`workspace_fts` is a generated column (`GENERATED ALWAYS AS … STORED`): PostgreSQL computes it
on every INSERT and UPDATE, so any writer (the ORM, a COPY, psql) keeps it right, and Django never
names it (the models do not know it). The GIN indexes have `fastupdate = off`: with a pending
list, every search scanned up to 4 MB of unsorted entries per index read (399 pages for a word
found nowhere, per id window); a helpdesk inserts a few contacts a second, which the index takes
directly.

Adding a stored column rewrites the table (minutes at 1,000,000 cases): the expression indexes
are dropped first so the rewrite does not compute every vector twice. SQLite is untouched (FTS5
tables, migration 0001)."""

from importlib import import_module

from django.db import migrations

# The vendor-only RunSQL of migration 0001 (a module name starting with a digit).
RunSQLOn = import_module("guichet.workspace.migrations.0001_search_and_inbox_indexes").RunSQLOn

VECTOR = "to_tsvector('guichet_french'::regconfig, {column})"

POSTGRES = [
    "DROP INDEX IF EXISTS workspace_contact_body_fts",
    "DROP INDEX IF EXISTS workspace_case_subject_fts",
    f"ALTER TABLE cases_contact ADD COLUMN workspace_fts tsvector "
    f"GENERATED ALWAYS AS ({VECTOR.format(column='body_text')}) STORED",
    f"ALTER TABLE cases_case ADD COLUMN workspace_fts tsvector "
    f"GENERATED ALWAYS AS ({VECTOR.format(column='subject')}) STORED",
    "CREATE INDEX workspace_contact_body_fts ON cases_contact USING GIN (workspace_fts) "
    "WITH (fastupdate = off)",
    "CREATE INDEX workspace_case_subject_fts ON cases_case USING GIN (workspace_fts) "
    "WITH (fastupdate = off)",
    "ANALYZE cases_contact (workspace_fts)",
    "ANALYZE cases_case (workspace_fts)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS workspace_contact_body_fts",
    "DROP INDEX IF EXISTS workspace_case_subject_fts",
    "ALTER TABLE cases_contact DROP COLUMN IF EXISTS workspace_fts",
    "ALTER TABLE cases_case DROP COLUMN IF EXISTS workspace_fts",
    f"CREATE INDEX workspace_case_subject_fts ON cases_case "
    f"USING GIN ({VECTOR.format(column='subject')})",
    f"CREATE INDEX workspace_contact_body_fts ON cases_contact "
    f"USING GIN ({VECTOR.format(column='body_text')})",
]


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0004_inbox_due_time_index"),
    ]

    operations = [
        RunSQLOn("postgresql", POSTGRES, POSTGRES_REVERSE),
    ]
