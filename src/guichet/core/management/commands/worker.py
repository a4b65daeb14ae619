from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (the database queue by default; RQ when configured)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="Run what is queued now, then stop."
        )

    def handle(self, *args, batch, **opts):
        backend = settings.TASKS["default"]["BACKEND"]
        if backend.startswith("django_tasks_rq"):
            call_command("rqworker", "default", burst=batch)
        elif backend.startswith("django_tasks_db"):
            extra = ["--batch"] if batch else []
            if not batch:
                # The apps' periodic jobs re-schedule themselves: no cron needed beside this.
                from guichet.core.recurring import recurring_start

                for name, at in recurring_start():
                    self.stdout.write(f"recurring job {name}: next run {at.isoformat()}")
            call_command("db_worker", *extra, verbosity=opts["verbosity"])
        else:
            self.stdout.write(f"The {backend} backend runs tasks inline: no worker needed.")
