"""What the portal shows a customer: their cases and each case's public conversation.

Access goes through guichet.cases.access only; what a customer may read of a case is decided
here: public contacts (never internal notes), an agent's first name (never a surname or email),
status changes in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.accounts.models import User
from guichet.cases.access import case_get_for_user, case_queryset_for_user
from guichet.cases.choices import PUBLIC_KINDS, CaseStatus, ContactKind, EventKind
from guichet.cases.models import Attachment, Case, CaseEvent, Contact
from guichet.core.errors import NotFound

S = CaseStatus

STATUS_WORDS = {
    S.NEW: gettext_lazy("Received"),
    S.OPEN: gettext_lazy("In progress"),
    S.WAITING_CUSTOMER: gettext_lazy("Waiting for your reply"),
    S.RESOLVED: gettext_lazy("Resolved"),
    S.CLOSED: gettext_lazy("Closed"),
}
STATUS_EXPLAINED = {
    S.NEW: gettext_lazy("We have your request. A person will answer you soon."),
    S.OPEN: gettext_lazy("Someone is working on your request."),
    S.WAITING_CUSTOMER: gettext_lazy("We need an answer from you to go on."),
    S.RESOLVED: gettext_lazy("We believe this is settled."),
    S.CLOSED: gettext_lazy("This request is closed."),
}
# Status changes worth telling the customer about (new → open happens on every first reply).
SHOWN_STATUS_CHANGES = (S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED)


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


def agent_first_name(user: User | None) -> str:
    """Only the first name: a customer never sees an agent's surname or email address."""
    first = (user.first_name if user is not None else "").strip()
    return first or _("Our team")


@dataclass
class ConversationEntry:
    """One line of the conversation as the customer sees it."""

    kind: str  # "message" (from the customer), "reply", "call", "notice", "status"
    author: str
    at: datetime
    body_html: str = ""
    from_customer: bool = False
    attachments: list[Attachment] = field(default_factory=list)


def portal_case_list(*, user: User) -> QuerySet[Case]:
    return (
        case_queryset_for_user(user=user)
        .select_related("owner", "category")
        .order_by("-updated_at", "-id")
    )


def _contact_entry(contact: Contact) -> ConversationEntry:
    attachments = list(contact.attachments.all())
    if contact.kind == ContactKind.CUSTOMER_MESSAGE:
        return ConversationEntry(
            kind="message",
            author=_("You"),
            at=contact.created_at,
            body_html=contact.body_html,
            from_customer=True,
            attachments=attachments,
        )
    name = agent_first_name(contact.author_user)
    if contact.kind == ContactKind.CALL:
        return ConversationEntry(
            kind="call",
            author=_("Phone call with %(name)s") % {"name": name},
            at=contact.created_at,
            body_html=contact.body_html,
            attachments=attachments,
        )
    if contact.kind == ContactKind.STATUS_NOTICE:
        return ConversationEntry(
            kind="notice",
            author=_("Customer service"),
            at=contact.created_at,
            body_html=contact.body_html,
            attachments=attachments,
        )
    return ConversationEntry(
        kind="reply",
        author=name,
        at=contact.created_at,
        body_html=contact.body_html,
        attachments=attachments,
    )


def _event_entry(event: CaseEvent) -> ConversationEntry | None:
    new = (event.data or {}).get("new")
    if event.kind == EventKind.REOPENED:
        by_customer = event.actor is not None and event.actor.is_customer
        text = _("You reopened this request.") if by_customer else _("The request was reopened.")
    elif new in SHOWN_STATUS_CHANGES:
        text = _("Status: %(status)s") % {"status": status_words(new)}
    else:
        return None
    return ConversationEntry(kind="status", author="", at=event.created_at, body_html=text)


def portal_conversation(*, case: Case) -> list[ConversationEntry]:
    contacts = (
        Contact.objects.filter(case=case, kind__in=PUBLIC_KINDS)
        .select_related("author_user")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    events = (
        CaseEvent.objects.filter(case=case, kind__in=(EventKind.STATUS_CHANGED, EventKind.REOPENED))
        .select_related("actor")
        .order_by("created_at", "id")
    )
    entries = [_contact_entry(c) for c in contacts]
    entries += [e for e in (_event_entry(ev) for ev in events) if e is not None]
    # A status change made with a message (a reopening) comes after that message.
    entries.sort(key=lambda e: (e.at, e.kind == "status"))
    return entries


def portal_case_detail(*, user: User, reference: str) -> tuple[Case, list[ConversationEntry]]:
    case = case_get_for_user(user=user, reference=reference)
    return case, portal_conversation(case=case)


def portal_attachment_get(*, user: User, reference: str, attachment_id: int) -> Attachment:
    """An attachment of a public contact of a case the user may see; otherwise not found."""
    case = case_get_for_user(user=user, reference=reference)
    attachment = (
        Attachment.objects.select_related("contact")
        .filter(pk=attachment_id, contact__case=case, contact__kind__in=PUBLIC_KINDS)
        .first()
    )
    if attachment is None:
        raise NotFound(_("File not found."))
    return attachment
