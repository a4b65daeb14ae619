"""guichet barometer_email [--month YYYY-MM]: send the monthly barometer to subscribers."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from guichet.surveys.monthly import barometer_monthly_email_send


class Command(BaseCommand):
    help = "Send the monthly barometer email to those who asked for it (once per month)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: last month)")
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue it for the worker instead of now."
        )

    def handle(self, *args, month=None, enqueue=False, **options):
        chosen = None
        if month:
            try:
                chosen = date.fromisoformat(f"{month}-01")
            except ValueError as exc:
                raise CommandError("--month must look like 2026-03") from exc
        if enqueue:
            from guichet.surveys.tasks import barometer_monthly_send

            barometer_monthly_send.enqueue(month)
            self.stdout.write("queued")
            return
        sent = barometer_monthly_email_send(month=chosen)
        self.stdout.write(f"{sent} email(s) sent")
