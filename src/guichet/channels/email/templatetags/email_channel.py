from django import template

from guichet.channels.email.selectors import CaseEmails, case_emails

register = template.Library()


@register.simple_tag
def email_details(case) -> CaseEmails:
    """The case's emails for the workspace history (one include, a few queries)."""
    return case_emails(case=case)
