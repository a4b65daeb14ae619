"""Turn raw RFC 5322 bytes into what a contact needs, with the standard library's `email` package
(policy `default`). Pure functions: no database, no Django models.

Real French mail mixes UTF-8, ISO-8859-1/15 and windows-1252, declares one and sends the other,
and encodes headers and file names in RFC 2047 or RFC 2231. Nothing here raises on a bad charset
or a broken header: the worst case is a replacement character, and a defect is noted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from guichet.channels.email.choices import MessageClass
from guichet.core.html import html_sanitise, html_to_text

MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,250}>")
MAX_REFERENCES = 50

# Headers a relay adds or changes on the way; they differ between two deliveries of one message,
# so the content hash leaves them out.
TRACE_HEADERS = frozenset(
    {
        "received",
        "return-path",
        "delivered-to",
        "x-original-to",
        "x-received",
        "authentication-results",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "received-spf",
        "x-spam-status",
        "x-spam-score",
        "x-spam-flag",
        "x-spam-level",
        "x-virus-scanned",
    }
)


class _MemoisedHeaders(HeaderRegistry):
    """policy.default's header factory, remembering what it made. The default one builds a
    class and re-parses the value on EVERY read of a header (`Content-Type` is read eight times
    per message by get_content_type, get_param, get_filename…): three quarters of the parse
    time. A header object depends on its name and value only and is immutable, so the same
    pair (within a message, and across messages: "text/plain; charset=utf-8") reuses it."""

    MAX = 4096

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[tuple[str, str], object] = {}

    def __call__(self, name: str, value: str):  # type: ignore[override]
        key = (name, value)
        made = self._made.get(key)
        if made is None:
            if len(self._made) >= self.MAX:
                self._made.clear()
            made = self._made[key] = super().__call__(name, value)
        return made


# policy `default` in every respect (same header classes, same parsing), memoised.
POLICY = policy.default.clone(header_factory=_MemoisedHeaders())


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class BouncedRecipient:
    address: str
    status: str
    diagnostic: str


@dataclass
class ParsedMessage:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    message_class: str = MessageClass.PERSON
    bounced: list[BouncedRecipient] = field(default_factory=list)
    bounced_message_id: str = ""
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, nearest first: In-Reply-To, then References from
        the most recent back to the root."""
        seen: dict[str, None] = {}
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(mid, None)
        return list(seen)[:MAX_REFERENCES]


# --- Raw-level helpers (cheap; used before the message is stored) --------------------------------


def _split_raw(raw: bytes) -> tuple[list[bytes], bytes]:
    """The unfolded header lines and the body of a raw message, line endings normalised."""
    data = raw.replace(b"\r\n", b"\n")
    head, _sep, body = data.partition(b"\n\n")
    lines: list[bytes] = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and lines:
            lines[-1] += b" " + line.strip()
        elif line:
            lines.append(line)
    return lines, body


def raw_content_hash(raw: bytes) -> str:
    """SHA-256 of the message without its trace headers: the same message relayed twice, or
    fetched again after an IMAP reconnect, hashes the same."""
    lines, body = _split_raw(raw)
    digest = hashlib.sha256()
    for line in lines:
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        if name not in TRACE_HEADERS:
            digest.update(line.strip() + b"\n")
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def raw_message_id(raw: bytes) -> str:
    """The Message-ID found in the header block, normalised, or ""."""
    lines, _body = _split_raw(raw)
    for line in lines:
        name, _sep, value = line.partition(b":")
        if name.strip().lower() == b"message-id":
            return message_id_normalise(value.decode("ascii", "replace"))
    return ""


def message_id_normalise(value: str) -> str:
    match = MESSAGE_ID_RE.search(value or "")
    if match:
        return match.group(0)
    value = "".join((value or "").split())
    return f"<{value[:250]}>" if value else ""


def message_ids(value: str) -> list[str]:
    return MESSAGE_ID_RE.findall(value or "")[:MAX_REFERENCES]


# --- Decoding ------------------------------------------------------------------------------------

# A message that says ISO-8859-1 (or nothing) is, in practice, often windows-1252: its curly
# quotes and euro sign live in 0x80–0x9F, unused in ISO-8859-1. Browsers decode it so (WHATWG).
CHARSET_ALIASES = {
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "unknown-8bit": "windows-1252",
    "x-unknown": "windows-1252",
}


def bytes_decode(data: bytes, charset: str | None) -> str:
    charset = (charset or "").strip().strip('"').lower()
    candidates = []
    if charset:
        candidates.append(CHARSET_ALIASES.get(charset, charset))
    candidates += ["utf-8", "windows-1252"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # malformed encoded words: keep them as they came
        return text


def _header_str(msg: Message, name: str) -> str:
    """A header's decoded text; broken encodings fall back to a lenient decode, never an error."""
    try:
        value = msg.get(name)
    except Exception:
        value = None
    if value is None:
        raw = msg.get_all(name) if hasattr(msg, "get_all") else None
        if not raw:
            return ""
        value = raw[0]
    try:
        text = str(value)
    except Exception:
        text = ""
    if "=?" in text:  # an encoded word the parser left alone
        text = _decode_words(text)
    return " ".join(text.replace("\x00", "").split())


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if not isinstance(payload, bytes):
        payload = str(payload).encode("utf-8", "replace")
    return bytes_decode(payload, part.get_content_charset()).replace("\x00", "")


def _part_filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if "=?" in name:  # RFC 2047 inside a parameter: not standard, but Outlook and others do it
        name = _decode_words(name)
    # Only a base name: no path, no control characters.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return name[:255]


EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "message/rfc822": "eml",
    "text/plain": "txt",
    "text/html": "html",
    "text/calendar": "ics",
}


# --- Structure -----------------------------------------------------------------------------------


def _disposition(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:
        return ""


def _collect(part: Message, out: ParsedMessage, texts: list[str], htmls: list[str]) -> None:
    ctype = part.get_content_type()
    if ctype == "message/delivery-status":
        _collect_delivery_status(part, out)
        return
    if ctype in ("message/rfc822", "text/rfc822-headers") and out.message_class == "bounce":
        # The returned message (or its headers): which of our messages bounced.
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        if inner_msg is None and isinstance(inner, str):
            inner_msg = BytesParser(policy=policy.compat32).parsebytes(
                inner.encode("utf-8", "replace"), headersonly=True
            )
        if inner_msg is not None:
            out.bounced_message_id = message_id_normalise(_header_str(inner_msg, "Message-ID"))
        return
    if part.is_multipart() and ctype.startswith("multipart/"):
        for sub in part.get_payload():
            _collect(sub, out, texts, htmls)
        return
    if ctype.startswith("multipart/"):
        # A container the parser could not open (e.g. a nested part reusing its parent's
        # boundary): structure, not a file the customer sent.
        return
    disposition = _disposition(part)
    filename = _part_filename(part)
    is_body = disposition != "attachment" and not filename
    if is_body and ctype == "text/plain":
        texts.append(_part_text(part))
        return
    if is_body and ctype == "text/html":
        htmls.append(_part_text(part))
        return
    if ctype == "message/rfc822":
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        content = inner_msg.as_bytes() if inner_msg is not None else b""
        if not filename and inner_msg is not None:
            filename = (_header_str(inner_msg, "Subject") or "message")[:120] + ".eml"
    else:
        content = part.get_payload(decode=True) or b""
        if not isinstance(content, bytes):
            content = str(content).encode("utf-8", "replace")
    content_id = message_id_normalise(_header_str(part, "Content-ID")).strip("<>")
    if not filename:
        ext = EXTENSIONS.get(ctype, "bin")
        filename = f"{(content_id.split('@')[0] or 'attachment')[:60]}.{ext}"
    out.attachments.append(
        ParsedAttachment(
            filename=filename,
            content_type=ctype,
            content=content,
            content_id=content_id,
            inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
        )
    )


def _collect_delivery_status(part: Message, out: ParsedMessage) -> None:
    """RFC 3464: after the per-message block, one block per recipient with Final-Recipient,
    Action and Status. Only `failed` counts: `delayed` is still being tried."""
    payload = part.get_payload()
    blocks: list[Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, Message)]
    else:
        text = _part_text(part)
        for chunk in re.split(r"\r?\n\s*\r?\n", text):
            if chunk.strip():
                blocks.append(
                    BytesParser(policy=policy.compat32).parsebytes(
                        chunk.strip().encode("utf-8", "replace") + b"\n\n", headersonly=True
                    )
                )
    for block in blocks:
        recipient = _header_str(block, "Final-Recipient") or _header_str(
            block, "Original-Recipient"
        )
        action = _header_str(block, "Action").lower()
        if not recipient or action != "failed":
            continue
        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        if "@" not in address:
            continue
        out.bounced.append(
            BouncedRecipient(
                address=address,
                status=_header_str(block, "Status"),
                diagnostic=_header_str(block, "Diagnostic-Code")[:1000],
            )
        )


# --- Noise: bounces, auto-replies, lists ---------------------------------------------------------

# Subjects that only automatic replies use. Not a bare "Absence…": "Absence de réponse à ma
# réclamation" is a customer, and the one who most needs an answer.
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(r[ée]ponse\s+automatique|automatic\s+reply|auto[\s-]?reply|autoreply|auto\s*:|"
    r"out\s+of\s+(the\s+)?office|absente?\s+du\s+bureau|absence\s+du\s+bureau|"
    r"automatische\s+antwort|abwesenheitsnotiz|autosvar|respuesta\s+autom[aá]tica|"
    r"risposta\s+automatica|vacation\s+reply)",
    re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery status notification|delivery (has )?failed|mail delivery failed|"
    r"returned mail|non remis|non distribu|échec de (la )?(remise|livraison))",
    re.IGNORECASE,
)


def message_classify(msg: Message, *, subject: str, from_address: str) -> str:
    """RFC 3834 and the de-facto headers, strongest signal first."""
    ctype = msg.get_content_type()
    report_type = (
        (msg.get_param("report-type") or "").lower() if ctype == "multipart/report" else ""
    )
    if report_type == "delivery-status" or (
        BOUNCE_SENDER.match(from_address or "") and BOUNCE_SUBJECT.search(subject or "")
    ):
        return MessageClass.BOUNCE
    auto_submitted = _header_str(msg, "Auto-Submitted").lower()
    precedence = _header_str(msg, "Precedence").lower()
    if (
        auto_submitted.startswith("auto-replied")
        or _header_str(msg, "X-Autoreply")
        or _header_str(msg, "X-Autorespond")
        or _header_str(msg, "X-Autogenerated").lower() == "reply"
        or precedence == "auto_reply"
        or AUTO_REPLY_SUBJECT.match(subject or "")
    ):
        return MessageClass.AUTO_REPLY
    if (
        precedence in ("bulk", "junk", "list")
        or _header_str(msg, "List-Id")
        or _header_str(msg, "List-Unsubscribe")
    ):
        return MessageClass.BULK
    if auto_submitted and auto_submitted != "no":
        return MessageClass.AUTO_GENERATED
    return MessageClass.PERSON


# --- Quoted history ------------------------------------------------------------------------------

_REPLY_HEADER = re.compile(
    r"^\s*("
    r"on\b.{0,200}\bwrote\s*:\s*$|"  # On Tue, 3 Jun 2025, Marie <…> wrote:
    r"le\b.{0,200}\ba\s+[ée]crit\s*:\s*$|"  # Le mar. 3 juin 2025 à 10:00, Marie <…> a écrit :
    r"am\b.{0,200}\bschrieb\b.{0,100}:\s*$|"
    r"el\b.{0,200}\bescribi[óo]\s*:\s*$|"
    r"-{2,}\s*(original message|message d'origine|message original|ursprüngliche nachricht)"
    r"\s*-{2,}|"
    r"_{10,}\s*$"  # Outlook's separator line above the quoted header block
    r")",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|de|von)\s*\*?\s*:", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(sent|envoy[ée]|date|gesendet|to|[àa]|objet|subject)\s*\*?\s*:", re.IGNORECASE
)


_FORWARD = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|message transf[ée]r[ée]|weitergeleitete nachricht)|"
    r"d[ée]but du message (r[ée]exp[ée]di[ée]|transf[ée]r[ée])\s*:|begin forwarded message\s*:)",
    re.IGNORECASE,
)


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _history_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history, or None."""
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        wrapped = bool(nxt.rstrip().endswith(":")) and bool(_REPLY_HEADER.match(f"{line} {nxt}"))
        if _REPLY_HEADER.match(line) or (wrapped and not _REPLY_HEADER.match(nxt)):
            header = f"{line} {nxt}".lower()
            if "wrote" in header or "crit" in header or "schrieb" in header or "escrib" in header:
                # Interleaved answers (quote, answer, quote…) are a conversation: keep them.
                seen_quote = False
                for later in lines[i + 1 :]:
                    if _is_quote(later):
                        seen_quote = True
                    elif later.strip() and seen_quote:
                        return None
            return i
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            return i
    # A trailing block of "> " lines with no header line above it.
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _is_quote(lines[end - 1])):
        end -= 1
    if end < len(lines) and any(_is_quote(line) for line in lines[end:]):
        return end
    return None


def text_trim_quoted(text: str) -> str:
    """The new part of a reply, without the history quoted below it. Interleaved answers (a
    quote, an answer, a quote) are kept whole; so is a message that is nothing but history."""
    lines = text.splitlines()
    cut = _history_start(lines)
    if cut is not None and any(_FORWARD.match(line) for line in lines[: cut + 1]):
        cut = None  # a forward: what is below is the point of the message
    if cut is None:
        return text.strip()
    return "\n".join(lines[:cut]).strip() or text.strip()


# --- The whole message ---------------------------------------------------------------------------


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    values = []
    try:
        values = [str(v) for v in msg.get_all(name) or []]
    except Exception:
        values = []
    result = []
    for display, address in getaddresses(values):
        address = address.strip().lower()
        if address and "@" in address:
            result.append((" ".join(display.split()), address))
    return result


def message_parse(raw: bytes) -> ParsedMessage:
    msg = BytesParser(policy=POLICY).parsebytes(raw)
    out = ParsedMessage()
    out.message_id = message_id_normalise(_header_str(msg, "Message-ID"))
    out.in_reply_to = message_ids(_header_str(msg, "In-Reply-To"))
    out.references = message_ids(_header_str(msg, "References"))
    out.subject = _header_str(msg, "Subject")
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    if not senders:
        display, address = parseaddr(_header_str(msg, "From"))
        senders = [(display, address.lower())] if "@" in address else []
    if senders:
        out.from_name, out.from_address = senders[0]
    out.to = [a for _n, a in _addresses(msg, "To") + _addresses(msg, "Cc")]
    try:
        out.date = parsedate_to_datetime(_header_str(msg, "Date")) or None
    except (TypeError, ValueError, IndexError):
        out.date = None
    out.message_class = message_classify(msg, subject=out.subject, from_address=out.from_address)
    texts: list[str] = []
    htmls: list[str] = []
    _collect(msg, out, texts, htmls)
    # Mail crosses the wire with CRLF line ends, which a decoded text part keeps.
    texts = [t.replace("\r\n", "\n").replace("\r", "\n") for t in texts]
    out.text = "\n\n".join(t.strip("\n") for t in texts if t.strip()).strip()
    html = "\n".join(h for h in htmls if h.strip())
    out.html = html_sanitise(html) if html else ""
    if not out.text and out.html:
        out.text = html_to_text(out.html)
    out.defects = [type(d).__name__ for d in getattr(msg, "defects", [])][:20]
    return out


def messages_parse(raws: list[bytes]) -> list[ParsedMessage | None]:
    """`message_parse` of each, None for one that fails (it is parsed again alone and
    quarantined with the error). Needs no Django settings: the listener runs it in helper
    processes."""
    out: list[ParsedMessage | None] = []
    for raw in raws:
        try:
            out.append(message_parse(raw))
        except Exception:
            out.append(None)
    return out
