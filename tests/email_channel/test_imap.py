"""IMAP polling against a real, private Dovecot started by the fixture (no protocol mocks)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from imap_tools import AND, MailBoxUnencrypted

from guichet.cases.models import Contact
from guichet.channels.email.choices import InboundSource, InboundState
from guichet.channels.email.imap import mailbox_poll, mailbox_watch
from guichet.channels.email.models import InboundMessage, Mailbox
from guichet.channels.email.services import inbound_store, mailbox_create
from tests.email_channel.conftest import message_build

USER, PASSWORD = "support@example.test", "secret-imap"

DOVECOT_CONF = """
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
mail_uid = 65534
mail_gid = 65534
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def dovecot():
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (.ci/run installs dovecot-imapd)")
        pytest.skip("dovecot is not installed: apt-get install -y dovecot-imapd")
    folder = Path(tempfile.mkdtemp(prefix="guichet-dovecot-"))
    folder.chmod(0o755)
    (folder / "mail").mkdir()
    os.chown(folder / "mail", 65534, 65534)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    conf = folder / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(d=folder, port=port))
    subprocess.run([binary, "-c", str(conf)], check=True, timeout=30)  # noqa: S603  (our own config)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        pytest.fail((folder / "dovecot.log").read_text()[-2000:])
    yield port
    doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
    subprocess.run([doveadm, "-c", str(conf), "stop"], check=False, timeout=30)  # noqa: S603
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(dovecot):
    """A clean INBOX (and no archive folder) for each test."""
    with MailBoxUnencrypted("127.0.0.1", port=dovecot).login(USER, PASSWORD) as client:
        client.delete(client.uids("ALL"))
        for folder in client.folder.list():
            if folder.name != "INBOX":
                client.folder.delete(folder.name)
    return dovecot


def imap_append(port: int, raw: bytes, folder: str = "INBOX") -> None:
    with MailBoxUnencrypted("127.0.0.1", port=port).login(USER, PASSWORD) as client:
        client.append(raw, folder, flag_set=())


def imap_unseen(port: int, folder: str = "INBOX") -> int:
    with MailBoxUnencrypted("127.0.0.1", port=port).login(USER, PASSWORD, folder) as client:
        return len(client.uids(AND(seen=False)))


@pytest.fixture
def imap_mailbox(server, team) -> Mailbox:
    return mailbox_create(
        address="support@guichet.test",
        team=team,
        imap_host="127.0.0.1",
        imap_port=server,
        imap_security="none",
        imap_username=USER,
        imap_password=PASSWORD,
    )


@pytest.mark.django_db
def test_poll_stores_then_flags_seen_and_opens_cases(server, imap_mailbox):
    # Given two unseen messages on the server
    imap_append(server, bytes(message_build(message_id="<imap-1@example.test>")))
    imap_append(server, bytes(message_build(message_id="<imap-2@example.test>", subject="Deux")))
    # When the mailbox is polled (and the pending messages processed)
    result = mailbox_poll(mailbox=imap_mailbox)
    call_command("mail", "retry")
    # Then both are stored, marked seen on the server, and are contacts
    assert (result.stored, result.duplicates, result.error) == (2, 0, "")
    assert imap_unseen(server) == 0
    assert InboundMessage.objects.filter(source=InboundSource.IMAP).count() == 2
    assert Contact.objects.filter(external_id__startswith="<imap-").count() == 2
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_polled_at is not None
    assert imap_mailbox.last_poll_error == ""


@pytest.mark.django_db
def test_stored_bytes_are_exactly_the_servers(server, imap_mailbox):
    raw = bytes(message_build(message_id="<exact@example.test>", body="Accentué: é à ç"))
    imap_append(server, raw)
    mailbox_poll(mailbox=imap_mailbox)
    stored = bytes(InboundMessage.objects.get(message_id="<exact@example.test>").raw)
    assert stored.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


@pytest.mark.django_db
def test_message_fetched_again_after_a_crash_is_not_duplicated(server, imap_mailbox):
    # Given a message already stored, but the poller died before flagging it seen
    raw = bytes(message_build(message_id="<again@example.test>"))
    inbound_store(raw=raw, mailbox=imap_mailbox, source=InboundSource.IMAP)
    imap_append(server, raw)
    # When the next poll fetches it again
    result = mailbox_poll(mailbox=imap_mailbox)
    call_command("mail", "retry")
    # Then it is recognised, flagged this time, and there is one contact
    assert (result.stored, result.duplicates) == (0, 1)
    assert imap_unseen(server) == 0
    assert Contact.objects.filter(external_id="<again@example.test>").count() == 1


@pytest.mark.django_db
def test_stored_messages_move_to_the_archive_folder_when_set(server, imap_mailbox):
    with MailBoxUnencrypted("127.0.0.1", port=server).login(USER, PASSWORD) as client:
        client.folder.create("Guichet")
    imap_mailbox.imap_archive_folder = "Guichet"
    imap_mailbox.save()
    imap_append(server, bytes(message_build()))
    mailbox_poll(mailbox=imap_mailbox)
    with MailBoxUnencrypted("127.0.0.1", port=server).login(USER, PASSWORD, "Guichet") as client:
        assert len(client.uids("ALL")) == 1
    with MailBoxUnencrypted("127.0.0.1", port=server).login(USER, PASSWORD) as client:
        assert client.uids("ALL") == []


@pytest.mark.django_db
def test_wrong_password_is_recorded_on_the_mailbox_not_raised(server, imap_mailbox):
    imap_mailbox.imap_password = "wrong"
    imap_mailbox.save()
    result = mailbox_poll(mailbox=imap_mailbox)
    imap_mailbox.refresh_from_db()
    assert result.error
    assert "fail" in imap_mailbox.last_poll_error.lower()


@pytest.mark.django_db
def test_poll_command_reports_and_fails_on_a_broken_mailbox(server, imap_mailbox, capsys):
    imap_append(server, bytes(message_build()))
    call_command("mail", "poll")
    assert "1 new" in capsys.readouterr().out
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(imap_password="wrong")
    with pytest.raises(CommandError, match="could not be polled"):
        call_command("mail", "poll")


@pytest.mark.django_db
def test_poll_command_without_imap_mailbox_is_a_clear_error():
    with pytest.raises(CommandError, match="no IMAP mailbox"):
        call_command("mail", "poll")


@pytest.mark.django_db(transaction=True)
def test_watch_picks_up_new_mail_with_idle(server, imap_mailbox):
    # Given a watcher on the mailbox (the server offers IDLE)
    with MailBoxUnencrypted("127.0.0.1", port=server).login(USER, PASSWORD) as client:
        assert "IDLE" in client.client.capabilities
    stop = threading.Event()
    watcher = threading.Thread(
        target=mailbox_watch, kwargs={"mailbox": imap_mailbox, "stop": stop, "interval": 2}
    )
    watcher.start()
    try:
        time.sleep(0.5)
        # When a message arrives
        imap_append(server, bytes(message_build(message_id="<idle@example.test>")))
        # Then the watcher takes it without being asked (seen flag set on the server)
        deadline = time.monotonic() + 15
        while imap_unseen(server) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()
    assert InboundMessage.objects.get(message_id="<idle@example.test>").state == (
        InboundState.PROCESSED
    )
