"""How an email's HTML is shown to an agent: already sanitised on the way in (core.html), and
here, at display time, no image is fetched from another server unless the agent asks (a remote
image tells the sender when and where the message was read), and `cid:` inline images point to
their stored attachment on our own origin, behind the access check.

The stored HTML is nh3's output (well-formed, attributes double-quoted and escaped), so the
image tags can be rewritten with a pattern; the result goes through nh3 once more, so a
mistake here could drop an attribute but never let anything unsafe through.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3

from guichet.core.html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES

REMOTE_SRC_ATTRIBUTE = "data-remote-src"

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r'\ssrc="([^"]*)"', re.IGNORECASE)

_DISPLAY_ATTRIBUTES = {
    **ALLOWED_ATTRIBUTES,
    "img": ALLOWED_ATTRIBUTES["img"] | {REMOTE_SRC_ATTRIBUTE, "class"},
}


def html_for_agent(
    html: str, *, cid_url: Callable[[str], str | None], show_remote: bool = False
) -> tuple[str, int]:
    """The HTML to show and how many remote images were held back. `cid_url(content_id)` gives
    the same-origin address of an inline image, or None when there is no such attachment."""
    held = 0

    def rewrite(tag_match: re.Match[str]) -> str:
        nonlocal held
        tag = tag_match.group(0)
        src_match = _SRC.search(tag)
        if src_match is None:
            return tag
        src = src_match.group(1).strip()
        if src.lower().startswith("cid:"):
            url = cid_url(src[4:].strip("<> "))
            replacement = f' src="{url}"' if url else ""
        elif show_remote:
            return tag
        else:
            # Anything else (http, https, //host, a path) is not ours to load without asking.
            held += 1
            replacement = f' {REMOTE_SRC_ATTRIBUTE}="{src_match.group(1)}" class="remote-image"'
        return tag[: src_match.start()] + replacement + tag[src_match.end() :]

    rewritten = _IMG.sub(rewrite, html or "")
    return (
        nh3.clean(
            rewritten,
            tags=ALLOWED_TAGS,
            attributes=_DISPLAY_ATTRIBUTES,
            url_schemes=URL_SCHEMES - {"cid"},
            link_rel="noopener noreferrer nofollow",
        ),
        held,
    )
