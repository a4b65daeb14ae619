from django import template

from guichet.quality.selectors import (
    complaint_panel,
    complaint_status_for_customer,
    complaint_suggestion_pending,
)

register = template.Library()


@register.simple_tag
def complaint_status_for(case):
    """`{% complaint_status_for case as status %}`: the customer's view of the case's complaint
    (None when the case is not a complaint). The page must already have checked the case is
    the customer's own."""
    return complaint_status_for_customer(case) if case is not None else None


@register.simple_tag
def complaint_declared_for(case) -> bool:
    """`{% complaint_declared_for case as declared %}`: the customer said "this is a complaint"
    and an agent has not yet confirmed it. Keyword suggestions stay internal."""
    if case is None:
        return False
    suggestion = complaint_suggestion_pending(case)
    return suggestion is not None and suggestion.declared


@register.inclusion_tag("quality/includes/case_panel.html", takes_context=True)
def complaint_case_panel(context, case):
    """`{% complaint_case_panel case %}` on the agent's case page: confirm or dismiss a suggested
    complaint, mark the case as one, or follow the complaint (reference, step, next deadline).
    The page has already checked the user may see the case."""
    return {**complaint_panel(case), "case": case, "user": context.get("user")}
