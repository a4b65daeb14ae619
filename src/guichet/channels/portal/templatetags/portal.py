from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def portal_phone() -> str:
    """The number shown beside "talk to a person" on every page (GUICHET_PORTAL_PHONE)."""
    return settings.GUICHET_PORTAL_PHONE


@register.filter
def tel_href(number: str) -> str:
    """A tel: link target: digits and a leading +, nothing else."""
    number = (number or "").strip()
    digits = "".join(c for c in number if c.isdigit())
    return f"tel:+{digits}" if number.startswith("+") else f"tel:{digits}"
