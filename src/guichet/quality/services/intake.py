"""A case becomes a complaint: marked by an agent, confirmed from a keyword suggestion, or
declared by the customer (REQ-CMP-01/02, REQ-LEG-02/07)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import Channel, ContactKind, EventKind
from guichet.cases.events import event_record
from guichet.cases.models import Case, Contact
from guichet.core.errors import Conflict, NotFound
from guichet.core.hooks import hooks_emit
from guichet.core.sequences import sequence_next
from guichet.quality.choices import (
    ComplaintSource,
    ComplaintStatus,
    StepKind,
)
from guichet.quality.delays import deadlines_compute, targets_for
from guichet.quality.detection import complaint_keywords
from guichet.quality.models import Complaint, ComplaintStep
from guichet.quality.selectors.suggestions import complaint_suggestion_pending
from guichet.quality.services.policy import policy_get
from guichet.quality.services.steps import (
    _field_error,
    _text,
)

S = ComplaintStatus
COMPLAINT_SEQUENCE = "complaint"
COMPLAINT_PREFIX = "R"
# Channels on which the customer's own words are written down (REQ-LEG-02).
WRITTEN_CHANNELS = (Channel.EMAIL, Channel.PORTAL, Channel.API)


def _default_received_at(case: Case, at: datetime) -> datetime:
    """The last customer message up to now: the words that made this a complaint (REQ-LEG-07)."""
    last = (
        Contact.objects.filter(case=case, kind=ContactKind.CUSTOMER_MESSAGE, created_at__lte=at)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last or case.created_at


@transaction.atomic
def complaint_open(
    *,
    actor: User | None,
    case: Case,
    remedy_sought: str,
    first_written_at: datetime | None = None,
    received_at: datetime | None = None,
    description: str = "",
    source: str | None = None,
    at: datetime | None = None,
) -> Complaint:
    """Make a case a complaint: an agent marks it, confirms a keyword suggestion, or the customer
    says so. Records the remedy sought and the first *written* complaint (REQ-CMP-01/02,
    REQ-LEG-02), and computes the deadlines of the regulatory profile (REQ-LEG-06).

    `first_written_at` defaults to the receipt when the case came in writing (email, portal,
    API) and stays empty for a phone call until the customer writes."""
    at = at or timezone.now()
    if actor is not None and not actor.is_agent:
        if case.customer.user_id != actor.pk:
            raise NotFound(_("Case %(reference)s not found.") % {"reference": case.reference})
        source = ComplaintSource.CUSTOMER
    source = source or (ComplaintSource.AGENT if actor is not None else ComplaintSource.CUSTOMER)
    if source not in ComplaintSource.values:
        raise _field_error("source", _("Unknown source."))
    remedy_sought = _text("remedy_sought", remedy_sought, required=True)
    description = _text("description", description, required=False)
    case = Case.objects.select_for_update(of=("self",)).select_related("customer").get(pk=case.pk)
    if case.merged_into_id:
        raise Conflict(_("This case was merged into another one."), code="case_merged")
    if Complaint.objects.filter(case=case).exists():
        raise Conflict(_("This case is already a complaint."), code="already_complaint")
    # A confirmed suggestion: the complaint was received with the customer's message that made
    # it one (REQ-LEG-07), and that message is the first written complaint (REQ-LEG-02).
    suggestion = complaint_suggestion_pending(case)
    message_at = suggestion.message_at if suggestion is not None else None
    if message_at is not None and message_at > at:
        message_at = None
    received_at = received_at or message_at or _default_received_at(case, at)
    if received_at > at:
        raise _field_error("received_at", _("The complaint cannot be received in the future."))
    if first_written_at is None and message_at and suggestion.message_channel in WRITTEN_CHANNELS:
        first_written_at = message_at
    if first_written_at is None and case.channel in WRITTEN_CHANNELS:
        first_written_at = received_at
    if first_written_at is not None and first_written_at > at:
        raise _field_error("first_written_at", _("This date cannot be in the future."))
    deadlines = deadlines_compute(targets=targets_for(policy_get()), received_at=received_at)
    number = sequence_next(name=COMPLAINT_SEQUENCE)
    complaint = Complaint.objects.create(
        case=case,
        reference=f"{COMPLAINT_PREFIX}-{number:06d}",
        status=S.RECEIVED,
        source=source,
        channel=case.channel,
        handler=case.owner,
        remedy_sought=remedy_sought,
        description=description,
        received_at=received_at,
        first_written_at=first_written_at,
        acknowledge_due_at=deadlines.acknowledge,
        assess_due_at=deadlines.assess,
        answer_due_at=deadlines.answer,
        created_by=actor,
        updated_at=at,
    )
    ComplaintStep.objects.create(
        complaint=complaint,
        kind=StepKind.RECEIVED,
        to_status=S.RECEIVED,
        actor=actor,
        created_at=at,
        data={"source": source, "received_at": received_at.isoformat()},
    )
    event_record(
        case=case,
        kind=EventKind.COMPLAINT_OPENED,
        actor=actor,
        at=at,
        reference=complaint.reference,
        source=source,
    )
    hooks_emit("complaint.opened", complaint_id=complaint.pk)
    return complaint


@transaction.atomic
def complaint_suggestion_record(
    *,
    case: Case,
    text: str,
    source: str,
    at: datetime | None = None,
    contact: Contact | None = None,
) -> bool:
    """For the channels: note in the timeline that a message reads like a complaint, so an agent
    can confirm it. Returns True when a suggestion was recorded (once per case). With `contact`
    (the customer's message), its date becomes the receipt when an agent confirms."""
    keywords = complaint_keywords(text)
    if not keywords or Complaint.objects.filter(case=case).exists():
        return False
    if case.events.filter(kind=EventKind.COMPLAINT_SUGGESTED).exists():
        return False
    message = {}
    if contact is not None:
        message = {
            "contact_id": contact.pk,
            "message_at": contact.created_at.isoformat(),
            "message_channel": contact.channel,
        }
    event_record(
        case=case,
        kind=EventKind.COMPLAINT_SUGGESTED,
        actor=None,
        at=at or timezone.now(),
        source=source,
        keywords=keywords[:10],
        **message,
    )
    return True


@transaction.atomic
def complaint_first_written_from_contact(*, case_id: int, contact_id: int) -> bool:
    """After-commit hook on "contact.created": a phone complaint gets its first *written* date
    when the customer writes (email, portal, API) — the mediation clock starts then (REQ-LEG-02).
    Idempotent; False when nothing changed."""
    contact = (
        Contact.objects.filter(
            pk=contact_id,
            case_id=case_id,
            kind=ContactKind.CUSTOMER_MESSAGE,
            channel__in=WRITTEN_CHANNELS,
        )
        .values("created_at")
        .first()
    )
    if contact is None:
        return False
    changed = Complaint.objects.filter(case_id=case_id, first_written_at__isnull=True).update(
        first_written_at=contact["created_at"]
    )
    if changed:
        # The mediation delay now counts from this message: schedule the notice for its end.
        from guichet.quality.services.progress import complaint_mediation_schedule

        complaint_mediation_schedule(complaint=Complaint.objects.get(case_id=case_id))
    return bool(changed)
