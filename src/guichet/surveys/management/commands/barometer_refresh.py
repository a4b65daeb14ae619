"""guichet barometer_refresh [--all] [--check]: recompute the per-case figures."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from guichet.cases.models import Case
from guichet.surveys.facts import FACT_FIELDS, case_fact_rows, case_facts_rebuild
from guichet.surveys.models import CaseFact


class Command(BaseCommand):
    help = (
        "Recompute the barometer's per-case figures from contacts and events: cases without "
        "figures (after a bulk import), or --all. --check compares instead of writing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Recompute every case.")
        parser.add_argument("--check", action="store_true", help="Exit 1 if stored figures differ.")

    def handle(self, *args, all=False, check=False, **options):
        if check:
            differing = 0
            stored = {f.case_id: f for f in CaseFact.objects.all()}
            ids = list(Case.objects.values_list("pk", flat=True))
            for fresh in case_fact_rows(case_ids=ids):
                old = stored.get(fresh.case_id)
                if old is None or any(getattr(old, f) != getattr(fresh, f) for f in FACT_FIELDS):
                    differing += 1
            if differing:
                raise CommandError(f"{differing} case(s) differ from a full recomputation")
            self.stdout.write(f"{len(ids)} case(s) agree with a full recomputation")
            return
        if all:
            from guichet.surveys.stamps import period_figures_clear

            count = case_facts_rebuild()
            period_figures_clear()
        else:
            from guichet.surveys.facts import case_facts_refresh

            missing = Case.objects.exclude(pk__in=CaseFact.objects.values("case_id")).values_list(
                "pk", flat=True
            )
            count = case_facts_refresh(case_ids=list(missing))
        self.stdout.write(f"{count} case(s) recomputed")
