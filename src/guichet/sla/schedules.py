"""From Calendar rows to the pure `Schedule` that businesstime.py counts with.

REQ-CAL-01: the `holidays` version is pinned in pyproject.toml; subdivisions are the package's
codes ("57" Moselle, "6AE" Alsace — never the deprecated "GES"); the language is always passed.
REQ-CAL-04: other countries use the same package with their own codes.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Container
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
from django.utils.translation import gettext as _

from guichet.core.errors import ValidationFailed
from guichet.sla.businesstime import MINUTES_PER_DAY, Range, Schedule
from guichet.sla.choices import ExceptionKind
from guichet.sla.models import Calendar

# The default calendar's week (the data migration creates the same rows).
DEFAULT_TIME_ZONE = "Europe/Paris"
DEFAULT_DAY: tuple[Range, ...] = ((9 * 60, 12 * 60 + 30), (13 * 60 + 30, 18 * 60))
DEFAULT_WEEK: tuple[tuple[Range, ...], ...] = (DEFAULT_DAY,) * 5 + ((), ())

_lock = threading.Lock()
_schedules: dict[int, tuple[datetime, Schedule]] = {}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def time_zone_check(name: str) -> ZoneInfo:
    if not name or name not in _time_zones():
        raise _invalid("time_zone", _("Unknown time zone %(tz)s.") % {"tz": name})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed but broken
        raise _invalid("time_zone", _("Unknown time zone %(tz)s.") % {"tz": name}) from exc


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def holidays_check(country: str, subdivision: str) -> None:
    """Refuse a country or subdivision the `holidays` package does not know, and the deprecated
    ones (REQ-CAL-01: "GES" silently returns no Alsace-Moselle holiday in recent versions)."""
    if not country:
        if subdivision:
            raise _invalid("subdivision", _("A subdivision needs a country."))
        return
    if country not in _supported_countries():
        raise _invalid("country", _("No public holidays are known for %(c)s.") % {"c": country})
    if not subdivision:
        return
    cls = holidays.country_holidays(country).__class__
    deprecated = getattr(cls, "_deprecated_subdivisions", ())
    aliases = getattr(cls, "subdivisions_aliases", {})
    if subdivision in deprecated or (
        subdivision not in cls.subdivisions and subdivision not in aliases
    ):
        raise _invalid(
            "subdivision",
            _("Unknown subdivision %(s)s for %(c)s; use one of: %(codes)s.")
            % {"s": subdivision, "c": country, "codes": ", ".join(cls.subdivisions)},
        )


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def public_holidays(country: str, subdivision: str = "") -> Container[date]:
    """The public holidays of a country (and subdivision), for every year asked about."""
    if not country:
        return frozenset()
    holidays_check(country, subdivision)
    cls = holidays.country_holidays(country).__class__
    languages = getattr(cls, "supported_languages", ())
    language = "fr" if "fr" in languages else getattr(cls, "default_language", None)
    return holidays.country_holidays(
        country, subdiv=subdivision or None, language=language, categories=("public",)
    )


def _minute(value: time, *, end: bool = False) -> int:
    minutes = value.hour * 60 + value.minute
    return MINUTES_PER_DAY if end and minutes == 0 else minutes


def calendar_schedule(calendar: Calendar) -> Schedule:
    """The calendar's Schedule, cached per process until the calendar's `updated_at` moves."""
    with _lock:
        cached = _schedules.get(calendar.pk)
    if cached is not None and cached[0] == calendar.updated_at:
        return cached[1]
    weekly: list[list[Range]] = [[] for _ in range(7)]
    for hours in calendar.opening_hours.all():
        weekly[hours.weekday].append((_minute(hours.start), _minute(hours.end, end=True)))
    closed: set[date] = set()
    openings: dict[date, list[Range]] = defaultdict(list)
    for exception in calendar.exceptions.all():
        if exception.kind == ExceptionKind.CLOSED:
            closed.add(exception.date)
        elif exception.start is not None and exception.end is not None:
            openings[exception.date].append(
                (_minute(exception.start), _minute(exception.end, end=True))
            )
    try:
        schedule = Schedule(
            tz=time_zone_check(calendar.time_zone),
            weekly=tuple(tuple(day) for day in weekly),
            holidays=public_holidays(calendar.country, calendar.subdivision),
            closed=frozenset(closed),
            openings={d: tuple(r) for d, r in openings.items()},
        )
    except ValueError as exc:
        raise _invalid(
            "opening_hours",
            _("Calendar %(name)s: %(error)s") % {"name": calendar.name, "error": exc},
        ) from exc
    with _lock:
        _schedules[calendar.pk] = (calendar.updated_at, schedule)
    return schedule


def default_schedule() -> Schedule:
    """The built-in week, used only if the "default" calendar row has been removed."""
    return Schedule(
        tz=ZoneInfo(DEFAULT_TIME_ZONE), weekly=DEFAULT_WEEK, holidays=public_holidays("FR")
    )
