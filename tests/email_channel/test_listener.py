"""Real SMTP and LMTP sessions (smtplib) against the aiosmtpd listener on 127.0.0.1."""

from __future__ import annotations

import smtplib
import socket

import pytest

from guichet.cases.models import Contact
from guichet.channels.email.choices import InboundSource, InboundState
from guichet.channels.email.listener import MailServer
from guichet.channels.email.models import InboundMessage
from guichet.channels.email.services import mailbox_create
from tests.email_channel.conftest import SUPPORT, message_build

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drained(server: MailServer) -> None:
    # The test reads the database only while the listener's threads are idle: SQLite's shared
    # in-memory test database locks whole tables between connections.
    assert server.processor.drain(timeout=20)


@pytest.fixture
def support_mailbox(team):
    return mailbox_create(address=SUPPORT, team=team)


@pytest.fixture
def smtp_server(support_mailbox):
    server = MailServer(host="127.0.0.1", port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lmtp_server(support_mailbox):
    server = MailServer(host="127.0.0.1", port=free_port(), lmtp=True)
    server.start()
    yield server
    server.stop()


def test_smtp_delivery_is_stored_then_becomes_a_case(smtp_server):
    # Given a message for the support mailbox
    msg = message_build(message_id="<smtp-1@example.test>")
    # When a mail server delivers it over SMTP
    with smtplib.SMTP("127.0.0.1", smtp_server.controller.port, timeout=10) as client:
        refused = client.send_message(msg)
    # Then it is accepted, stored with its raw bytes, and processed into a case
    assert refused == {}
    drained(smtp_server)
    inbound = InboundMessage.objects.get(message_id="<smtp-1@example.test>")
    assert inbound.source == InboundSource.SMTP
    assert b"Mon colis n'est pas arriv" in bytes(inbound.raw)
    assert inbound.state == InboundState.PROCESSED
    assert Contact.objects.filter(external_id="<smtp-1@example.test>").count() == 1


def test_unknown_recipient_is_refused_with_550(smtp_server):
    msg = message_build(to="inconnu@guichet.test")
    with (
        smtplib.SMTP("127.0.0.1", smtp_server.controller.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.send_message(msg, to_addrs=["inconnu@guichet.test"])
    [(code, _text)] = refused.value.recipients.values()
    assert code == 550
    assert InboundMessage.objects.count() == 0


def test_disabled_mailbox_is_refused(smtp_server, support_mailbox):
    old = mailbox_create(address="ancien@guichet.test")
    old.enabled = False
    old.save()
    with (
        smtplib.SMTP("127.0.0.1", smtp_server.controller.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.send_message(message_build(), to_addrs=["ancien@guichet.test"])


def test_a_known_and_an_unknown_recipient_keep_the_known_one(smtp_server):
    with smtplib.SMTP("127.0.0.1", smtp_server.controller.port, timeout=10) as client:
        refused = client.send_message(
            message_build(message_id="<mixed@example.test>"),
            to_addrs=[SUPPORT, "inconnu@guichet.test"],
        )
    assert list(refused) == ["inconnu@guichet.test"]
    drained(smtp_server)
    assert InboundMessage.objects.filter(message_id="<mixed@example.test>").exists()


def test_lmtp_answers_once_per_recipient_and_retries_do_not_duplicate(lmtp_server, team):
    mailbox_create(address="ventes@guichet.test", team=team)
    raw = bytes(message_build(message_id="<lmtp-1@example.test>"))
    port = lmtp_server.controller.port
    # When the same message is delivered twice over LMTP (a retry after a lost answer)
    for _attempt in range(2):
        with smtplib.LMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo_or_helo_if_needed()
            assert client.mail("marie.dupont@example.test")[0] == 250
            assert client.rcpt(SUPPORT)[0] == 250
            assert client.rcpt("ventes@guichet.test")[0] == 250
            # RFC 2033: after DATA, one answer per accepted recipient (smtplib reads the first)
            first_code, _ = client.data(raw)
            second_code, _ = client.getreply()
            assert (first_code, second_code) == (250, 250)
        drained(lmtp_server)
    # Then there is one stored message and one contact
    drained(lmtp_server)
    assert InboundMessage.objects.filter(message_id="<lmtp-1@example.test>").count() == 1
    assert Contact.objects.filter(external_id="<lmtp-1@example.test>").count() == 1


def test_lmtp_refuses_unknown_recipients_with_550(lmtp_server):
    with (
        smtplib.LMTP("127.0.0.1", lmtp_server.controller.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.sendmail("x@example.test", ["personne@guichet.test"], b"Subject: x\r\n\r\ny")
    [(code, _text)] = refused.value.recipients.values()
    assert code == 550


def test_8bit_windows_1252_message_is_stored_byte_for_byte(smtp_server):
    raw = (
        b"From: Client <client@example.test>\r\nTo: support@guichet.test\r\n"
        b"Subject: Prix\r\nMessage-ID: <w1252@example.test>\r\n"
        b"Content-Type: text/plain; charset=windows-1252\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n30 \x80, c\x92est trop.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", smtp_server.controller.port, timeout=10) as client:
        client.sendmail("client@example.test", [SUPPORT], raw)
    drained(smtp_server)
    inbound = InboundMessage.objects.get(message_id="<w1252@example.test>")
    assert bytes(inbound.raw) == raw
    contact = Contact.objects.get(external_id="<w1252@example.test>")
    assert contact.body_text == "30 €, c\u2019est trop."


def test_messages_left_unprocessed_are_processed_when_the_listener_starts(support_mailbox):
    from guichet.channels.email.services import inbound_store

    row, _ = inbound_store(
        raw=bytes(message_build(message_id="<left@example.test>")),
        mailbox=support_mailbox,
        source=InboundSource.LMTP,
    )
    server = MailServer(host="127.0.0.1", port=free_port(), lmtp=True)
    server.start()
    try:
        drained(server)
    finally:
        server.stop()
    assert InboundMessage.objects.get(pk=row.pk).state == InboundState.PROCESSED
