"""Draw this week's cases to review: `guichet quality_sample_reviews [--week YYYY-MM-DD]`."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from guichet.core.errors import ApplicationError
from guichet.quality.services import reviews_sample_week


class Command(BaseCommand):
    help = "Draw, per agent, random cases it answered during a week, for interaction review."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="Any day of the week (default: last full week)")
        parser.add_argument("--per-agent", type=int, help="Cases per agent (default: policy)")
        parser.add_argument("--seed", type=int, help="Random seed (reproducible draws)")

    def handle(self, *args, week=None, per_agent=None, seed=None, **options):
        try:
            day = date.fromisoformat(week) if week else None
        except ValueError as exc:
            raise CommandError(f"--week: not a date (YYYY-MM-DD): {week!r}") from exc
        try:
            drawn = reviews_sample_week(week=day, per_agent=per_agent, seed=seed)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for sample in drawn:
            self.stdout.write(f"{sample.week} {sample.agent.email} {sample.case.reference}")
        self.stdout.write(self.style.SUCCESS(f"{len(drawn)} case(s) drawn."))
