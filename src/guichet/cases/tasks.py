from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from guichet.cases.choices import Channel
from guichet.cases.models import Case
from guichet.core.hooks import hooks_register
from guichet.core.tasks import retrying_task

logger = logging.getLogger(__name__)

# Higher apps add to the acknowledgement's context without this app knowing them (the portal
# adds `follow_url`, a one-time link to follow the request). Registered in AppConfig.ready().
_acknowledgement_context_providers: list[Callable[[Case], dict[str, Any]]] = []


def acknowledgement_context_register(provider: Callable[[Case], dict[str, Any]]) -> None:
    if provider not in _acknowledgement_context_providers:
        _acknowledgement_context_providers.append(provider)


@retrying_task
def case_send_acknowledgement(case_id: int) -> bool:
    """Tell the customer their request is received, its reference, and who handles it."""
    case = Case.objects.select_related("customer", "owner").filter(pk=case_id).first()
    if case is None or not case.customer.email:
        return False
    with translation.override(case.customer.language or settings.LANGUAGE_CODE):
        context: dict[str, Any] = {"case": case, "base_url": settings.GUICHET_BASE_URL}
        for provider in _acknowledgement_context_providers:
            context.update(provider(case))
        subject = render_to_string("cases/email/acknowledgement_subject.txt", context).strip()
        body = render_to_string("cases/email/acknowledgement.txt", context)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[case.customer.email],
        reply_to=[settings.GUICHET_SUPPORT_EMAIL],
        headers={"Auto-Submitted": "auto-replied"},
    )
    message.send()
    return True


def _on_case_created(*, case_id: int) -> None:
    # Inbound email sends its own threaded acknowledgement (email channel); others get this one.
    case = Case.objects.filter(pk=case_id).only("channel").first()
    if case is not None and case.channel != Channel.EMAIL:
        case_send_acknowledgement.enqueue(case_id)


hooks_register("case.created", _on_case_created)

__all__ = ["acknowledgement_context_register", "case_send_acknowledgement"]
