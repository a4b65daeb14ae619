"""Display of barometer figures: percentages, durations, "not enough answers"."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

METRIC_LABELS = {
    "expectations_met": gettext_lazy("Expectations met"),
    "csat": gettext_lazy("CSAT (share of 4–5 out of 5)"),
    "fcr": gettext_lazy("First-contact resolution (from the contacts)"),
    "fcr_declared": gettext_lazy("Settled in one go (customers' answers)"),
    "ces": gettext_lazy("Ease (CES, mean out of 7)"),
    "nps": gettext_lazy("Likelihood to recommend (NPS, −100 to 100)"),
    "first_response_seconds_median": gettext_lazy("First response time (median)"),
    "resolution_seconds_median": gettext_lazy("Resolution time (median)"),
    "first_response_business_seconds_median": gettext_lazy(
        "First response time in opening hours (median)"
    ),
    "resolution_business_seconds_median": gettext_lazy("Resolution time in opening hours (median)"),
    "reopen_rate": gettext_lazy("Reopened"),
    "repeat_contact_rate": gettext_lazy("Customers who had to come back"),
    "transfers_per_case": gettext_lazy("Transfers per case"),
    "backlog": gettext_lazy("Backlog (new and open cases)"),
    "response_rate": gettext_lazy("Surveys answered"),
    "contacts_per_resolved_issue": gettext_lazy("Contacts per resolved request"),
    "contacts_per_case": gettext_lazy("Contacts per case (from the customer)"),
    "channel_switches_per_case": gettext_lazy("Channel switches per case"),
    "cases_with_channel_switch": gettext_lazy("Cases with a channel switch"),
    "time_to_owner_seconds_median": gettext_lazy(
        "Time from first contact to a named owner (median)"
    ),
}
PROPORTIONS = {
    "expectations_met",
    "csat",
    "fcr",
    "fcr_declared",
    "reopen_rate",
    "repeat_contact_rate",
    "cases_with_channel_switch",
}
DURATIONS = {
    "first_response_seconds_median",
    "resolution_seconds_median",
    "first_response_business_seconds_median",
    "resolution_business_seconds_median",
    "time_to_owner_seconds_median",
}


def duration_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d") % {"h": hours, "m": minutes}
    return _("%(d)s days") % {"d": number_format(hours / 24, 1)}


def value_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in PROPORTIONS:
        return f"{number_format(value * 100, 1)} %"
    if name in DURATIONS:
        return duration_text(value)
    if name == "nps":
        return f"{int(value):+d}"
    if name in (
        "ces",
        "transfers_per_case",
        "contacts_per_resolved_issue",
        "contacts_per_case",
        "channel_switches_per_case",
    ):
        return number_format(value, 2)
    return str(value)


@register.filter
def metric_label(name: str) -> str:
    return str(METRIC_LABELS.get(name, name))


@register.filter
def figure_value(figure: dict, name: str) -> str:
    if not figure or figure.get("value") is None:
        return _("not enough answers")
    return value_text(name, figure["value"])


@register.filter
def figure_interval(figure: dict, name: str) -> str:
    if not figure or figure.get("value") is None:
        n = (figure or {}).get("n", 0)
        return _("%(n)d of the %(min)d needed") % {"n": n, "min": figure.get("min_sample", 0)}
    if name == "backlog":
        return ""
    parts = []
    if figure.get("low") is not None and figure.get("high") is not None:
        parts.append(
            _("95 %% interval %(low)s – %(high)s")
            % {"low": value_text(name, figure["low"]), "high": value_text(name, figure["high"])}
        )
    parts.append(_("n = %(n)d") % {"n": figure["n"]})
    return "; ".join(parts)


@register.filter
def trend_arrow(row: dict, against: str = "previous") -> str:
    """Better, worse or stable against the comparison, only when both intervals exist and do
    not overlap (REQ-SAT-03): an arrow that a random wobble cannot draw."""
    now, then = row["now"], row[against]
    if now.get("value") is None or then.get("value") is None:
        return ""
    if None in (now.get("low"), now.get("high"), then.get("low"), then.get("high")):
        return ""
    lower_is_better = row["name"] in DURATIONS | {
        "reopen_rate",
        "repeat_contact_rate",
        "transfers_per_case",
        "backlog",
        "contacts_per_resolved_issue",
        "contacts_per_case",
        "channel_switches_per_case",
        "cases_with_channel_switch",
    }
    if now["low"] > then["high"]:
        return _("worse") if lower_is_better else _("better")
    if now["high"] < then["low"]:
        return _("better") if lower_is_better else _("worse")
    return _("stable")
