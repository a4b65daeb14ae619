"""Send the mediator's details on unresolved complaints past the legal delay (run daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from guichet.quality.services import complaint_mediation_inform, complaints_mediation_due


class Command(BaseCommand):
    help = "Send the mediator's details on complaints unresolved after the legal delay."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List only")

    def handle(self, *args, dry_run=False, **options):
        due = complaints_mediation_due()
        sent = 0
        for complaint_id in due:
            if dry_run:
                self.stdout.write(f"due: complaint {complaint_id}")
            elif complaint_mediation_inform(complaint_id=complaint_id):
                sent += 1
        self.stdout.write(self.style.SUCCESS(f"{len(due)} due, {sent} sent."))
