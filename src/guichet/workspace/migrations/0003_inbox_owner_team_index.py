"""One more inbox index: owner and team together (partial on "not finished").

An agent's views are read as a union of the access funnel's parts (their teams, their own cases,
cases with no team), so "unassigned cases of my teams" or "my cases with no team" put an
equality on both columns: this index seeks both instead of walking one and checking the other
row by row, and keeps the inbox order for each (owner, team) pair."""

from django.db import migrations

RANK = "(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END)"
ACTIVE = "status NOT IN ('resolved', 'closed')"


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0002_inbox_indexes_not_finished"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX workspace_inbox_owner_team_idx ON cases_case "
            f"(owner_id, team_id, {RANK}, created_at, id) WHERE {ACTIVE}",
            "DROP INDEX IF EXISTS workspace_inbox_owner_team_idx",
        ),
    ]
