"""The monthly barometer email: headline figures of last month to those who asked for it."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from guichet.surveys import selectors
from guichet.surveys.access import barometer_allowed
from guichet.surveys.models import BarometerSubscription

logger = logging.getLogger(__name__)
HEADLINES = (
    "expectations_met",
    "csat",
    "fcr",
    "fcr_declared",
    "nps",
    "first_response_seconds_median",
    "backlog",
)


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def barometer_monthly_email_send(*, month: date | None = None) -> int:
    """Send the month's email to every subscriber still allowed to see the barometer, once per
    month (idempotent: re-running the same month sends nothing new). Returns emails sent."""
    month = (month or previous_month(timezone.localdate())).replace(day=1)
    key = f"{month:%Y-%m}"
    period = selectors.period_for("month", anchor=month)
    data = selectors.barometer(period=period, filters=selectors.BarometerFilters())
    rows = [
        {
            "name": name,
            "now": data["metrics"][name],
            "previous": data["previous"]["metrics"][name],
            "last_year": data["last_year"]["metrics"][name],
        }
        for name in HEADLINES
    ]
    url = (
        settings.GUICHET_BASE_URL
        + reverse("surveys:barometer")
        + f"?period=month&date={month.isoformat()}"
    )
    sent = 0
    for subscription in (
        BarometerSubscription.objects.select_related("user")
        .exclude(last_sent_month=key)
        .order_by("pk")
    ):
        user = subscription.user
        if not barometer_allowed(user):
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            context = {
                "month": month,
                "rows": rows,
                "data": data,
                "url": url,
                "reference_source": selectors.REFERENCE_SOURCE,
            }
            subject = render_to_string("surveys/email/monthly_subject.txt", context).strip()
            text = render_to_string("surveys/email/monthly.txt", context)
            html = render_to_string("surveys/email/monthly.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(html, "text/html")
        message.send()
        subscription.last_sent_month = key
        subscription.save(update_fields=["last_sent_month"])
        sent += 1
    return sent
