"""The corpus under tests/data/mail/: real-world messages (CPython's email test data) and French
ones written for Guichet. Each parses into what manifest.json says, checked by hand, and goes
through inbound processing to the state the manifest names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guichet.cases.models import Attachment
from guichet.channels.email.choices import InboundSource
from guichet.channels.email.parsing import message_parse, text_trim_quoted
from guichet.channels.email.services import inbound_process, inbound_store

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
NAMES = sorted(name for name in MANIFEST if not name.startswith("_"))


def test_every_message_of_the_corpus_is_in_the_manifest():
    files = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix in (".txt", ".eml")
    }
    assert files == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_message_parses_into_the_expected_subject_sender_text_and_attachments(name):
    expected = MANIFEST[name]
    parsed = message_parse((CORPUS / name).read_bytes())
    assert parsed.subject == expected["subject"]
    assert parsed.from_address == expected["from_address"]
    if "from_name" in expected:
        assert parsed.from_name == expected["from_name"]
    assert parsed.message_class == expected["message_class"]
    if "text" in expected:
        assert parsed.text == expected["text"]
    if "text_starts" in expected:
        assert parsed.text.startswith(expected["text_starts"])
    for fragment in expected.get("text_contains", []):
        assert fragment in parsed.text
    if "shown" in expected:
        assert text_trim_quoted(parsed.text) == expected["shown"]
    if "html_contains" in expected:
        assert expected["html_contains"] in parsed.html
    if "html_excludes" in expected:
        assert expected["html_excludes"] not in parsed.html.lower()
    if "thread_ids" in expected:
        assert parsed.thread_ids == expected["thread_ids"]
    if "bounced" in expected:
        assert [b.address for b in parsed.bounced] == expected["bounced"]
    assert [[a.filename, a.content_type, len(a.content)] for a in parsed.attachments] == expected[
        "attachments"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES)
def test_message_goes_through_inbound_processing(name, mailbox):
    expected = MANIFEST[name]
    row, _new = inbound_store(
        raw=(CORPUS / name).read_bytes(), mailbox=mailbox, source=InboundSource.LMTP
    )
    processed = inbound_process(inbound_id=row.pk)
    assert processed.state == expected["state"], processed.error
    if expected["state"] == "processed":
        names = sorted(
            Attachment.objects.filter(contact=processed.contact).values_list("filename", flat=True)
        )
        assert names == sorted(a[0] for a in expected["attachments"] if a[2] > 0)
