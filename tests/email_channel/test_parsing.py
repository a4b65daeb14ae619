"""Parsing: the peer's public samples and messages written here for every charset and encoding
that French mail uses. Pure functions: no database."""

from __future__ import annotations

import base64

import pytest

from guichet.channels.email.choices import MessageClass
from guichet.channels.email.parsing import (
    message_parse,
    raw_content_hash,
    raw_message_id,
    text_trim_quoted,
)
from tests.email_channel.conftest import FIXTURES, message_build


def raw_message(headers: str, body: bytes) -> bytes:
    head = (
        "From: =?ISO-8859-1?Q?H=E9l=E8ne_L=E9ger?= <helene@example.test>\r\n"
        "To: support@guichet.test\r\n"
        "Message-ID: <charset-test@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    return (head + headers).encode("ascii") + b"\r\n" + body


# --- The peer's samples (django-helpdesk test files, BSD-3-Clause) -------------------------------


def test_sample_with_base64_subject_and_8bit_utf8_body():
    # Given a Thunderbird message with a base64 RFC 2047 subject and an 8-bit UTF-8 body
    raw = (FIXTURES / "all-special-chars.eml").read_bytes()
    # When it is parsed
    parsed = message_parse(raw)
    # Then subject, sender and accented text come out decoded
    assert parsed.subject == "Testovácí email"
    assert (parsed.from_name, parsed.from_address) == ("Timothy Hobbs", "timothy.hobbs@auto-mat.cz")
    assert parsed.text == "íářčšáíéřášč"
    assert parsed.message_id == "<0fd7067e-2842-5b6c-3548-3cf7e6a1c9ea@auto-mat.cz>"
    assert parsed.attachments == []
    assert parsed.message_class == MessageClass.PERSON


def test_sample_with_quoted_original_message_trims_history_for_display():
    raw = (FIXTURES / "forwarded-message.eml").read_bytes()
    parsed = message_parse(raw)
    assert parsed.subject == "Test with original message from GitHub"
    assert parsed.from_address == "sender@domain.tld"
    # The full text keeps the quoted original; the shown text is the new part only.
    assert "We noticed that, at April 5th, 2021" in parsed.text
    assert text_trim_quoted(parsed.text) == "This is email body"


def test_sample_with_split_encoded_subject_alternative_and_references():
    raw = (FIXTURES / "utf-nondecodable.eml").read_bytes()
    parsed = message_parse(raw)
    # A subject split across a quoted-printable and a base64 encoded word joins up.
    assert parsed.subject == "Fwd: Cyklozaměstnavatel - změna vyhodnocení"
    assert parsed.from_address == "john.smith@example.cz"
    parent = "<CAK0Q_=uQY=3V5iUSgEN16GLtYoJ-6oQu-vYjsgQ=jv6DwOkuLQ@mail.gmail.com>"
    assert parsed.in_reply_to == [parent]
    assert parsed.references == [parent]
    # Text preferred, HTML kept sanitised.
    assert "podle domluvy bych Tě poprosila" in parsed.text
    assert "prosazuje lepší" in parsed.html
    assert "<body" not in parsed.html
    # A forward is not trimmed: what is below the marker is the point of the message.
    assert "podle domluvy" in text_trim_quoted(parsed.text)


# --- Charsets and transfer encodings -------------------------------------------------------------


def test_iso_8859_1_quoted_printable_body_and_q_encoded_subject():
    raw = raw_message(
        "Subject: =?ISO-8859-1?Q?R=E9clamation_:_colis_ab=EEm=E9?=\r\n"
        "Content-Type: text/plain; charset=ISO-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n",
        b"D=E9sol=E9e, j'ai re=E7u un colis ab=EEm=E9 =E0 No=EBl.\r\n",
    )
    parsed = message_parse(raw)
    assert parsed.subject == "Réclamation : colis abîmé"
    assert parsed.from_name == "Hélène Léger"
    assert parsed.text == "Désolée, j'ai reçu un colis abîmé à Noël."


def test_iso_8859_15_base64_body_with_euro_sign():
    body = "Facture de 49 € payée deux fois, œuvre d'un bug ?".encode("iso-8859-15")
    raw = raw_message(
        "Subject: Facture\r\n"
        "Content-Type: text/plain; charset=iso-8859-15\r\n"
        "Content-Transfer-Encoding: base64\r\n",
        base64.encodebytes(body),
    )
    assert message_parse(raw).text == "Facture de 49 € payée deux fois, œuvre d'un bug ?"


def test_windows_1252_8bit_body_with_curly_quotes():
    body = "Merci pour l\u2019échange \u2013 à bientôt \u2026 50 €".encode("windows-1252")
    raw = raw_message(
        "Subject: Merci\r\n"
        "Content-Type: text/plain; charset=windows-1252\r\n"
        "Content-Transfer-Encoding: 8bit\r\n",
        body,
    )
    assert message_parse(raw).text == "Merci pour l\u2019échange \u2013 à bientôt \u2026 50 €"


def test_windows_1252_bytes_labelled_iso_8859_1_decode_as_windows_1252():
    # Outlook's classic: says ISO-8859-1, sends a euro sign at 0x80 and a quote at 0x92.
    raw = raw_message(
        "Subject: Prix\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n",
        b"Le prix est de 30 \x80, c\x92est trop.",
    )
    assert message_parse(raw).text == "Le prix est de 30 €, c\u2019est trop."


def test_undeclared_8bit_body_falls_back_without_error():
    raw = raw_message("Subject: Sans charset\r\n", "Créé hier".encode("windows-1252"))
    assert message_parse(raw).text == "Créé hier"


def test_unknown_charset_falls_back_to_utf8():
    raw = raw_message(
        "Subject: Inconnu\r\nContent-Type: text/plain; charset=x-klingon\r\n",
        "Déjà vu".encode(),
    )
    assert message_parse(raw).text == "Déjà vu"


def test_rfc2231_encoded_attachment_filename():
    pdf = b"%PDF-1.4 fake"
    raw = raw_message(
        'Subject: Facture jointe\r\nContent-Type: multipart/mixed; boundary="XX"\r\n',
        b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n"
        b"--XX\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment;\r\n"
        b" filename*=UTF-8''facture%20n%C2%B012%20%C3%A9t%C3%A9.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf) + b"--XX--\r\n",
    )
    parsed = message_parse(raw)
    assert parsed.text == "Ci-joint."
    [attachment] = parsed.attachments
    assert attachment.filename == "facture n°12 été.pdf"
    assert attachment.content == pdf
    assert attachment.content_type == "application/pdf"


def test_rfc2231_continued_filename():
    raw = raw_message(
        'Subject: Suite\r\nContent-Type: multipart/mixed; boundary="XX"\r\n',
        b"--XX\r\nContent-Type: text/plain\r\n\r\nVoir PJ.\r\n"
        b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Disposition: attachment;\r\n filename*0*=UTF-8''relev%C3%A9%20de;\r\n"
        b" filename*1*=%20compte.txt\r\n\r\nligne 1\r\n--XX--\r\n",
    )
    [attachment] = message_parse(raw).attachments
    assert attachment.filename == "relevé de compte.txt"


def test_rfc2047_encoded_filename_in_a_parameter():
    name = base64.b64encode("récépissé.pdf".encode()).decode()
    raw = raw_message(
        'Subject: Outlook\r\nContent-Type: multipart/mixed; boundary="XX"\r\n',
        b"--XX\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n"
        b'--XX\r\nContent-Type: application/pdf; name="=?UTF-8?B?' + name.encode() + b'?="\r\n'
        b'Content-Disposition: attachment; filename="=?UTF-8?B?' + name.encode() + b'?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--XX--\r\n",
    )
    [attachment] = message_parse(raw).attachments
    assert attachment.filename == "récépissé.pdf"


def test_attachment_filename_loses_its_path():
    raw = raw_message(
        'Subject: Chemin\r\nContent-Type: multipart/mixed; boundary="XX"\r\n',
        b"--XX\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="..\\\\..\\\\etc/passwd"\r\n'
        b"\r\nx\r\n--XX--\r\n",
    )
    [attachment] = message_parse(raw).attachments
    assert attachment.filename == "passwd"


def test_alternative_prefers_text_and_keeps_sanitised_html():
    msg = message_build(
        body="Le texte brut.",
        html='<p onclick="steal()">Le <b>HTML</b></p><script>alert(1)</script>'
        '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">lien</a>',
    )
    parsed = message_parse(bytes(msg))
    assert parsed.text == "Le texte brut."
    assert "<b>HTML</b>" in parsed.html
    for dangerous in ("<script", "onclick", "onerror", "javascript:", "alert(1)"):
        assert dangerous not in parsed.html


def test_html_only_message_gets_a_text_version():
    msg = message_build(body="x")
    msg.set_content("<p>Bonjour,</p><p>Ma <b>commande</b> 42 ?</p>", subtype="html")
    parsed = message_parse(bytes(msg))
    assert parsed.text == "Bonjour,\n\nMa commande 42 ?"


def test_inline_image_is_an_inline_attachment_with_its_content_id():
    msg = message_build(body="Voir la photo.", html='<p>Photo :</p><img src="cid:photo1@x">')
    html_part = msg.get_payload()[1]
    html_part.add_related(b"\x89PNG fake", "image", "png", cid="<photo1@x>")
    parsed = message_parse(bytes(msg))
    [image] = parsed.attachments
    assert image.inline is True
    assert image.content_id == "photo1@x"
    assert image.content_type == "image/png"
    assert image.content == b"\x89PNG fake"
    assert 'src="cid:photo1@x"' in parsed.html


def test_attached_email_is_kept_as_an_eml_file():
    inner = message_build(subject="Message transféré", body="Contenu d'origine")
    outer = message_build(subject="Fwd: transféré", body="Voir ci-dessous")
    outer.add_attachment(inner)
    parsed = message_parse(bytes(outer))
    [attached] = parsed.attachments
    assert attached.filename.endswith(".eml")
    assert b"Contenu d'origine" in attached.content


def test_header_injection_characters_are_removed_from_subject():
    raw = raw_message("Subject: =?UTF-8?Q?a=00b=0Ac?=\r\nContent-Type: text/plain\r\n", b"x")
    assert message_parse(raw).subject == "ab c"


# --- Quoted history ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Merci, c'est réglé.\n\nLe mar. 3 juin 2025 à 10:00, Service client "
        "<support@guichet.test> a écrit :\n> Bonjour,\n> Votre colis part demain.",
        "Merci, c'est réglé.\n\nLe mar. 3 juin 2025 à 10:00, Service client "
        "<support@guichet.test> a\n"
        "écrit :\n> Bonjour,\n> Votre colis part demain.",
        "Merci, c'est réglé.\n\nOn Tue, Jun 3, 2025 at 10:00 AM Support <s@g.test> wrote:\n> Hello",
        "Merci, c'est réglé.\n\n-----Message d'origine-----\nDe : Support\n"
        "Envoyé : mardi\nObjet : x",
        "Merci, c'est réglé.\n\nDe : Service client <support@guichet.test>\n"
        "Envoyé : mardi 3 juin 2025 10:00\nÀ : Marie\nObjet : Colis",
        "Merci, c'est réglé.\n\n> Bonjour,\n> Votre colis part demain.\n",
    ],
)
def test_quoted_history_is_trimmed(text):
    assert text_trim_quoted(text) == "Merci, c'est réglé."


def test_interleaved_answers_are_kept_whole():
    text = (
        "Le lun. 2 juin 2025, Support <s@g.test> a écrit :\n"
        "> Quel est votre numéro de commande ?\n"
        "C'est le 4521.\n"
        "> Et votre adresse ?\n"
        "12 rue des Lilas."
    )
    assert text_trim_quoted(text) == text


def test_message_made_only_of_quotes_is_kept():
    assert text_trim_quoted("> rien de neuf") == "> rien de neuf"


# --- Noise ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "subject", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Colis", MessageClass.AUTO_REPLY),
        ({"X-Autoreply": "yes"}, "Re: Colis", MessageClass.AUTO_REPLY),
        ({"Precedence": "auto_reply"}, "Re: Colis", MessageClass.AUTO_REPLY),
        ({}, "Réponse automatique : Colis", MessageClass.AUTO_REPLY),
        ({}, "Out of Office: Colis", MessageClass.AUTO_REPLY),
        ({}, "Automatic reply: Colis", MessageClass.AUTO_REPLY),
        ({"Precedence": "bulk"}, "Promotions", MessageClass.BULK),
        ({"Precedence": "junk"}, "Promotions", MessageClass.BULK),
        ({"Precedence": "list"}, "Digest", MessageClass.BULK),
        ({"List-Id": "<news.example.test>"}, "Lettre", MessageClass.BULK),
        ({"Auto-Submitted": "auto-generated"}, "Alerte", MessageClass.AUTO_GENERATED),
        ({"Auto-Submitted": "no"}, "Colis", MessageClass.PERSON),
        ({}, "Absence de réponse à ma réclamation ?", MessageClass.PERSON),
    ],
)
def test_message_class(headers, subject, expected):
    assert message_parse(bytes(message_build(subject=subject, headers=headers))).message_class == (
        expected
    )


def dsn(*, recipient: str = "marie.dupont@example.test", action: str = "failed") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n"
        "To: support@guichet.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: support@guichet.test\r\nTo: marie.dupont@example.test\r\n"
        "Message-ID: <g-000001.abc@guichet.test>\r\nSubject: Re: Colis\r\n\r\n"
        "--B--\r\n"
    ).encode()


def test_delivery_status_notification_is_a_bounce_with_its_failed_recipient():
    parsed = message_parse(dsn())
    assert parsed.message_class == MessageClass.BOUNCE
    [bounced] = parsed.bounced
    assert bounced.address == "marie.dupont@example.test"
    assert bounced.status == "5.1.1"
    assert "User unknown" in bounced.diagnostic
    assert parsed.bounced_message_id == "<g-000001.abc@guichet.test>"


def test_delayed_delivery_report_names_no_failed_recipient():
    parsed = message_parse(dsn(action="delayed"))
    assert parsed.message_class == MessageClass.BOUNCE
    assert parsed.bounced == []


# --- Identity of a message -----------------------------------------------------------------------


def test_content_hash_ignores_relay_trace_headers():
    raw = bytes(message_build(message_id=""))
    relayed = b"Received: from mx1 by mx2; Mon, 1 Jan 2026\r\nDelivered-To: x@y\r\n" + raw
    assert raw_content_hash(relayed) == raw_content_hash(raw)
    assert raw_content_hash(raw.replace(b"arriv", b"ARRIV")) != raw_content_hash(raw)


def test_raw_message_id_reads_a_folded_header():
    raw = b"Subject: x\r\nMessage-ID:\r\n <abc@example.test>\r\n\r\nbody"
    assert raw_message_id(raw) == "<abc@example.test>"


def test_garbage_bytes_parse_without_raising():
    parsed = message_parse(b"\x00\xff\xfe garbage without headers \x80\x81")
    assert parsed.from_address == ""
