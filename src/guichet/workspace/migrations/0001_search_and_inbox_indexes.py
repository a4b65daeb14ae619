"""The inbox's indexes and the full-text search index, per database vendor.

Inbox: the views order active cases by priority rank then age. The rank is an expression
(`CASE priority …`), so the indexes are expression indexes, partial on the active statuses; the
selectors in guichet.workspace.selectors write the very same SQL text so that both SQLite and
PostgreSQL match them (tests/workspace/test_query_plans.py checks it).

Search: see guichet.workspace.search for the design (FTS5 + triggers on SQLite; GIN indexes on
a French, accent-insensitive text search configuration on PostgreSQL).
"""

from django.db import migrations

RANK = "(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END)"
ACTIVE = "status IN ('new', 'open', 'waiting_customer')"

INBOX_INDEXES = [
    ("workspace_inbox_active_idx", f"{RANK}, created_at, id"),
    ("workspace_inbox_owner_idx", f"owner_id, {RANK}, created_at, id"),
    ("workspace_inbox_team_idx", f"team_id, {RANK}, created_at, id"),
    ("workspace_inbox_status_idx", f"status, {RANK}, created_at, id"),
]

INBOX_SQL = [
    f"CREATE INDEX {name} ON cases_case ({columns}) WHERE {ACTIVE}"
    for name, columns in INBOX_INDEXES
]
INBOX_REVERSE = [f"DROP INDEX IF EXISTS {name}" for name, _columns in INBOX_INDEXES]

TOKENIZE = "unicode61 remove_diacritics 2"

SQLITE_SEARCH = [
    # Subjects.
    f"""CREATE VIRTUAL TABLE workspace_case_fts USING fts5(
        subject, content='cases_case', content_rowid='id', tokenize='{TOKENIZE}')""",
    """CREATE TRIGGER workspace_case_fts_insert AFTER INSERT ON cases_case BEGIN
        INSERT INTO workspace_case_fts(rowid, subject) VALUES (new.id, new.subject);
    END""",
    """CREATE TRIGGER workspace_case_fts_delete AFTER DELETE ON cases_case BEGIN
        INSERT INTO workspace_case_fts(workspace_case_fts, rowid, subject)
        VALUES ('delete', old.id, old.subject);
    END""",
    """CREATE TRIGGER workspace_case_fts_update AFTER UPDATE OF subject ON cases_case BEGIN
        INSERT INTO workspace_case_fts(workspace_case_fts, rowid, subject)
        VALUES ('delete', old.id, old.subject);
        INSERT INTO workspace_case_fts(rowid, subject) VALUES (new.id, new.subject);
    END""",
    "INSERT INTO workspace_case_fts(workspace_case_fts) VALUES ('rebuild')",
    # Contact bodies.
    f"""CREATE VIRTUAL TABLE workspace_contact_fts USING fts5(
        body_text, content='cases_contact', content_rowid='id', tokenize='{TOKENIZE}')""",
    """CREATE TRIGGER workspace_contact_fts_insert AFTER INSERT ON cases_contact BEGIN
        INSERT INTO workspace_contact_fts(rowid, body_text) VALUES (new.id, new.body_text);
    END""",
    """CREATE TRIGGER workspace_contact_fts_delete AFTER DELETE ON cases_contact BEGIN
        INSERT INTO workspace_contact_fts(workspace_contact_fts, rowid, body_text)
        VALUES ('delete', old.id, old.body_text);
    END""",
    """CREATE TRIGGER workspace_contact_fts_update AFTER UPDATE OF body_text ON cases_contact
    BEGIN
        INSERT INTO workspace_contact_fts(workspace_contact_fts, rowid, body_text)
        VALUES ('delete', old.id, old.body_text);
        INSERT INTO workspace_contact_fts(rowid, body_text) VALUES (new.id, new.body_text);
    END""",
    "INSERT INTO workspace_contact_fts(workspace_contact_fts) VALUES ('rebuild')",
]
SQLITE_SEARCH_REVERSE = [
    "DROP TRIGGER IF EXISTS workspace_contact_fts_update",
    "DROP TRIGGER IF EXISTS workspace_contact_fts_delete",
    "DROP TRIGGER IF EXISTS workspace_contact_fts_insert",
    "DROP TABLE IF EXISTS workspace_contact_fts",
    "DROP TRIGGER IF EXISTS workspace_case_fts_update",
    "DROP TRIGGER IF EXISTS workspace_case_fts_delete",
    "DROP TRIGGER IF EXISTS workspace_case_fts_insert",
    "DROP TABLE IF EXISTS workspace_case_fts",
]

# unaccent is a "trusted" extension since PostgreSQL 13: the database owner may create it.
POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'guichet_french') THEN
            CREATE TEXT SEARCH CONFIGURATION guichet_french (COPY = pg_catalog.french);
            ALTER TEXT SEARCH CONFIGURATION guichet_french
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
    END $$""",
    "CREATE INDEX workspace_case_subject_fts ON cases_case "
    "USING GIN (to_tsvector('guichet_french'::regconfig, subject))",
    "CREATE INDEX workspace_contact_body_fts ON cases_contact "
    "USING GIN (to_tsvector('guichet_french'::regconfig, body_text))",
]
POSTGRES_SEARCH_REVERSE = [
    "DROP INDEX IF EXISTS workspace_contact_body_fts",
    "DROP INDEX IF EXISTS workspace_case_subject_fts",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS guichet_french",
]


class RunSQLOn(migrations.RunSQL):
    """RunSQL that only runs on one database vendor."""

    def __init__(self, vendor: str, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, *args], kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(INBOX_SQL, INBOX_REVERSE),
        RunSQLOn("sqlite", SQLITE_SEARCH, SQLITE_SEARCH_REVERSE),
        RunSQLOn("postgresql", POSTGRES_SEARCH, POSTGRES_SEARCH_REVERSE),
    ]
