"""guichet surveys_send_due: send the survey invitations whose delay has passed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from guichet.surveys import services


class Command(BaseCommand):
    help = "Send every survey invitation whose delay after resolution has passed."

    def handle(self, *args, **options):
        sent = sum(
            bool(services.invitation_send(invitation_id=pk)) for pk in services.invitations_due()
        )
        self.stdout.write(f"{sent} survey(s) sent")
