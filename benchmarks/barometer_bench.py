#!/usr/bin/env python
"""Server-side latency of the barometer, measured like ../shared/peer-bench (django-helpdesk).

For each N: a database with N cases (the demo generator's bulk mode; its "cases.imported" hook
computes the per-case figures) and survey answers for 30 % of the resolved cases, then
in-process requests through django.test.Client (full middleware stack): 3 warm-ups (the 3rd
counts SQL queries), 30 timed requests, median and p95 (nearest rank) in milliseconds.

    .venv/bin/python benchmarks/barometer_bench.py --n 10000 100000
    .venv/bin/python benchmarks/barometer_bench.py --n 1000000 --db postgres
    .venv/bin/python benchmarks/barometer_bench.py --n 100000 --peer /tmp/peer-bench/results
    # only some endpoints (names containing these words); --no-running: not the running week,
    # quarter, last 365 days and filtered running month
    .venv/bin/python benchmarks/barometer_bench.py --n 100000 --only current --repeat 15
    # an existing database (a copy of a shared one) as it is, answers topped up to 300,000:
    .venv/bin/python benchmarks/barometer_bench.py --answers 300000 \
        --database sqlite:////work/bench-data/me-sqlite-1m/guichet.sqlite3

Databases are kept in benchmarks/results/ (git-ignored) and reused when they already hold N
cases (--fresh rebuilds them). With --peer DIR (peer-bench's results/ folder), the table adds
the ratio to django-helpdesk's dashboard for the same N and database.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TARGET_MS = 300.0
PEER_ENDPOINT = "dashboard"
PEER_RATIO = 30.0


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def db_name(n: int) -> str:
    return f"guichet_bench_barometer_{n}"


def setup_django(n: int, db: str, database: str | None = None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["GUICHET_VAR_DIR"] = str(RESULTS / "var")
    os.environ["GUICHET_PLAIN_STATIC"] = "1"
    os.environ.setdefault("GUICHET_TASKS_BACKEND", "immediate")
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    if database:
        os.environ["DATABASE_URL"] = database
    elif db == "postgres":
        base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        os.environ["DATABASE_URL"] = f"{base}/{db_name(n)}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{RESULTS / f'barometer_{n}.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def fresh_database(n: int, db: str) -> None:
    if db == "postgres":
        import psycopg

        base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name(n)}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db_name(n)}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            path = RESULTS / f"barometer_{n}.sqlite3{suffix}"
            if path.exists():
                path.unlink()


def pg_ensure(n: int) -> None:
    import psycopg

    base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (db_name(n),)
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{db_name(n)}"')


def ensure_data(n: int | None, share: float, answers: int | None = None) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from guichet.cases.models import Case
    from guichet.demo.run import demo_generate
    from guichet.demo.surveys import survey_answers_generate
    from guichet.surveys.models import BacklogSpan, CaseFact, SurveyAnswer

    call_command("migrate", verbosity=0)
    have = Case.objects.count()
    info: dict = {"seeded": False}
    if n is not None and have and have != n:
        raise SystemExit(f"database has {have} cases, expected {n}: run with --fresh")
    if not have:
        if n is None:
            raise SystemExit("the database holds no case")
        started = time.perf_counter()
        demo_generate(cases=n, months=24, bulk=True, progress=True, seed=1)
        info["seed_seconds"] = round(time.perf_counter() - started, 1)
        info["seeded"] = True
    # Facts stored before a definition gained a column are recomputed (a resolved case always
    # has at least one contact up to its resolution).
    stale = CaseFact.objects.filter(resolved_at__isnull=False, contacts_to_resolution=0).exists()
    if stale or CaseFact.objects.count() < have or not BacklogSpan.objects.exists():
        from guichet.surveys.facts import case_facts_rebuild

        started = time.perf_counter()
        case_facts_rebuild()
        info["facts_seconds"] = round(time.perf_counter() - started, 1)
    present = SurveyAnswer.objects.count()
    if answers is not None and present < answers:
        # Top up to the target: the share of the resolved cases still without an answer.
        without = (
            Case.objects.filter(resolved_at__isnull=False, merged_into__isnull=True)
            .exclude(survey_invitation__isnull=False)
            .count()
        )
        share = min(1.0, 1.02 * (answers - present) / max(without, 1))
        present = 0
    if not present:
        started = time.perf_counter()
        info["answers_written"] = survey_answers_generate(share=share, seed=1)
        info["answers_seconds"] = round(time.perf_counter() - started, 1)
    if info.get("facts_seconds") is not None or info.get("answers_written"):
        from guichet.surveys.stamps import period_figures_clear

        period_figures_clear()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    info["cases"] = Case.objects.count()
    info["answers"] = SurveyAnswer.objects.count()
    return info


def time_endpoints(
    repeat: int, warmup: int, *, running: bool = True, only: list[str] | None = None
) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from guichet.accounts.models import User
    from guichet.cases.models import Case

    supervisor = User.objects.filter(role="supervisor", is_active=True).first()
    if supervisor is None:
        supervisor = User.objects.create_user(email="bench-sup@bench.test", role="supervisor")
    client = Client()
    client.force_login(supervisor)
    # The last full month of the data (the demo ends today).
    last = Case.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    last_day = timezone.localtime(last).date() if last else timezone.localdate()
    month_end = last_day.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    span = f"start={month_start.isoformat()}&end={month_end.isoformat()}"
    # The month still running is never stored: computed live on every request.
    live = f"start={last_day.replace(day=1).isoformat()}&end={last_day.isoformat()}"
    endpoints = {
        "barometer_page": f"/barometer/?period=month&date={month_start.isoformat()}",
        "barometer_json": f"/api/v1/barometer?{span}",
        "barometer_charts_json": f"/api/v1/barometer/charts?{span}",
        "barometer_json_team_filter": f"/api/v1/barometer?{span}&team=1",
        "barometer_csv": f"/barometer/export.csv?period=month&date={month_start.isoformat()}",
        "barometer_page_current_month": f"/barometer/?period=custom&{live}",
        "barometer_json_current_month": f"/api/v1/barometer?{live}",
    }
    if running:
        # Other running periods, with filters (all from the stored daily counts).
        monday = last_day - timedelta(days=last_day.weekday())
        quarter = last_day.replace(month=3 * ((last_day.month - 1) // 3) + 1, day=1)
        team = Case.objects.filter(team__isnull=False).values_list("team_id", flat=True).first()
        endpoints.update(
            {
                "barometer_page_current_month_team": f"/barometer/?period=custom&{live}"
                f"&team={team}",
                "barometer_json_current_month_team": f"/api/v1/barometer?{live}&team={team}",
                "barometer_json_current_month_email": f"/api/v1/barometer?{live}&channel=email",
                "barometer_json_current_week": "/api/v1/barometer?"
                f"start={monday.isoformat()}&end={last_day.isoformat()}",
                "barometer_json_current_quarter": "/api/v1/barometer?"
                f"start={quarter.isoformat()}&end={last_day.isoformat()}",
                "barometer_json_last_365_days": "/api/v1/barometer?"
                f"start={(last_day - timedelta(days=364)).isoformat()}&end={last_day.isoformat()}",
                "barometer_page_current_quarter_phone": "/barometer/?period=custom&"
                f"start={quarter.isoformat()}&end={last_day.isoformat()}&channel=phone",
            }
        )
    if only:
        endpoints = {k: v for k, v in endpoints.items() if any(o in k for o in only)}
    results = {}
    for name, path in endpoints.items():
        queries = 0
        cold = 0.0
        for i in range(warmup):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            if i == 0:
                # The first request of a settled period computes and stores its figures.
                cold = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code} {response.content[:300]!r}")
            if i == warmup - 1:
                queries = len(ctx.captured_queries)
        samples, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        results[name] = {
            "median_ms": round(statistics.median(samples), 1),
            "p95_ms": round(p95(samples), 1),
            # CPU time of this process (with SQLite, the queries run in it too): what the
            # request costs, whatever else the machine is doing.
            "cpu_ms": round(statistics.median(cpu), 1),
            "queries": queries,
            "first_ms": round(cold, 1),
        }
    return results


def child(
    n: int,
    db: str,
    share: float,
    repeat: int,
    warmup: int,
    out: Path,
    database: str | None = None,
    answers: int | None = None,
    running: bool = True,
    only: list[str] | None = None,
) -> None:
    setup_django(n, db, database)
    info = ensure_data(None if database else n, share, answers)
    from django.db import connection

    info["vendor"] = connection.vendor
    info["endpoints"] = time_endpoints(repeat, warmup, running=running, only=only)
    out.write_text(json.dumps(info, indent=2))


def peer_dashboard(peer: Path | None, n: int, db: str) -> float | None:
    if peer is None:
        return None
    name = f"timing_{n}{'_pg' if db == 'postgres' else ''}.json"
    path = peer / name
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    rows = data.get("endpoints") or data.get("results", data)
    entry = rows.get(PEER_ENDPOINT) if isinstance(rows, dict) else None
    if isinstance(entry, dict):
        return entry.get("median_ms") or entry.get("median")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--share", type=float, default=0.3, help="answered share of resolved")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--peer", type=Path, help="peer-bench results/ folder")
    parser.add_argument("--database", help="an existing database URL, used as it is (its N)")
    parser.add_argument("--answers", type=int, help="top the survey answers up to this many")
    parser.add_argument(
        "--no-running", action="store_true", help="skip the other running periods and filters"
    )
    parser.add_argument("--only", nargs="+", help="endpoints whose name contains one of these")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(
            args.child,
            args.db,
            args.share,
            args.repeat,
            args.warmup,
            args.out,
            database=args.database,
            answers=args.answers,
            running=not args.no_running,
            only=args.only,
        )
        return 0
    if args.database:
        args.db = "postgres" if args.database.startswith("postgres") else "sqlite"
        args.n = [0]  # whatever the database holds
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = False
    for n in args.n:
        if args.database:
            pass
        elif args.fresh:
            fresh_database(n, args.db)
        elif args.db == "postgres":
            pg_ensure(n)
        out = RESULTS / f"barometer_{n or 'existing'}_{args.db}.json"
        command = [sys.executable, __file__, "--child", str(n or -1), "--db", args.db]
        command += ["--out", str(out), "--share", str(args.share), "--repeat", str(args.repeat)]
        command += ["--warmup", str(args.warmup)]
        if args.database:
            command += ["--database", args.database]
        if args.answers:
            command += ["--answers", str(args.answers)]
        if args.no_running:
            command += ["--no-running"]
        if args.only:
            command += ["--only", *args.only]
        subprocess.run(command, check=True)  # noqa: S603 (this script, with our arguments)
        info = json.loads(out.read_text())
        n = info["cases"]
        peer = peer_dashboard(args.peer, n, args.db)
        print(f"\nN={n:,} cases, {info['answers']:,} answers ({info['vendor']})", end="")
        for key in ("seed_seconds", "facts_seconds", "answers_seconds"):
            if key in info:
                print(f"; {key.replace('_', ' ')} {info[key]}", end="")
        print()
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"{'endpoint':38} {'median ms':>10} {'p95 ms':>9} {'cpu ms':>8} {'queries':>8} "
            f"{'first ms':>9}  verdict"
        )
        for name, row in info["endpoints"].items():
            verdict = "ok" if row["median_ms"] < TARGET_MS else f"over {TARGET_MS:.0f} ms"
            if peer and name in ("barometer_page", "barometer_json"):
                ratio = peer / row["median_ms"]
                verdict += f"; {ratio:.0f}× faster than helpdesk dashboard ({peer:.0f} ms)"
                if ratio < PEER_RATIO:
                    verdict += f" — below {PEER_RATIO:.0f}×"
            failed |= row["median_ms"] >= TARGET_MS
            print(
                f"{name:38} {row['median_ms']:>10.1f} {row['p95_ms']:>9.1f} "
                f"{row.get('cpu_ms', 0):>8.1f} {row['queries']:>8} {row.get('first_ms', 0):>9.1f}"
                f"  {verdict}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
