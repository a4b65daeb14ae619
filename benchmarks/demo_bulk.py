"""Bulk demo data into a fresh database: prints cases/s, rows written, seconds, peak RSS and
database size.

    python benchmarks/demo_bulk.py --cases 100000
    python benchmarks/demo_bulk.py --cases 1000000 --recreate \
        --database-url postgres://postgres@127.0.0.1:5432/guichet_bench

SQLite (default) goes to a new temporary folder, removed afterwards unless --keep. A PostgreSQL
database is created if absent; an existing one is used only if empty, or dropped and created
again with --recreate. The other apps' rebuild of derived data ("cases.imported" hook) is timed
separately, and skipped with --skip-derived.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _postgres_fresh(url: str, recreate: bool) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    if tables:
        sys.exit(f"{name} is not empty: use --recreate to drop it first.")


def _size(var_dir: Path | None) -> int:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
    assert var_dir is not None
    return sum(p.stat().st_size for p in var_dir.glob("guichet.sqlite3*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=5000, help="cases per transaction")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    parser.add_argument("--recreate", action="store_true", help="PostgreSQL: drop it first")
    parser.add_argument("--skip-derived", action="store_true", help="do not run the hooks")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    os.environ["GUICHET_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "guichet.config.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        _postgres_fresh(args.database_url, args.recreate)
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from guichet.demo.run import demo_generate

    try:
        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        result = demo_generate(
            cases=args.cases,
            months=args.months,
            seed=args.seed,
            bulk=True,
            progress=not args.quiet,
            batch=args.batch,
            derived=not args.skip_derived,
        )
        total = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mib = _size(None if connection.vendor == "postgresql" else var_dir) / 2**20
        print(f"database        {connection.vendor}")
        print(f"cases           {result.cases:,}")
        print(f"customers       {result.customers:,}")
        print(f"rows written    {result.rows:,}")
        print(f"seconds         {result.seconds:.1f} (writing)")
        print(f"cases/s         {result.cases / result.seconds:,.0f}")
        print(f"rows/s          {result.rows / result.seconds:,.0f}")
        if not args.skip_derived:
            print(f"derived data    {result.derived_seconds:.1f} s (other apps' hooks)")
        print(f"total seconds   {total:.1f}")
        print(f"peak RSS        {peak_mib:,.0f} MiB (writer), {child_mib:,.0f} MiB (generator)")
        print(f"database size   {size_mib:,.0f} MiB")
    finally:
        connection.close()
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
