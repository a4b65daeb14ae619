#!/usr/bin/env python
"""Email intake throughput through the real LMTP listener, threading and durable storage included.

A fresh database is migrated, `guichet mail serve --lmtp` runs as a subprocess, and this process
delivers N messages over LMTP with a few parallel connections, like a mail server would. The
messages are the peer benchmark's shape (../shared/peer-bench/ingest.py): 500 senders, French
text of mixed length, 20 % replies to an earlier message (In-Reply-To), plus here 5 % with a
small attachment and 1 % of 8-bit windows-1252. Timing stops when every message is processed
(no row left `received`). Printed: acknowledged/s (the sender's view), processed/s (end to end),
the listener's peak memory, and django-helpdesk's figure when --peer is given.

    .venv/bin/python benchmarks/email_ingest.py --n 10000
    .venv/bin/python benchmarks/email_ingest.py --n 2000 --db postgres
    .venv/bin/python benchmarks/email_ingest.py --n 2000 --peer /tmp/peer-bench

--peer DIR: a peer-bench work folder where ../shared/peer-bench/run.sh made its venv; the
peer's ingest.py is run there on the same N, on a fresh SQLite database.
"""

# ruff: noqa: S603  (runs our own manage.py, CLI and the peer's script)
from __future__ import annotations

import argparse
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The environment as started: count_left() points this process at Guichet's settings later, and
# the peer's subprocess must not inherit them.
ORIGINAL_ENV = dict(os.environ)
SUPPORT = "support@exemple.fr"


def messages(n: int) -> list[bytes]:
    out: list[bytes] = []
    ids: list[str] = []
    for i in range(n):
        m = EmailMessage()
        m["From"] = f"Client {i % 500} <client{i % 500}@exemple.fr>"
        m["To"] = SUPPORT
        m["Date"] = formatdate(localtime=True)
        mid = f"<bench-{i}-{uuid.uuid4().hex[:8]}@exemple.fr>"
        m["Message-ID"] = mid
        if ids and i % 5 == 0:  # 20 % replies to an earlier message
            m["Subject"] = f"Re: Commande {i - 1}"
            m["In-Reply-To"] = ids[-1]
            m["References"] = ids[-1]
        else:
            m["Subject"] = f"Commande {i} : colis non livré, je souhaite être remboursé"
        text = "Bonjour,\n\nMa commande n'est pas arrivée. Pouvez-vous vérifier ?\n" * (1 + i % 8)
        if i % 100 == 7:
            m.set_content(
                text.replace("é", "e") + "Prix : 30 €", charset="windows-1252", cte="8bit"
            )
        else:
            m.set_content(text)
        if i % 20 == 3:
            m.add_attachment(
                os.urandom(20_000), maintype="application", subtype="pdf", filename=f"bon-{i}.pdf"
            )
        ids.append(mid)
        out.append(m.as_bytes(policy=SMTP))  # CRLF line ends, as on the wire
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(db: str, work: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "GUICHET_VAR_DIR": str(work / "var"),
        "SECRET_KEY": "bench-only",
        "GUICHET_SUPPORT_EMAIL": SUPPORT,
        "GUICHET_TASKS_BACKEND": "database",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR": "0",
        "DJANGO_SETTINGS_MODULE": "guichet.config.settings",
    }
    if db == "postgres":
        import psycopg

        name = f"guichet_email_bench_{uuid.uuid4().hex[:6]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
        env["_BENCH_PG"] = name
    else:
        env["DATABASE_URL"] = f"sqlite:///{work / 'ingest.sqlite3'}"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    # A default team with five agents, so routing is part of the cost.
    seed = (
        "import django; django.setup()\n"
        "from guichet.accounts.services import team_create, user_create\n"
        "t = team_create(name='Service client', is_default=True)\n"
        "for i in range(5):\n"
        "    t.members.add(user_create(email=f'agent{i}@exemple.fr', first_name=f'Agent{i}'))\n"
    )
    subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=env, check=True)
    return env


def count_left(env: dict[str, str]) -> tuple[int, int, int, int, int]:
    """Counted in this process, on a connection of its own (a subprocess per poll would steal
    the CPU the listener is being measured on)."""
    import django

    if not getattr(count_left, "ready", False):
        os.environ.update(env)
        sys.path.insert(0, str(ROOT / "src"))
        django.setup()
        count_left.ready = True  # type: ignore[attr-defined]
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from guichet.cases.models import Case, Contact
    from guichet.channels.email.models import InboundMessage as M

    result = (
        M.objects.filter(state="received").count(),
        M.objects.count(),
        Case.objects.count(),
        Contact.objects.count(),
        DBTaskResult.objects.filter(
            task_path__endswith="inbound_hooks_replay_task", status__in=("READY", "RUNNING")
        ).count(),
    )
    connection.close()
    return result


def peak_rss_mb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return -1
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) // 1024 if match else -1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (and its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    # utime, stime, cutime, cstime are fields 14-17 of stat; 12-15 after the name
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def deliver_all(port: int, batch: list[bytes], connections: int) -> tuple[float, int]:
    failures = 0
    lock = threading.Lock()
    chunks = [batch[i::connections] for i in range(connections)]

    def worker(chunk: list[bytes]) -> None:
        nonlocal failures
        with smtplib.LMTP("127.0.0.1", port, timeout=60) as client:
            for raw in chunk:
                try:
                    client.sendmail("client@exemple.fr", [SUPPORT], raw)
                except smtplib.SMTPException:
                    with lock:
                        failures += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, failures


def run_guichet(n: int, db: str, connections: int, worker_nice: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="guichet-email-bench-"))
    env = prepare_database(db, work)
    batch = messages(n)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "guichet.cli", "mail", "serve", "--lmtp", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # The background worker runs what the intake hands over (the other apps' reactions to new
    # cases and contacts, acknowledgements), on the same machine, as in production; at a lower
    # CPU priority (`nice`, docs/email.md) so that deferred work does not slow the intake.
    worker = subprocess.Popen(
        [sys.executable, "-m", "guichet.cli", "worker"],
        preexec_fn=lambda: os.nice(worker_nice),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        start = time.perf_counter()
        client_start = time.process_time()
        ack_secs, failures = deliver_all(port, batch, connections)
        client_cpu = time.process_time() - client_start
        while True:
            left, stored, cases, contacts, derived = count_left(env)
            if left == 0:
                break
            time.sleep(0.2)
        total_secs = time.perf_counter() - start
        while derived:
            time.sleep(0.2)
            derived = count_left(env)[4]
        derived_secs = time.perf_counter() - start
        rss = peak_rss_mb(server.pid)
        worker_rss = peak_rss_mb(worker.pid)
        cpu = (cpu_seconds(server.pid), cpu_seconds(worker.pid))
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=60)
        worker.wait(timeout=60)
        if env.get("_BENCH_PG"):
            import psycopg

            with psycopg.connect(
                "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{env["_BENCH_PG"]}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    return {
        "n": n,
        "ack_secs": ack_secs,
        "total_secs": total_secs,
        "derived_secs": derived_secs,
        "worker_rss": worker_rss,
        "failures": failures,
        "stored": stored,
        "cases": cases,
        "contacts": contacts,
        "rss": rss,
        "cpu": cpu,
        "client_cpu": client_cpu,
        "load": os.getloadavg()[0],
    }


def run_peer(n: int, peer: Path) -> str:
    python = peer / ".venv" / "bin" / "python"
    if not python.exists():
        return f"(no peer venv at {python}: run ../shared/peer-bench/run.sh first)"
    db = peer / "data" / "ingest_cmp.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**ORIGINAL_ENV, "BENCH_SQLITE_PATH": str(db)}
    subprocess.run([str(python), "manage.py", "migrate", "-v0"], cwd=peer, env=env, check=True)
    out = subprocess.run(
        [str(python), "ingest.py", "--n", str(n)],
        cwd=peer,
        env=env,
        check=True,
        capture_output=True,
    )
    return out.stdout.decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--peer", type=Path, help="peer-bench work folder (with its .venv)")
    parser.add_argument("--worker-nice", type=int, default=10, help="nice value of the worker")
    args = parser.parse_args()
    r = run_guichet(args.n, args.db, args.connections, args.worker_nice)
    print(
        f"guichet ({args.db}, LMTP, {args.connections} connections, worker at nice "
        f"{args.worker_nice}): {r['n']} messages; "
        f"acknowledged in {r['ack_secs']:.1f} s = {r['n'] / r['ack_secs']:.0f} msg/s; "
        f"every message a contact in a case in {r['total_secs']:.1f} s = "
        f"{r['n'] / r['total_secs']:.0f} msg/s; the other apps' derived work done in "
        f"{r['derived_secs']:.1f} s = {r['n'] / r['derived_secs']:.0f} msg/s; "
        f"stored {r['stored']}, cases {r['cases']}, contacts {r['contacts']}, "
        f"refused {r['failures']}; peak RSS listener {r['rss']} MB, worker {r['worker_rss']} MB; "
        f"CPU listener {r['cpu'][0]:.1f} s, worker {r['cpu'][1]:.1f} s, sending client "
        f"{r['client_cpu']:.1f} s; load average at the end {r['load']:.1f}",
        flush=True,
    )
    if args.peer:
        peer = run_peer(args.n, args.peer)
        print("django-helpdesk (local folder, no protocol):", peer, flush=True)
        found = re.search(r"= (\d+) msg/s", peer)
        if found:
            rate = int(found.group(1))
            print(
                "ratios to django-helpdesk: acknowledged "
                f"{r['n'] / r['ack_secs'] / rate:.2f}x, contact in a case "
                f"{r['n'] / r['total_secs'] / rate:.2f}x, derived work done "
                f"{r['n'] / r['derived_secs'] / rate:.2f}x"
            )


if __name__ == "__main__":
    main()
