from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from guichet.channels.portal.choices import LinkPurpose
from guichet.channels.portal.services import link_lifetime, portal_link_create, portal_link_url
from guichet.core.tasks import retrying_task
from guichet.customers.models import Customer


@retrying_task
def portal_send_sign_in_link(customer_id: int, email: str, next_path: str = "") -> bool:
    """Email a one-time sign-in link. The token is made here, so it exists only in the email
    (never in the task queue)."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return False
    token = portal_link_create(
        purpose=LinkPurpose.SIGN_IN, customer=customer, email=email, next_path=next_path
    )
    with translation.override(customer.language or settings.LANGUAGE_CODE):
        context = {
            "customer": customer,
            "url": portal_link_url(token),
            "minutes": int(link_lifetime(LinkPurpose.SIGN_IN).total_seconds() // 60),
        }
        subject = render_to_string("portal/email/sign_in_link_subject.txt", context).strip()
        body = render_to_string("portal/email/sign_in_link.txt", context)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
    return True
