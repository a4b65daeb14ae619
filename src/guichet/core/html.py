"""HTML from outside (email, API, portal) is sanitised here before it is stored or shown."""

from __future__ import annotations

import html as html_lib
import re

import nh3

# No scripts, styles, forms or event handlers; links get rel=noopener noreferrer nofollow.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"lang", "dir"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid", "tel"}


def html_sanitise(value: str) -> str:
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


_BLOCK = re.compile(r"</?(p|div|br|li|tr|h[1-6]|blockquote|pre)\b[^>]*>", re.I)
_SPACES = re.compile(r"[ \t]+")
_LINES = re.compile(r"\n{3,}")


def html_to_text(value: str) -> str:
    """A readable plain-text version of (already sanitised) HTML, for search and notifications."""
    text = _BLOCK.sub("\n", value)
    text = nh3.clean(text, tags=set())
    text = html_lib.unescape(text)
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def text_to_html(value: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", value.strip()) if p]
    return "".join(
        "<p>" + "<br>".join(html_lib.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )
