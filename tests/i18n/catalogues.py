"""Reading gettext catalogues without GNU gettext: a small .po parser and the catalogues' places.

A clean machine may lack gettext, so the tests read the .po files themselves and the compiled .mo
files through the standard library (`gettext.GNUTranslations`)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import guichet

PACKAGE_DIR = Path(guichet.__file__).resolve().parent

# %(name)s, %s, %d… (not "%%", and not "% d": French writes "50 % des dossiers" in plain text);
# {name} and {0} as str.format uses them (not "{{" / "}}").
PERCENT_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\))?[-#0+]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
BRACE_PLACEHOLDER = re.compile(
    r"(?<!\{)\{(?P<name>[A-Za-z_][A-Za-z0-9_.]*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})"
)


@dataclass
class Entry:
    """One message of a .po file (the header is the entry whose msgid is empty)."""

    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def where(self, path: Path) -> str:
        return f"{path}:{self.line} msgid {self.msgid!r}"


def _unquote(text: str) -> str:
    text = text.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"not a quoted PO string: {text!r}")
    return ast.literal_eval(text)


def po_entries(path: Path) -> list[Entry]:
    """The entries of a .po file, the header first, in file order."""
    entries: list[Entry] = []
    current: Entry | None = None
    field_name: str | None = None
    flags: set[str] = set()
    references: list[str] = []

    def finish() -> None:
        nonlocal current, field_name, flags, references
        if current is not None:
            entries.append(current)
        current, field_name, flags, references = None, None, set(), []

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#:"):
            if current is not None and current.msgstr:
                finish()
            references += line[2:].split()
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            if current is None or field_name is None:
                raise ValueError(f"{path}:{number}: string outside an entry")
            value = _unquote(line)
        else:
            value = _unquote(rest)
        if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
            finish()
        if keyword == "msgctxt":
            current = Entry(msgid="", msgctxt=value, flags=flags, references=references)
            current.line = number
            field_name = "msgctxt"
        elif keyword == "msgid":
            if current is None:
                current = Entry(msgid="", flags=flags, references=references, line=number)
            current.msgid = value
            current.obsolete = obsolete
            field_name = "msgid"
        elif keyword == "msgid_plural":
            assert current is not None
            current.msgid_plural = value
            field_name = "msgid_plural"
        elif keyword == "msgstr" or keyword.startswith("msgstr["):
            assert current is not None
            current.msgstr.append(value)
            field_name = "msgstr"
        elif keyword.startswith('"'):
            assert current is not None
            if field_name == "msgstr":
                current.msgstr[-1] += value
            elif field_name == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            elif field_name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            else:
                current.msgid += value
        else:
            raise ValueError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return entries


def po_header(entries: list[Entry]) -> dict[str, str]:
    header = next((e for e in entries if e.is_header), None)
    if header is None or not header.msgstr:
        return {}
    fields = {}
    for line in header.msgstr[0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def placeholders(text: str) -> list[str]:
    """The interpolation placeholders of a message, sorted (so order changes are allowed)."""
    text = text.replace("%%", "")
    found = [m.group(0) for m in PERCENT_PLACEHOLDER.finditer(text)]
    found += ["{" + m.group("name") + "}" for m in BRACE_PLACEHOLDER.finditer(text)]
    return sorted(found)


def catalogue_dirs() -> list[Path]:
    """Every locale/ folder of the package: the project's and each app's (whoever added it)."""
    return sorted(p for p in PACKAGE_DIR.rglob("locale") if p.is_dir())


def po_files(language: str | None = None) -> list[Path]:
    pattern = f"{language or '*'}/LC_MESSAGES/*.po"
    return sorted(p for d in catalogue_dirs() for p in d.glob(pattern))
