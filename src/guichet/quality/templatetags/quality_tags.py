from django import template

from guichet.quality.selectors import complaint_status_for_customer

register = template.Library()


@register.simple_tag
def complaint_status_for(case):
    """`{% complaint_status_for case as status %}`: the customer's view of the case's complaint
    (None when the case is not a complaint). The page must already have checked the case is
    the customer's own."""
    return complaint_status_for_customer(case) if case is not None else None
