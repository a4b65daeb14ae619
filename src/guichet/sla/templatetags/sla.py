"""Template tags of the sla app.

    {% load sla %}
    {% sla_countdown case %}            the coloured countdown of a case's nearest target
    {% sla_promise case as promise %}   "we will answer you by Tuesday 2 pm" (current language)
    {{ minutes|business_duration }}     "2 h 15 min"

Use `guichet.sla.selectors.cases_with_clock` (or `cases_by_time_left`) on the queryset so the
countdown costs no query per row.
"""

from __future__ import annotations

from django import template
from django.utils import translation
from django.utils.translation import gettext as _

from guichet.sla.promise import sla_promise_text
from guichet.sla.selectors import case_countdown

register = template.Library()


@register.inclusion_tag("sla/partials/countdown.html")
def sla_countdown(case) -> dict:
    return {"countdown": case_countdown(case), "case": case}


@register.simple_tag
def sla_promise(case) -> str:
    return sla_promise_text(case, translation.get_language())


@register.filter
def business_duration(minutes) -> str:
    """Whole minutes as "45 min", "2 h", "2 h 15 min" (business minutes: no days, since a
    business day is the calendar's, not 24 h)."""
    if minutes is None or minutes == "":
        return ""
    minutes = int(minutes)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    hours, mins = divmod(minutes, 60)
    if hours == 0:
        return _("%(sign)s%(m)d min") % {"sign": sign, "m": mins}
    if mins == 0:
        return _("%(sign)s%(h)d h") % {"sign": sign, "h": hours}
    return _("%(sign)s%(h)d h %(m)02d min") % {"sign": sign, "h": hours, "m": mins}
