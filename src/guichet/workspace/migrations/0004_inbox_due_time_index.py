"""The inbox's index for "time left": cases with a running service target, by due time.

The inbox reads first the cases whose clock (guichet.sla's CaseClock) has a due time, in the
order (next_due_at, case_id), then the others along the priority indexes of migrations
0002/0003. Partial on "has a due time": finished and paused cases (most of a large database)
are not in it, and the ORDER BY is exactly the index, so a page reads 26 entries and stops."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0003_inbox_owner_team_index"),
        ("sla", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX workspace_inbox_due_idx ON sla_caseclock (next_due_at, case_id) "
            "WHERE next_due_at IS NOT NULL",
            "DROP INDEX IF EXISTS workspace_inbox_due_idx",
        ),
    ]
