"""Crash test: the real `guichet mail serve --lmtp` in a subprocess is killed with SIGKILL while a
batch is being delivered; the sender retries what was not acknowledged (and some that were),
the listener restarts, and every message is present exactly once.

The subprocess needs its own database (the test's own is inside a transaction or in memory):
a fresh SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from email.policy import SMTP
from pathlib import Path

import pytest
from django.conf import settings

from tests.email_channel.conftest import message_build

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = "support@guichet.test"
COUNT = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def crash_env(tmp_path):
    """Environment for the subprocesses: its own migrated database."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "GUICHET_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "crash-test",
        "GUICHET_SUPPORT_EMAIL": SUPPORT,
        "GUICHET_TASKS_BACKEND": "database",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    pg_name = None
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    else:
        import psycopg

        pg_name = f"guichet_crash_{uuid.uuid4().hex[:8]}"
        params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432}
        params["user"] = db["USER"]
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{params['host']}:{params['port']}/{pg_name}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    yield env
    if pg_name:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _serve(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "guichet.cli", "mail", "serve", "--lmtp", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode()) from None
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("listener did not start")


def _deliver(port: int, raw: bytes) -> bool:
    """One LMTP delivery; True only if the server acknowledged it (250)."""
    try:
        with smtplib.LMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("client@example.test", [SUPPORT], raw)
        return True
    except (OSError, smtplib.SMTPException):
        return False


def _query(env: dict, code: str) -> str:
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'guichet.config.settings'); django.setup()\n" + code
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    return out.stdout.decode().strip()


def test_sigkill_mid_batch_loses_nothing_and_duplicates_nothing(crash_env):
    messages = {
        f"<crash-{i}@example.test>": message_build(
            message_id=f"<crash-{i}@example.test>", subject=f"Demande {i}"
        ).as_bytes(policy=SMTP)
        for i in range(COUNT)
    }
    port = _free_port()
    server = _serve(crash_env, port)
    # Kill the listener with SIGKILL once a third of the batch has been acknowledged.
    acknowledged: list[str] = []
    killer_armed = threading.Event()

    def kill_later() -> None:
        killer_armed.wait(60)
        os.kill(server.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_later)
    killer.start()
    for message_id, raw in messages.items():
        if _deliver(port, raw):
            acknowledged.append(message_id)
        if len(acknowledged) == COUNT // 3:
            killer_armed.set()
    killer_armed.set()
    killer.join()
    server.wait(timeout=30)
    assert server.returncode == -signal.SIGKILL
    assert COUNT // 3 <= len(acknowledged) < COUNT  # the kill really happened mid-batch

    # The sending server retries what was not acknowledged, and (lost answers) a few that were.
    server = _serve(crash_env, port)
    try:
        retry = [m for m in messages if m not in acknowledged] + acknowledged[:5]
        for message_id in retry:
            assert _deliver(port, messages[message_id]), message_id
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    # Whatever the listener had not processed yet is processed by the next run.
    subprocess.run(
        [sys.executable, "-m", "guichet.cli", "mail", "retry"],
        cwd=ROOT,
        env=crash_env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    report = _query(
        crash_env,
        "from django.db.models import Count\n"
        "from guichet.cases.models import Contact, Case\n"
        "from guichet.channels.email.models import InboundMessage\n"
        "ids = InboundMessage.objects.values('message_id').annotate(n=Count('id'))\n"
        "contacts = Contact.objects.filter(external_id__startswith='<crash-')"
        ".values('external_id').annotate(n=Count('id'))\n"
        "states = sorted(set(InboundMessage.objects.values_list('state', flat=True)))\n"
        "print(len(ids), max(r['n'] for r in ids), len(contacts), "
        "max(r['n'] for r in contacts), Case.objects.count(), ','.join(states))",
    )
    stored, max_rows, contacts, max_contacts, cases, states = report.split()
    assert (int(stored), int(max_rows)) == (COUNT, 1)
    assert (int(contacts), int(max_contacts)) == (COUNT, 1)
    assert int(cases) == COUNT
    assert states == "processed"
