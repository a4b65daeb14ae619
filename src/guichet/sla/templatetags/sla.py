"""Template tags of the sla app.

    {% load sla %}
    {% sla_countdown case %}            the coloured countdown of a case's nearest target
    {% sla_promise case as promise %}   "we will answer you by Tuesday 2 pm" (current language)
    {{ minutes|business_duration }}     "2 h 15 min"

For rows rendered in Python: `countdown_html(countdown)` with `selectors.case_countdowns(cases)`.

Use `guichet.sla.selectors.cases_with_clock` (or `cases_by_time_left`) on the queryset so the
countdown costs no query per row.
"""

from __future__ import annotations

from django import template
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from guichet.sla.choices import Countdown
from guichet.sla.promise import sla_promise_text
from guichet.sla.selectors import CaseCountdown, case_countdown

register = template.Library()


def countdown_html(countdown: CaseCountdown) -> SafeString:
    """The markup of sla/partials/countdown.html, built in Python for lists of many rows."""
    if countdown.state == Countdown.NONE:
        return mark_safe("")
    if countdown.state == Countdown.PAUSED:
        text = _("Paused")
    elif countdown.state == Countdown.BREACHED:
        text = _("%(late)s late") % {"late": business_duration(countdown.minutes_late)}
    else:
        text = _("%(left)s left") % {"left": business_duration(countdown.minutes_left)}
    if countdown.due_at is None:
        return format_html(
            '<span class="sla-countdown sla-countdown--{0}" data-state="{0}">{1}</span>',
            countdown.state,
            text,
        )
    due = timezone.localtime(countdown.due_at)
    return format_html(
        '<span class="sla-countdown sla-countdown--{0}" data-state="{0}" data-due="{1}" '
        'title="{2} — {3}">{4}</span>',
        countdown.state,
        countdown.due_at.isoformat(),
        countdown.label,
        _("due %(due)s") % {"due": formats.date_format(due, "DATETIME_FORMAT")},
        text,
    )


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
