"""Every catalogue under src/guichet, whoever added it: French complete, placeholders kept, the
compiled .mo equal to its .po. The catalogues are found at run time, so a new app's locale/ is
checked without touching this file."""

from __future__ import annotations

import gettext
from collections import defaultdict
from pathlib import Path

import pytest
from django.utils import translation

from tests.i18n.catalogues import (
    PACKAGE_DIR,
    Entry,
    catalogue_dirs,
    placeholders,
    po_entries,
    po_files,
    po_header,
)

FRENCH = po_files("fr")
ALL = po_files()


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE_DIR))


def _messages(path: Path) -> list[Entry]:
    return [e for e in po_entries(path) if not e.is_header and not e.obsolete]


def test_the_project_and_the_finished_apps_have_french_catalogues():
    # given the folders Django loads translations from
    folders = {_name(d) for d in catalogue_dirs()}
    # then the project's and each finished app's are there, each with a French catalogue
    for folder in (
        "locale",
        "core/locale",
        "accounts/locale",
        "customers/locale",
        "cases/locale",
        "channels/portal/locale",
        "quality/locale",
    ):
        assert folder in folders
        assert (PACKAGE_DIR / folder / "fr" / "LC_MESSAGES" / "django.po").is_file()


@pytest.mark.parametrize("po", FRENCH, ids=_name)
def test_every_french_message_is_translated_and_none_is_fuzzy(po):
    # given a French catalogue
    entries = po_entries(po)
    # then its header is validated, names the language and French plural rule
    header_entry = next(e for e in entries if e.is_header)
    assert not header_entry.fuzzy, f"{_name(po)}: the header is marked fuzzy"
    header = po_header(entries)
    assert header.get("Language") == "fr"
    assert header.get("Plural-Forms", "").replace(" ", "") == "nplurals=2;plural=(n>1);"
    # and every message has a validated translation, in every plural form
    untranslated = [e.where(po) for e in _messages(po) if not all(e.msgstr) or not e.msgstr]
    fuzzy = [e.where(po) for e in _messages(po) if e.fuzzy]
    assert untranslated == [], "untranslated:\n" + "\n".join(untranslated)
    assert fuzzy == [], "fuzzy (check the translation, then drop the flag):\n" + "\n".join(fuzzy)
    if any(e.msgid_plural for e in _messages(po)):
        assert all(len(e.msgstr) == 2 for e in _messages(po) if e.msgid_plural)


@pytest.mark.parametrize("po", FRENCH, ids=_name)
def test_french_translations_keep_the_placeholders_of_the_english(po):
    # given a French catalogue
    wrong = []
    for entry in _messages(po):
        # then a translation has the same placeholders as its English message (in any order)
        if entry.msgid_plural is None:
            if placeholders(entry.msgstr[0]) != placeholders(entry.msgid):
                wrong.append(f"{entry.where(po)} -> {entry.msgstr[0]!r}")
            continue
        # and a plural's forms use only the English forms' placeholders, the last one all of
        # the English plural's (French uses the singular for 0 and 1)
        allowed = set(placeholders(entry.msgid) + placeholders(entry.msgid_plural))
        if not set(placeholders(entry.msgstr[-1])) >= set(placeholders(entry.msgid_plural)):
            wrong.append(f"{entry.where(po)} -> {entry.msgstr[-1]!r}")
        wrong += [
            f"{entry.where(po)} -> {form!r}"
            for form in entry.msgstr
            if not set(placeholders(form)) <= allowed
        ]
    assert wrong == [], "placeholders differ:\n" + "\n".join(wrong)


def test_the_placeholder_check_sees_a_missing_or_renamed_placeholder():
    # given translations that lose or rename a placeholder, and one that only moves it
    # then the first two differ from the English and the last does not
    assert placeholders("Bonjour") != placeholders("Hello %(name)s")
    assert placeholders("%(nom)s dépasse %(mb)d Mo.") != placeholders("%(name)s is over %(mb)d MB.")
    assert placeholders("{n} dossiers") != placeholders("{count} cases")
    assert placeholders("Page %(n)s sur %(total)s") == placeholders("Page %(n)s of %(total)s")
    # and French percent signs in plain text are not placeholders
    assert placeholders("50 % des dossiers, en points de %%.") == []


def test_one_english_message_has_one_french_translation_across_catalogues():
    # Django merges every app's catalogue into one: for a message in two of them, one
    # translation silently wins, so two different ones mean a page shows the wrong one.
    # given every French message of every catalogue
    seen: dict[tuple[str | None, str], dict[tuple[str, ...], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for po in FRENCH:
        for entry in _messages(po):
            seen[(entry.msgctxt, entry.msgid)][tuple(entry.msgstr)].append(_name(po))
    # then each has the same translation wherever it appears
    clashes = [
        f"{msgid!r}: " + "; ".join(f"{list(t)} in {', '.join(where)}" for t, where in found.items())
        for (_ctx, msgid), found in seen.items()
        if len(found) > 1
    ]
    assert clashes == [], "translated differently (use pgettext if the meaning differs):\n" + (
        "\n".join(clashes)
    )


def _shown(entry: Entry) -> list[str]:
    if entry.msgid_plural is not None:
        return [translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
    if entry.msgctxt is not None:
        return [translation.pgettext(entry.msgctxt, entry.msgid)]
    return [translation.gettext(entry.msgid)]


@pytest.mark.parametrize("po", FRENCH, ids=_name)
def test_each_french_translation_is_the_one_django_shows(po):
    # Django merges the catalogues: LOCALE_PATHS first, then the apps in INSTALLED_APPS order
    # (django.contrib.admin before ours). A message another catalogue also translates shows
    # that one's words, not these: align with it, or give the message a context (pgettext).
    # given a French catalogue
    with translation.override("fr"):
        # then each of its translations is what a French page shows
        shadowed = [
            f"{entry.where(po)}: ours {entry.msgstr!r}, shown {_shown(entry)!r}"
            for entry in _messages(po)
            if all(entry.msgstr) and not entry.fuzzy and _shown(entry) != entry.msgstr
        ]
    assert shadowed == [], "shown differently:\n" + "\n".join(shadowed)


def _expected_catalogue(po: Path) -> dict:
    expected: dict = {}
    for entry in _messages(po):
        if entry.fuzzy or not all(entry.msgstr):
            continue  # msgfmt leaves out what is fuzzy or untranslated
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[key] = entry.msgstr[0]
        else:
            expected.update({(key, i): form for i, form in enumerate(entry.msgstr)})
    return expected


@pytest.mark.parametrize("po", ALL, ids=_name)
def test_each_catalogue_is_compiled_from_its_current_po(po):
    # The .mo is what Django reads: a .po changed without `make messages` changes nothing on
    # screen. Compared by content, not by file dates (a git checkout sets those in any order).
    # given a catalogue and its compiled file
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{_name(mo)} is missing: run `make messages`"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    # then the compiled messages are exactly the .po's translated ones
    actual = {k: v for k, v in compiled._catalog.items() if k != ""}
    expected = _expected_catalogue(po)
    keys = expected.keys() | actual.keys()
    stale = sorted(str(k) for k in keys if expected.get(k) != actual.get(k))
    assert stale == [], f"{_name(mo)} is stale, run `make messages`; differing: {stale[:10]}"


def test_the_po_reader_sees_flags_plurals_contexts_continuations_and_obsolete_entries(tmp_path):
    # given a small catalogue using each construct of the format
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid "Hello %(name)s"\nmsgstr "Bonjour %(name)s"\n\n'
        'msgctxt "door"\nmsgid "Open"\nmsgstr "Ouverte"\n\n'
        'msgid ""\n"A long "\n"message"\nmsgstr ""\n"Un long "\n"message \\"cité\\""\n\n'
        'msgid "%(n)d file"\nmsgid_plural "%(n)d files"\nmsgstr[0] "%(n)d fichier"\n'
        'msgstr[1] ""\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Parti"\n',
        encoding="utf-8",
    )
    # when it is read
    header, hello, door, long, files, gone = po_entries(po)
    # then each entry has what the file says
    assert po_header([header]) == {"Language": "fr", "Plural-Forms": "nplurals=2; plural=(n > 1);"}
    assert hello.fuzzy and hello.msgstr == ["Bonjour %(name)s"] and hello.references == ["a.py:1"]
    assert (door.msgctxt, door.msgid, door.msgstr) == ("door", "Open", ["Ouverte"])
    assert not door.fuzzy
    assert (long.msgid, long.msgstr) == ("A long message", ['Un long message "cité"'])
    assert files.msgid_plural == "%(n)d files" and files.msgstr == ["%(n)d fichier", ""]
    assert gone.obsolete and gone.msgid == "Gone"
