"""The first-response commitment in words, for the customer's acknowledgement:
"nous vous répondrons avant mardi 14 h" (REQ-CMP-06: expected timetable; REQ-CCC-03: expected
delays).

Times are written the way each language writes them ("14 h", "14 h 30" in French; "2 pm",
"2:30 pm" in English; "14:00" otherwise); weekday and month names come from Django's catalogues.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from guichet.cases.models import Case
from guichet.sla.businesstime import NeverOpen, business_time_add
from guichet.sla.choices import Outcome, TargetKind
from guichet.sla.models import CaseTarget
from guichet.sla.selectors import policy_terms, sla_context_load


def first_response_due(case: Case) -> datetime | None:
    """The committed first-response instant: from the case's clock, else computed now from the
    policy and calendar that apply (the acknowledgement may be written before the clock)."""
    target = (
        CaseTarget.objects.filter(case=case, kind=TargetKind.FIRST_RESPONSE, seq=0)
        .only("due_at", "outcome")
        .first()
    )
    context = sla_context_load()
    policy = context.policy_for(case)
    schedule = context.schedule_for(context.calendar_for(policy, case.team_id))
    if target is not None:
        due = target.due_at if target.outcome == Outcome.OPEN else None
        return due.astimezone(schedule.tz) if due else None
    minutes = policy_terms(policy).target(case.priority, TargetKind.FIRST_RESPONSE)
    if minutes is None:
        return None
    try:
        return business_time_add(schedule, case.created_at, timedelta(minutes=minutes))
    except NeverOpen:
        return None


def clock_time_words(moment: datetime, language: str) -> str:
    if language.startswith("fr"):
        return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"
    if language.startswith("en"):
        hour = moment.hour % 12 or 12
        suffix = "am" if moment.hour < 12 else "pm"
        return f"{hour} {suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d} {suffix}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def promise_words(due: datetime, *, now: datetime, language: str) -> str:
    """ "we will answer you by Tuesday 2 pm" — today, tomorrow, a weekday within the week, or a
    date further on. `due` and `now` in the calendar's time zone."""
    with translation.override(language):
        time_words = clock_time_words(due, language)
        days = (due.date() - now.date()).days
        values = {
            "time": time_words,
            "weekday": formats.date_format(due, "l"),
            "date": formats.date_format(due, "j F"),
        }
        if days <= 0:
            return _("we will answer you today by %(time)s") % values
        if days == 1:
            return _("we will answer you tomorrow by %(time)s") % values
        if days < 7:
            return _("we will answer you by %(weekday)s %(time)s") % values
        return _("we will answer you by %(weekday)s %(date)s, %(time)s") % values


def sla_promise_text(
    case: Case, language: str | None = None, *, now: datetime | None = None
) -> str:
    """The first-response promise of a case in the customer's language; "" when there is no
    first-response target, or it is already met or past."""
    language = language or case.customer.language or settings.LANGUAGE_CODE
    due = first_response_due(case)
    if due is None:
        return ""
    now = (now or timezone.now()).astimezone(due.tzinfo)
    if due <= now:
        return ""  # a promise already missed is not made again
    return promise_words(due, now=now, language=language)
