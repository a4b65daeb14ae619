"""The inbox indexes again, partial on "not finished" (status NOT IN ('resolved', 'closed')).

Same set of rows as 0001's "status IN ('new', 'open', 'waiting_customer')", but a NOT IN term
can only match the partial indexes: it cannot drive a seek on another index on `status`, so the
planners never trade the ordered walk for a seek followed by a sort of the whole backlog, even
before ANALYZE has gathered statistics."""

from django.db import migrations

RANK = "(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END)"
OLD_ACTIVE = "status IN ('new', 'open', 'waiting_customer')"
ACTIVE = "status NOT IN ('resolved', 'closed')"

INBOX_INDEXES = [
    ("workspace_inbox_active_idx", f"{RANK}, created_at, id"),
    ("workspace_inbox_owner_idx", f"owner_id, {RANK}, created_at, id"),
    ("workspace_inbox_team_idx", f"team_id, {RANK}, created_at, id"),
    ("workspace_inbox_status_idx", f"status, {RANK}, created_at, id"),
]


def _create(where: str) -> list[str]:
    return [
        f"CREATE INDEX {name} ON cases_case ({columns}) WHERE {where}"
        for name, columns in INBOX_INDEXES
    ]


DROP = [f"DROP INDEX IF EXISTS {name}" for name, _columns in INBOX_INDEXES]


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0001_search_and_inbox_indexes"),
    ]

    operations = [
        migrations.RunSQL(DROP + _create(ACTIVE), DROP + _create(OLD_ACTIVE)),
    ]
