from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from guichet.demo.run import MAX_MONTHS, demo_generate


class Command(BaseCommand):
    help = (
        "Load demo data: a French home-goods shop's customer service over the last months "
        "(customers, teams, cases, contacts, events). The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cases", type=int, default=2000, help="Number of cases (default 2000)."
        )
        parser.add_argument(
            "--months", type=int, default=12, help="Months of history up to today (default 12)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="Write rows in batches instead of through the services (benchmarks, millions "
            "of cases).",
        )
        parser.add_argument(
            "--batch", type=int, default=None, help="Cases per transaction (advanced)."
        )

    def handle(self, *args, **opts):
        cases, months, seed = opts["cases"], opts["months"], opts["seed"]
        if cases is None or cases < 1:
            raise CommandError("--cases must be a positive number.")
        if months is None or not 1 <= months <= MAX_MONTHS:
            raise CommandError(f"--months must be between 1 and {MAX_MONTHS}.")
        if seed is None or seed < 0:
            raise CommandError("--seed must be zero or a positive number.")
        if opts["batch"] is not None and opts["batch"] < 1:
            raise CommandError("--batch must be a positive number.")
        verbosity = opts["verbosity"]
        try:
            result = demo_generate(
                cases=cases,
                months=months,
                seed=seed,
                bulk=opts["bulk"],
                progress=verbosity > 0,
                batch=opts["batch"],
            )
        except DatabaseError as exc:
            raise CommandError(f"Demo data not written: {exc}") from exc
        if verbosity:
            mode = "bulk" if opts["bulk"] else "services"
            rate = result.cases / result.seconds if result.seconds else 0
            self.stdout.write(
                f"Demo data ({mode}): {result.cases} cases for {result.customers} customers "
                f"in {result.seconds:.1f} s ({rate:.0f} cases/s); derived data rebuilt by other "
                f"apps in {result.derived_seconds:.1f} s."
            )
