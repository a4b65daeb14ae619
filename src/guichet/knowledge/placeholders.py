"""Placeholders in macros, filled by plain substitution — never by a template engine.

A macro is text typed by users; running it through Django's template engine would let it reach
any attribute of the objects in its context. Here a placeholder is looked up in a fixed table of
names, each mapped to one value computed in Python; anything else is left as typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import User
from guichet.cases.models import Case

# Anything between double braces; only the names in PLACEHOLDERS are ever replaced.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def _first_name(full_name: str) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else ""


# name → (description for the help text, value from the case and the agent)
PLACEHOLDERS: dict[str, tuple[object, Callable[[Case, User], str]]] = {
    "customer.first_name": (
        _("Customer's first name"),
        lambda case, agent: _first_name(case.customer.name),
    ),
    "customer.name": (_("Customer's full name"), lambda case, agent: case.customer.name),
    "customer.email": (_("Customer's email"), lambda case, agent: case.customer.email),
    "case.reference": (_("Case reference"), lambda case, agent: case.reference),
    "case.subject": (_("Case subject"), lambda case, agent: case.subject),
    "agent.first_name": (
        _("Your first name"),
        lambda case, agent: agent.first_name or agent.display_name,
    ),
    "agent.name": (_("Your full name"), lambda case, agent: agent.display_name),
    "team.name": (
        _("The case's team"),
        lambda case, agent: case.team.name if case.team_id else "",
    ),
}


def placeholders_unknown(text: str) -> list[str]:
    """Placeholders in `text` that are not in the table (to reject them when saving)."""
    return sorted(
        {m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) not in PLACEHOLDERS}
    )


def placeholders_fill(text: str, *, case: Case, agent: User) -> str:
    def value(match: re.Match[str]) -> str:
        entry = PLACEHOLDERS.get(match.group(1))
        return entry[1](case, agent) if entry else match.group(0)

    return PLACEHOLDER.sub(value, text)
