"""HTML from outside is sanitised before it is stored or shown."""

from __future__ import annotations

import pytest

from guichet.core.html import html_sanitise, html_to_text, text_to_html


@pytest.mark.parametrize(
    ("dirty", "forbidden"),
    [
        ("<script>alert(1)</script>", "alert"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<p onclick="x()">x</p>', "onclick"),
        ("<style>body{display:none}</style>", "display"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<form action="/steal"><input name="pw"></form>', "<form"),
        ('<svg onload="alert(1)"></svg>', "onload"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ('<div style="background:url(javascript:alert(1))">x</div>', "style"),
        ("<object data='x.swf'></object>", "object"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "refresh"),
    ],
)
def test_dangerous_html_is_removed(dirty, forbidden):
    assert forbidden not in html_sanitise(dirty).lower()


def test_ordinary_formatting_is_kept():
    clean = html_sanitise("<p>Bonjour <strong>Marie</strong>,</p><ul><li>un</li></ul>")
    assert clean == "<p>Bonjour <strong>Marie</strong>,</p><ul><li>un</li></ul>"


def test_links_get_safe_rel():
    clean = html_sanitise('<a href="https://example.test/suivi">suivi</a>')
    assert 'href="https://example.test/suivi"' in clean
    assert 'rel="noopener noreferrer nofollow"' in clean


def test_html_to_text_keeps_lines_and_unescapes():
    text = html_to_text("<p>Bonjour,</p><p>Votre colis &amp; votre facture</p><br>Merci")
    assert text == "Bonjour,\n\nVotre colis & votre facture\n\nMerci"


def test_text_to_html_escapes_and_keeps_paragraphs():
    assert text_to_html("a <b>\nb\n\nc & d") == "<p>a &lt;b&gt;<br>b</p><p>c &amp; d</p>"


def test_text_to_html_of_empty_text_is_empty():
    assert text_to_html("  \n ") == ""
