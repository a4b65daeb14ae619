"""Builders for the email channel tests: messages made with the standard library, a mailbox,
and `deliver` = store then process, the way the listener and the poller do it."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest

from guichet.channels.email.choices import InboundSource
from guichet.channels.email.models import InboundMessage, Mailbox
from guichet.channels.email.services import inbound_process, inbound_store, mailbox_create

FIXTURES = Path(__file__).parent / "fixtures"
SUPPORT = "support@guichet.test"


def message_build(
    *,
    subject: str = "Colis non reçu",
    body: str = "Bonjour,\n\nMon colis n'est pas arrivé.\n\nMarie",
    sender: str = "Marie Dupont <marie.dupont@example.test>",
    to: str = SUPPORT,
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    html: str = "",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    if message_id != "":
        msg["Message-ID"] = message_id or make_msgid(domain="example.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def deliver(raw: bytes | EmailMessage, mailbox: Mailbox | None = None) -> InboundMessage:
    if isinstance(raw, EmailMessage):
        raw = bytes(raw)
    row, _created = inbound_store(raw=raw, mailbox=mailbox, source=InboundSource.LMTP)
    return inbound_process(inbound_id=row.pk)


@pytest.fixture
def mailbox(team) -> Mailbox:
    return mailbox_create(address=SUPPORT, display_name="Service client", team=team)
