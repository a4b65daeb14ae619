"""Reads of the email channel for other screens (the agent workspace shows a reply's status,
and the emails of a case with their images held back)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.access import case_queryset_for_user
from guichet.cases.choices import Channel
from guichet.cases.models import Attachment, Case, Contact
from guichet.channels.email.display import html_for_agent
from guichet.channels.email.models import BouncingAddress, InboundMessage, OutboundMessage
from guichet.channels.email.parsing import message_parse
from guichet.core.errors import NotFound

# Inline images are shown on our origin only in formats a browser cannot run script from.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def outbound_status_for_contacts(*, contact_ids: Iterable[int]) -> dict[int, OutboundMessage]:
    """The latest email sent for each contact: state queued / sent / failed, with the error."""
    result: dict[int, OutboundMessage] = {}
    for outbound in OutboundMessage.objects.filter(contact_id__in=list(contact_ids)).order_by(
        "created_at", "id"
    ):
        result[outbound.contact_id] = outbound  # type: ignore[index]
    return result


def address_is_bouncing(*, address: str) -> bool:
    return BouncingAddress.objects.filter(address__iexact=(address or "").strip()).exists()


@dataclass
class ContactEmail:
    """One email contact of a case as the agent sees it."""

    contact: Contact
    inbound: InboundMessage | None = None
    outbound: OutboundMessage | None = None
    html: str = ""
    remote_images: int = 0


@dataclass
class CaseEmails:
    contacts: list[ContactEmail] = field(default_factory=list)
    # Acknowledgements belong to no contact: shown with their own status.
    acknowledgements: list[OutboundMessage] = field(default_factory=list)


def _cid_urls(inbound: InboundMessage, attachments: list[Attachment]) -> dict[str, str]:
    """Content-ID → same-origin address of the stored attachment with the same bytes. The
    Content-ID is only in the raw message: it is read again, and only for messages that use it."""
    by_hash = {
        a.sha256: a
        for a in attachments
        if a.content_type.split(";")[0].strip().lower() in INLINE_IMAGE_TYPES
    }
    urls: dict[str, str] = {}
    for item in message_parse(bytes(inbound.raw)).attachments:
        if not item.content_id or not item.content:
            continue
        stored = by_hash.get(hashlib.sha256(item.content).hexdigest())
        if stored is not None:
            urls[item.content_id] = reverse("email_channel:inline_image", args=[stored.pk])
    return urls


def contact_email_view(
    *, contact: Contact, inbound: InboundMessage | None, show_images: bool = False
) -> ContactEmail:
    view = ContactEmail(contact=contact, inbound=inbound)
    if contact.body_html:
        cids: dict[str, str] = {}
        if inbound is not None and "cid:" in contact.body_html:
            full = InboundMessage.objects.only("raw").get(pk=inbound.pk)
            cids = _cid_urls(full, list(contact.attachments.all()))
        view.html, view.remote_images = html_for_agent(
            contact.body_html, cid_url=cids.get, show_remote=show_images
        )
    return view


def case_emails(*, case: Case) -> CaseEmails:
    """The email contacts of a case (the customer's messages and the replies sent by email),
    oldest first, with each reply's sending status; the raw bytes are not loaded."""
    contacts = list(
        Contact.objects.filter(case=case, channel=Channel.EMAIL)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    ids = [c.pk for c in contacts]
    inbound = {
        m.contact_id: m for m in InboundMessage.objects.filter(contact_id__in=ids).defer("raw")
    }
    outbound_all = list(OutboundMessage.objects.filter(case=case).order_by("created_at", "id"))
    outbound = {m.contact_id: m for m in outbound_all if m.contact_id}
    result = CaseEmails(acknowledgements=[m for m in outbound_all if m.contact_id is None])
    for contact in contacts:
        view = contact_email_view(contact=contact, inbound=inbound.get(contact.pk))
        view.outbound = outbound.get(contact.pk)
        result.contacts.append(view)
    return result


def contact_for_user(*, user: User, contact_id: int) -> Contact:
    """An email contact of a case this user may see (agents only), else NotFound."""
    contact = (
        Contact.objects.filter(
            pk=contact_id,
            channel=Channel.EMAIL,
            case__in=case_queryset_for_user(user=user),
        )
        .select_related("case")
        .first()
    )
    if contact is None or not user.is_agent:
        raise NotFound(_("No such email."))
    return contact


def inline_image_for_user(*, user: User, attachment_id: int) -> Attachment:
    """An image attached to an email contact this user may see, in a format safe to show."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            contact__channel=Channel.EMAIL,
            contact__case__in=case_queryset_for_user(user=user),
        )
        .select_related("contact")
        .first()
    )
    if (
        attachment is None
        or not user.is_agent
        or attachment.content_type.split(";")[0].strip().lower() not in INLINE_IMAGE_TYPES
    ):
        raise NotFound(_("No such image."))
    return attachment
