#!/usr/bin/env python
"""Run Guichet's benchmarks beside the peer benchmark (django-helpdesk, ../shared/peer-bench) in
the same run, on the same N, so that the printed ratios compare like with like.

    .venv/bin/python benchmarks/run.py                       # N = 10,000 and 100,000, SQLite
    .venv/bin/python benchmarks/run.py --n 10000 --db postgres
    .venv/bin/python benchmarks/run.py --skip-peer           # reuse the peer's last results

Not part of the test suite: it prints figures and takes minutes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_SRC = ROOT.parent / "shared" / "peer-bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--skip-peer", action="store_true", help="reuse the peer's last results")
    parser.add_argument(
        "--only", choices=("workspace", "barometer"), nargs="+", default=["workspace", "barometer"]
    )
    args = parser.parse_args()

    peer_dir = Path(os.environ.get("PEER_BENCH_DIR", Path(tempfile.gettempdir()) / "peer-bench"))
    env = {**os.environ, "PEER_BENCH_DIR": str(peer_dir), "BENCH_NS": " ".join(map(str, args.n))}
    if args.db == "postgres":
        env["BENCH_DB"] = "postgres"
    if not args.skip_peer:
        if not (PEER_SRC / "run.sh").exists():
            print(f"peer benchmark not found at {PEER_SRC}", file=sys.stderr)
            return 2
        print(f"== django-helpdesk (peer) N={args.n} {args.db}", flush=True)
        subprocess.run(["bash", str(PEER_SRC / "run.sh")], env=env, check=True)  # noqa: S603,S607
    n = [str(x) for x in args.n]
    for name in args.only:
        print(f"\n== Guichet {name} N={args.n} {args.db}", flush=True)
        subprocess.run(  # noqa: S603
            [sys.executable, str(HERE / f"{name}_bench.py"), "--n", *n, "--db", args.db,
             "--peer", str(peer_dir / "results")],
            check=True,
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
