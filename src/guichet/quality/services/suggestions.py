"""Suggested complaints: the customer says "this is a complaint" (portal), or a customer message
on any channel reads like one (keywords). An agent then confirms (`complaint_open`) or says it
is not a complaint (`complaint_suggestion_dismiss`); see selectors/suggestions.py."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import ContactKind, Direction, EventKind
from guichet.cases.events import event_record
from guichet.cases.models import Case, Contact
from guichet.core.errors import Conflict
from guichet.quality.detection import complaint_keywords
from guichet.quality.models import Complaint
from guichet.quality.selectors.suggestions import complaint_suggestion_pending
from guichet.quality.services.intake import complaint_suggestion_record
from guichet.quality.services.steps import _agent_required, _field_error, _text

MAX_REMEDY = 2_000


def _customer_message(case: Case, contact: Contact) -> None:
    if contact.case_id != case.pk or contact.kind != ContactKind.CUSTOMER_MESSAGE:
        raise _field_error("contact", _("This is not a message of the customer on this case."))


@transaction.atomic
def complaint_declaration_record(
    *, case: Case, contact: Contact, remedy_sought: str = "", at: datetime | None = None
) -> bool:
    """The customer ticked "this is a complaint" with `contact` (portal): the case is suggested
    as a complaint for an agent to confirm. The message's date is the receipt and the first
    written complaint once confirmed (REQ-LEG-02/07); the remedy the customer seeks is kept for
    the agent's form (REQ-CMP-02). False when the case is already a complaint or a declaration
    already waits."""
    _customer_message(case, contact)
    remedy_sought = (remedy_sought or "").strip()
    if len(remedy_sought) > MAX_REMEDY:
        raise _field_error("remedy_sought", _("At most %(n)d characters.") % {"n": MAX_REMEDY})
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    pending = complaint_suggestion_pending(case)
    if Complaint.objects.filter(case=case).exists() or (pending and pending.declared):
        return False
    event_record(
        case=case,
        kind=EventKind.COMPLAINT_SUGGESTED,
        actor=contact.author_user,
        at=at or contact.created_at,
        source=contact.channel,
        declared=True,
        keywords=complaint_keywords(contact.body_text)[:10],
        remedy_sought=remedy_sought,
        contact_id=contact.pk,
        message_at=contact.created_at.isoformat(),
        message_channel=contact.channel,
    )
    return True


@transaction.atomic
def complaint_suggestion_dismiss(
    *, actor: User, case: Case, note: str = "", at: datetime | None = None
) -> None:
    """An agent judges a suggested complaint is not one; the case goes on as a request. When the
    customer declared it, the agent says why (kept in the timeline)."""
    _agent_required(actor)
    note = _text("note", note, required=False)
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    pending = complaint_suggestion_pending(case)
    if pending is None:
        raise Conflict(_("No complaint is suggested on this case."), code="no_suggestion")
    if pending.declared and not note:
        raise _field_error(
            "note", _("The customer said this is a complaint: say why it is not one.")
        )
    event_record(
        case=case,
        kind=EventKind.COMPLAINT_DISMISSED,
        actor=actor,
        at=at or timezone.now(),
        note=note,
        declared=pending.declared,
    )


def complaint_suggestion_from_contact(*, case_id: int, contact_id: int) -> bool:
    """After-commit hook on "contact.created": an inbound customer message of any channel
    (email, portal, API, chat…) that reads like a complaint suggests one. Idempotent."""
    contact = (
        Contact.objects.select_related("case")
        .filter(
            pk=contact_id,
            case_id=case_id,
            kind=ContactKind.CUSTOMER_MESSAGE,
            direction=Direction.INBOUND,
        )
        .first()
    )
    if contact is None or contact.case.merged_into_id:
        return False
    return complaint_suggestion_record(
        case=contact.case,
        text=contact.body_text,
        source=contact.channel,
        at=contact.created_at,
        contact=contact,
    )
