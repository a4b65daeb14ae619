from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from guichet.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "First run, safe to repeat: apply migrations, collect static files, create the "
        "administrator (GUICHET_ADMIN_EMAIL / GUICHET_ADMIN_PASSWORD) and the base data, and load "
        "demo data into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument(
            "--demo-cases", type=int, default=2000, help="Demo cases (default 2000)."
        )
        parser.add_argument("--no-static", action="store_true", help="Skip collectstatic.")

    def handle(self, *args, **opts):
        from guichet.accounts.services import administrator_ensure
        from guichet.cases.models import Case
        from guichet.core.setup import base_data_ensure

        verbosity = opts["verbosity"]
        if connection.vendor == "sqlite":
            from django.conf import settings

            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        if not opts["no_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        email = os.environ.get("GUICHET_ADMIN_EMAIL", "admin@guichet.localhost")
        try:
            admin, generated = administrator_ensure(
                email=email, password=os.environ.get("GUICHET_ADMIN_PASSWORD") or None
            )
        except ApplicationError as exc:
            raise CommandError(f"GUICHET_ADMIN_EMAIL: {exc.message}") from exc
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"Administrator {admin.email} created with the password: {generated}\n"
                    "It is shown only this once; change it after signing in."
                )
            )
        elif verbosity:
            self.stdout.write(f"Administrator: {admin.email}")
        base_data_ensure(administrator=admin)
        if opts["no_demo"]:
            return
        if Case.objects.exists():
            if verbosity:
                self.stdout.write("The database already holds cases: no demo data loaded.")
            return
        call_command("demo", cases=opts["demo_cases"], verbosity=verbosity)
