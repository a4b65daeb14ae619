"""`guichet proximity sweep` sends the callback reminders and escalations that are due (a safety
net beside the scheduled tasks); `guichet proximity rules` applies the advisor rules to every
customer."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from guichet.accounts.models import User
from guichet.core.errors import ApplicationError
from guichet.proximity.services.callbacks import callbacks_sweep
from guichet.proximity.services.referents import referent_rules_apply


class Command(BaseCommand):
    help = "Proximity: callback sweep, advisor rules."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="Send due callback reminders and escalations.")
        rules = sub.add_parser("rules", help="Apply the advisor rules to every customer.")
        rules.add_argument("--as", dest="actor", required=True, help="A supervisor's email.")
        rules.add_argument("--keep-unmatched", action="store_true")

    def handle(self, *args, action: str, **options) -> None:
        if action == "sweep":
            reminded, escalated = callbacks_sweep()
            self.stdout.write(f"reminded {reminded}, escalated {escalated}")
            return
        actor = User.objects.filter(email__iexact=options["actor"]).first()
        if actor is None:
            raise CommandError(f"no user {options['actor']}")
        try:
            outcome = referent_rules_apply(actor=actor, end_unmatched=not options["keep_unmatched"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"assigned {outcome.assigned}, ended {outcome.ended}")
