"""Daily: send the mediator's details on unresolved complaints past the legal delay, and catch up
on progress messages whose deadline passed while the task queue was down (REQ-CMP-05). Both are
also scheduled as tasks when a complaint opens, so with `guichet worker` running this is only a
safety net."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from guichet.quality.services import complaint_mediation_inform, complaints_mediation_due
from guichet.quality.services.progress import complaint_progress_send, complaints_progress_due


class Command(BaseCommand):
    help = (
        "Send the mediator's details on complaints unresolved after the legal delay, and the "
        "progress messages of passed deadlines not yet sent."
    )

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
        progress = complaints_progress_due()
        told = 0
        for complaint_id, stage, deadline in progress:
            if dry_run:
                self.stdout.write(f"progress due: complaint {complaint_id} ({stage})")
            elif complaint_progress_send(complaint_id=complaint_id, stage=stage, due_at=deadline):
                told += 1
        self.stdout.write(
            self.style.SUCCESS(f"{len(progress)} progress message(s) due, {told} sent.")
        )
