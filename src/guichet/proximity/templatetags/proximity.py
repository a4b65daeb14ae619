"""Template tags other apps' templates use to show proximity: the advisor in the portal and in
email signatures, contact numbers with their tariff, customer effort on the barometer."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from guichet.proximity import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_advisor(context: dict[str, Any]) -> selectors.AdvisorCard | None:
    """The signed-in customer's advisor card (first name, photo, hours), or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_customer:
        return None
    from guichet.customers.models import Customer

    return selectors.customer_advisor(Customer.objects.filter(user=user).first())


@register.inclusion_tag("proximity/includes/customer_advisor.html", takes_context=True)
def customer_advisor_panel(context: dict[str, Any], customer) -> dict[str, Any]:
    """`{% customer_advisor_panel customer %}` on the workspace customer page (staff only):
    the customer's advisor and deputy, and who of them is away now."""
    user = context.get("user")
    return {
        "advisor": selectors.customer_advisor_for_staff(customer) if customer else None,
        "can_name": bool(user is not None and getattr(user, "sees_all_teams", False)),
    }


@register.inclusion_tag("proximity/portal/numbers.html")
def contact_numbers_list(numbers=None) -> dict[str, Any]:
    return {"numbers": list(numbers if numbers is not None else selectors.contact_numbers_shown())}


@register.simple_tag
def advisor_signature(case, only: str = "") -> str:
    """Plain-text lines for an email about `case`: who handles it and how to reach them
    directly (reply, the portal, a callback at a chosen time, a free or standard-rate number).
    `only="reach"` leaves out who handles it (for messages that already say so)."""
    from guichet.proximity.portal_views import callback_link_url

    lines: list[str] = []
    owner = getattr(case, "owner", None)
    first_name = (owner.first_name or "").strip() if owner is not None else ""
    advisor = selectors.customer_advisor(case.customer)
    if first_name and only != "reach":
        card = selectors.advisor_card(owner)
        lines.append(_("%(name)s handles your request.") % {"name": first_name})
        if card.working_hours:
            lines.append(_("Working hours: %(hours)s") % {"hours": card.working_hours})
    if advisor is not None and advisor.first_name != first_name:
        lines.append(_("Your advisor: %(name)s.") % {"name": advisor.first_name})
    lines.append(
        _("To reach a person directly: reply to this email, or choose a time to be called back:")
    )
    lines.append(callback_link_url(customer=case.customer, case=case))
    numbers = [n for n in selectors.contact_numbers_shown() if n.tariff_class != "premium"][:1]
    for number in numbers:
        lines.append(
            _("Phone: %(number)s (%(tariff)s)")
            % {"number": number.number, "tariff": number.get_tariff_class_display()}
        )
    return "\n".join(lines)


@register.simple_tag
def customer_effort(period, filters, data=None) -> dict[str, Any]:
    """The effort section's figures; from the barometer's own answer when the page has it
    (`data`: selectors.barometer), so the page does not compute them twice."""
    from guichet.proximity.effort import effort_figures, effort_from_figures

    if data and "contacts_per_case" in data.get("metrics", {}):
        return effort_from_figures(data["metrics"], min_sample=data["min_sample"])
    return effort_figures(period=period, filters=filters)


@register.simple_tag
def support_email() -> str:
    return settings.GUICHET_SUPPORT_EMAIL


@register.filter
def effort_value(figure: dict, name: str) -> str:
    from django.utils.formats import number_format

    from guichet.surveys.templatetags.barometer import duration_text

    if not figure or figure.get("value") is None:
        n = (figure or {}).get("n", 0)
        return _("not enough cases (%(n)d of the %(min)d needed)") % {
            "n": n,
            "min": (figure or {}).get("min_sample", 0),
        }
    value = figure["value"]
    if name.endswith("_seconds_median"):
        return duration_text(value)
    if name == "cases_with_channel_switch":
        return f"{number_format(value * 100, 1)} %"
    return number_format(value, 2)
