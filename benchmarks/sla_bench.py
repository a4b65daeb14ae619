#!/usr/bin/env python
"""Speed of the reactivity work (issue #5), on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/sla_bench.py recompute --n 100000 [--db postgres]
    .venv/bin/python benchmarks/sla_bench.py report --n 1000000 [--db postgres]

recompute: N open cases (new, answered, waiting on the customer) with their event logs; their
    clocks are built once, then the default calendar changes (a Saturday morning opens) and every
    open case's due times are recomputed by replaying its event log — the figure the issue asks to
    keep under 30 s for 100,000 cases.
report: N cases spread over two years with their target runs (written directly, then the
    pre-aggregates rebuilt), or an existing database with --database-url (a copy of the shared
    1,000,000-case dataset: migrating it builds the pre-aggregates); then the reactivity figures,
    the /sla/ page and its JSON and CSV — the issue asks under 1 s for 1,000,000 cases.

    flock /tmp/bench.lock .venv/bin/python benchmarks/sla_bench.py report --repeat 20 \
        --database-url sqlite:////work/bench-data/sla-sqlite-1m/guichet.sqlite3 [--rebuild]

Databases are kept in benchmarks/results/ (git-ignored) and reused when they already hold N
cases (--fresh rebuilds them). Each timing is the median of --repeat runs (default 3).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
BATCH = 5000


def setup_django(name: str, db: str, fresh: bool) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["GUICHET_VAR_DIR"] = str(RESULTS / "var")
    os.environ["GUICHET_PLAIN_STATIC"] = "1"
    os.environ["GUICHET_TASKS_BACKEND"] = "database"
    os.environ["LOG_LEVEL"] = "WARNING"
    if db == "postgres":
        base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        os.environ["DATABASE_URL"] = f"{base}/guichet_{name}"
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (f"guichet_{name}",)
            ).fetchone()
            if exists and fresh:
                conn.execute(f'DROP DATABASE "guichet_{name}"')
                exists = None
            if not exists:
                conn.execute(f'CREATE DATABASE "guichet_{name}"')
    else:
        path = RESULTS / f"{name}.sqlite3"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def timed(label: str, func, repeat: int = 1):
    """Median (and 95th percentile, nearest rank) wall time, and this process's CPU time (the
    machine is shared: the CPU time says what the work costs when other processes compete for
    the cores)."""
    samples, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = func()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    median = statistics.median(samples)
    p95 = sorted(samples)[max(0, -(-len(samples) * 95 // 100) - 1)]
    runs = f"  p95 {p95:.3f} s, runs: {len(samples)}" if repeat > 1 else ""
    print(f"{label:<62} {median:8.3f} s wall {statistics.median(cpu):8.3f} s cpu{runs}", flush=True)
    return result


def _people(n_customers: int):
    from guichet.accounts.models import Team, User
    from guichet.customers.models import Customer

    team = Team.objects.filter(slug="bench").first() or Team.objects.create(
        name="Bench", slug="bench", is_default=not Team.objects.filter(is_default=True).exists()
    )
    agents = list(User.objects.filter(email__endswith="@bench.test"))
    if not agents:
        agents = [User.objects.create_user(f"agent{i}@bench.test") for i in range(20)]
        team.members.add(*agents)
    if Customer.objects.count() < n_customers:
        now = datetime.now(UTC)
        Customer.objects.bulk_create(
            [
                Customer(name=f"Client {i}", email=f"c{i}@bench.test", created_at=now)
                for i in range(n_customers)
            ],
            batch_size=BATCH,
        )
    return team, agents, list(Customer.objects.values_list("id", flat=True)[:n_customers])


def _event(case, kind: str, at: datetime, **data):
    from guichet.cases.models import CaseEvent

    return CaseEvent(case=case, kind=kind, created_at=at, data=data)


def seed_open_cases(n: int, seed: int = 5) -> None:
    """N open cases created over the last two weeks, with their event logs."""
    from django.db import transaction

    from guichet.cases.models import Case, CaseEvent
    from guichet.core.hooks import hooks_paused

    rng = random.Random(seed)
    team, agents, customers = _people(max(1000, n // 10))
    now = datetime.now(UTC)
    priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
    channels = ["email", "portal", "phone", "api"]
    start = Case.objects.count()
    with hooks_paused():
        for offset in range(start, n, BATCH):
            size = min(BATCH, n - offset)
            cases, plans = [], []
            for i in range(offset, offset + size):
                created = now - timedelta(minutes=rng.randint(10, 14 * 24 * 60))
                roll = rng.random()
                status = "new" if roll < 0.5 else ("open" if roll < 0.85 else "waiting_customer")
                priority, channel = rng.choice(priorities), rng.choice(channels)
                answered = created + timedelta(minutes=rng.randint(5, 3000))
                if status != "new" and answered > now:
                    answered = now - timedelta(minutes=1)
                cases.append(
                    Case(
                        number=i + 1,
                        reference=f"B-{i + 1:07d}",
                        subject="Colis",
                        customer_id=rng.choice(customers),
                        owner=rng.choice(agents),
                        team=team,
                        status=status,
                        priority=priority,
                        channel=channel,
                        created_at=created,
                        updated_at=answered if status != "new" else created,
                        first_response_at=answered if status != "new" else None,
                    )
                )
                plans.append((created, answered, status, priority, channel))
            with transaction.atomic():
                Case.objects.bulk_create(cases, batch_size=BATCH)
                events = []
                for case, (created, answered, status, priority, channel) in zip(
                    cases, plans, strict=True
                ):
                    ev = partial(_event, case)
                    events.append(ev("created", created, channel=channel, priority=priority))
                    events.append(
                        ev(
                            "contact_added",
                            created,
                            contact_kind="customer_message",
                            channel=channel,
                        )
                    )
                    if status != "new":
                        events.append(ev("contact_added", answered, contact_kind="reply"))
                        events.append(ev("status_changed", answered, old="new", new="open"))
                    if status == "waiting_customer":
                        events.append(
                            ev("status_changed", answered, old="open", new="waiting_customer")
                        )
                CaseEvent.objects.bulk_create(events, batch_size=BATCH)
            print(f"  seeded {offset + size} cases", file=sys.stderr)


def recompute(args) -> None:
    setup_django(f"sla_recompute_{args.n}_{args.db}", args.db, args.fresh)
    from guichet.cases.models import Case
    from guichet.sla.models import Calendar, CaseClock, OpeningHours
    from guichet.sla.services import clocks_rebuild, clocks_recompute_calendar

    if Case.objects.count() < args.n:
        timed(f"seed {args.n:,} open cases and their event logs", lambda: seed_open_cases(args.n))
    if CaseClock.objects.count() < args.n:
        timed(f"first build of {args.n:,} case clocks", lambda: clocks_rebuild())
    calendar = Calendar.objects.get(name="default")

    def change_and_recompute() -> int:
        # Toggle a Saturday morning: every open case's due times move one way, then back.
        saturday = OpeningHours.objects.filter(calendar=calendar, weekday=5)
        if saturday.exists():
            saturday.delete()
        else:
            OpeningHours.objects.create(calendar=calendar, weekday=5, start="09:00", end="12:00")
        calendar.save()  # bumps updated_at: the schedule cache follows
        return clocks_recompute_calendar(calendar_id=calendar.pk)

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(change_and_recompute)
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    count = timed(
        f"recompute the due times of {args.n:,} open cases (calendar change)",
        change_and_recompute,
        repeat=args.repeat,
    )
    print(f"  cases re-synchronised per run: {count:,}")


def seed_report(n: int, seed: int = 7) -> None:
    """N cases over two years, each with its first-response and resolution runs (and a next
    response for a third of them); 2 % still open. Rows are written with executemany (the sla
    app's bulk writer): a million cases through the ORM would take hours on this machine."""
    from django.db import connection, transaction

    from guichet.accounts.models import Team
    from guichet.cases.models import Case
    from guichet.sla.services import week_of
    from guichet.sla.services.bulk import insert_rows

    rng = random.Random(seed)
    team, agents, customers = _people(max(1000, n // 20))
    teams = [team.pk] + [
        Team.objects.get_or_create(name=f"Bench {i}", slug=f"bench-{i}")[0].pk for i in range(4)
    ]
    agent_ids = [a.pk for a in agents]
    now = datetime.now(UTC)
    span = 730 * 24 * 60
    channels = ["email", "portal", "phone", "api", "chat"]
    priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
    start = Case.objects.count()
    for offset in range(start, n, BATCH * 4):
        size = min(BATCH * 4, n - offset)
        cases, targets = [], []
        for number in range(offset + 1, offset + size + 1):
            created = now - timedelta(minutes=rng.randint(1, span))
            is_open = rng.random() < 0.02
            case = {
                "id": number,
                "number": number,
                "reference": f"R-{number:07d}",
                "subject": "Colis",
                "customer_id": rng.choice(customers),
                "owner_id": rng.choice(agent_ids),
                "team_id": rng.choice(teams),
                "status": "open" if is_open else "resolved",
                "priority": rng.choice(priorities),
                "category_id": None,
                "channel": rng.choice(channels),
                "merged_into_id": None,
                "created_at": created,
                "updated_at": created,
                "first_response_at": None,
                "resolved_at": None if is_open else created,
                "closed_at": None,
            }
            cases.append(case)
            runs = [("first_response", 0, 480), ("resolution", 0, 2400)]
            if rng.random() < 0.33:
                runs.append(("next_response", 1, 480))
            for kind, seq, target in runs:
                taken = int(rng.lognormvariate(5.0, 1.0)) * 60
                running = is_open and kind != "first_response"
                due = created + timedelta(minutes=target * 3)
                targets.append(
                    {
                        "case_id": number,
                        "kind": kind,
                        "seq": seq,
                        "priority": case["priority"],
                        "team_id": case["team_id"],
                        "channel": case["channel"],
                        "week": week_of(created),
                        "started_at": created,
                        "target_minutes": target,
                        "due_at": due if running else None,
                        "risk_at": due - timedelta(minutes=target) if running else None,
                        "breached_at": None,
                        "paused_since": None,
                        "paused_seconds": 0,
                        "paused_business_seconds": 0,
                        "ended_at": None if running else created,
                        "outcome": "open"
                        if running
                        else ("met" if taken <= target * 60 else "breached"),
                        "business_seconds": None if running else taken,
                        "calendar_seconds": None if running else taken * 2,
                    }
                )
        from guichet.sla.models import CaseTarget

        with transaction.atomic():
            insert_rows(Case, cases)
            insert_rows(CaseTarget, targets)
        print(f"  seeded {offset + size} cases", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
                "(SELECT max(id) FROM cases_case))"
            )


def setup_existing(database_url: str) -> None:
    """An existing database (a copy of the shared 1,000,000-case dataset): migrate it, which
    creates the report's pre-aggregates and fills them from the clocks (timed)."""
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("GUICHET_VAR_DIR", str(RESULTS / "var"))
    os.environ["GUICHET_PLAIN_STATIC"] = "1"
    os.environ["GUICHET_TASKS_BACKEND"] = "database"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    timed(
        "migrate (pre-aggregate tables and indexes, filled from the clocks)",
        lambda: call_command("migrate", verbosity=0, interactive=False),
    )


def report(args) -> None:
    if args.database_url:
        setup_existing(args.database_url)
    else:
        setup_django(f"sla_report_{args.n}_{args.db}", args.db, args.fresh)
    from django.db import connection
    from django.test import Client

    from guichet.accounts.models import Team, User
    from guichet.cases.models import Case
    from guichet.sla import reports
    from guichet.sla.aggregates import aggregates_rebuild
    from guichet.sla.models import CaseTarget, ReportBucket, ReportCell

    if not args.database_url and Case.objects.count() < args.n:
        timed(f"seed {args.n:,} cases with their target runs", lambda: seed_report(args.n))
        args.rebuild = True  # the seed writes CaseTarget rows directly
    print(
        f"  cases: {Case.objects.count():,}, target runs: {CaseTarget.objects.count():,}, "
        f"report cells: {ReportCell.objects.count():,}, buckets: {ReportBucket.objects.count():,}"
    )
    if args.database_url and not CaseTarget.objects.exists():
        # The shared dataset's "cases.imported" hook only queued the clocks' build (database
        # task backend): run what that task runs, as the worker would.
        from django.db.models import Max, Min

        from guichet.sla.services import clocks_rebuild_imported

        span = Case.objects.aggregate(first=Min("id"), last=Max("id"))
        timed(
            f"clocks of {args.n:,} imported cases, then the aggregates (cases.imported task)",
            lambda: clocks_rebuild_imported(first_case_id=span["first"], last_case_id=span["last"]),
        )
        print(
            f"  target runs: {CaseTarget.objects.count():,}, report cells: "
            f"{ReportCell.objects.count():,}, buckets: {ReportBucket.objects.count():,}"
        )
    if args.rebuild:
        timed("full rebuild of the pre-aggregates (guichet sla aggregates)", aggregates_rebuild)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # No ANALYZE: Guichet never runs it, so the plans measured are those of a real
            # installation (the shared dataset may hold statistics of its own).
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            print(f"  sqlite_stat1 present: {bool(cursor.fetchone()[0])}")
        else:
            # What autovacuum does soon after a bulk write (visibility map, statistics).
            for table in ("sla_casetarget", "sla_reportcell", "sla_reportbucket"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    boss = User.objects.filter(email="boss@bench.test").first() or User.objects.create_user(
        "boss@bench.test", role="supervisor"
    )
    twelve = reports.ReportFilters.build()
    years = reports.ReportFilters.build(
        since=(datetime.now(UTC) - timedelta(days=730)).date(), until=datetime.now(UTC).date()
    )
    r = args.repeat
    for label, filters in (("12 weeks", twelve), ("two years", years)):
        for by in ("all", "team", "week"):
            timed(
                f"attainment by {by} over {label}",
                lambda f=filters, b=by: reports.attainment(filters=f, by=b),
                r,
            )
        timed(
            f"first-response median and p90 over {label}",
            lambda f=filters: reports.distribution(filters=f, target="first_response"),
            r,
        )
    timed("cases at risk now", lambda: reports.at_risk_now(user=boss), r)
    client = Client(HTTP_HOST="localhost")  # "testserver" is not in ALLOWED_HOSTS
    client.force_login(boss)
    since = (datetime.now(UTC) - timedelta(days=730)).date().isoformat()
    team = Team.objects.order_by("id").values_list("id", flat=True).first()

    def get(url: str):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    get("/sla/")
    for label, url in (
        ("the /sla/ page (12 weeks, by team)", "/sla/"),
        ("the /sla/ page (two years, by week)", f"/sla/?by=week&since={since}"),
        ("JSON attainment by team (12 weeks)", "/api/v1/sla/report/attainment?by=team"),
        (
            "JSON attainment by week (two years)",
            f"/api/v1/sla/report/attainment?by=week&since={since}",
        ),
        ("JSON distribution (12 weeks)", "/api/v1/sla/report/distribution"),
        ("JSON distribution (two years)", f"/api/v1/sla/report/distribution?since={since}"),
        (
            "JSON distribution, one team (two years)",
            f"/api/v1/sla/report/distribution?since={since}&team={team}",
        ),
        (
            "CSV attainment by priority (two years)",
            f"/api/v1/sla/report/attainment.csv?by=priority&since={since}",
        ),
        ("JSON at risk now", "/api/v1/sla/at-risk"),
    ):
        timed(label, lambda u=url: get(u), r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["recompute", "report"])
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one run first")
    parser.add_argument(
        "--database-url",
        help="report: an existing database (a copy of the shared 1M dataset) instead of seeding",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="report: time a full rebuild of the aggregates"
    )
    args = parser.parse_args()
    if args.n is None:
        args.n = 100_000 if args.what == "recompute" else 1_000_000
    where = args.database_url or args.db
    print(f"sla {args.what}, N = {args.n:,}, {where}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    (recompute if args.what == "recompute" else report)(args)


if __name__ == "__main__":
    main()
