from __future__ import annotations

from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError


class Command(BaseCommand):
    help = "Check the configuration and the database: Django's checks, connection, migrations."

    def handle(self, *args, **opts):
        call_command("check", verbosity=0, stdout=StringIO())
        self.stdout.write("configuration: ok")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                if connection.vendor == "sqlite":
                    cursor.execute("PRAGMA journal_mode")
                    mode = cursor.fetchone()[0]
                else:
                    mode = "-"
        except DatabaseError as exc:
            raise CommandError(f"database unreachable: {' '.join(str(exc).split())}") from exc
        self.stdout.write(f"database: ok ({connection.vendor}, journal {mode})")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(f"{len(pending)} migration(s) not applied: run `guichet init`.")
        self.stdout.write("migrations: ok")
        self.stdout.write(f"tasks backend: {settings.TASKS['default']['BACKEND']}")
        self.stdout.write(f"outgoing mail: {settings.EMAIL_BACKEND}")
        if connection.vendor == "sqlite" and mode != "wal" and "memory" not in str(mode):
            raise CommandError(f"SQLite is in {mode} mode, not WAL.")
