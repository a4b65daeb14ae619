"""Every change to a complaint goes through one of these functions, each one transaction.

Each step writes a ComplaintStep (who, when) and a `complaint_step` event in the case timeline;
transitions are checked by quality.flows; what the customer is told is posted on the case as a
contact (status notice, or a public reply for the response itself), so the email channel sends it
like any other message.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import Channel, ContactKind, EventKind, Priority
from guichet.cases.events import event_record
from guichet.cases.models import Case, Contact
from guichet.cases.services import case_update, contact_add
from guichet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guichet.core.hooks import hooks_emit
from guichet.core.sequences import sequence_next
from guichet.quality import communications, flows
from guichet.quality.choices import (
    LEVEL_RANK,
    OPEN_COMPLAINT_STATUSES,
    ClosureReason,
    ComplaintSource,
    ComplaintStatus,
    Decision,
    Level,
    StepKind,
)
from guichet.quality.delays import deadlines_compute, mediation_due, targets_for
from guichet.quality.detection import complaint_keywords
from guichet.quality.models import Complaint, ComplaintStep, Mediator, QualityPolicy, RootCause

S = ComplaintStatus
COMPLAINT_SEQUENCE = "complaint"
COMPLAINT_PREFIX = "R"
# Channels on which the customer's own words are written down (REQ-LEG-02).
WRITTEN_CHANNELS = (Channel.EMAIL, Channel.PORTAL, Channel.API)
MAX_TEXT = 20_000


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _text(field: str, value: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _field_error(field, _("This field is required."))
    if len(value) > MAX_TEXT:
        raise _field_error(field, _("At most %(n)d characters.") % {"n": MAX_TEXT})
    return value


def policy_get() -> QualityPolicy:
    policy, _created = QualityPolicy.objects.get_or_create(pk=1)
    return policy


def mediator_active() -> Mediator | None:
    return Mediator.objects.filter(is_active=True).first()


def _agent_required(actor: User | None) -> None:
    if actor is None or not actor.is_agent:
        raise PermissionDenied(_("Only agents can do this."))


def _is_own_customer(actor: User | None, complaint: Complaint) -> bool:
    return actor is not None and actor.is_customer and complaint.case.customer.user_id == actor.pk


def _lock(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case", "case__customer", "root_cause")
        .get(pk=complaint.pk)
    )


def _step(
    complaint: Complaint,
    *,
    kind: str,
    actor: User | None,
    at: datetime,
    old: str = "",
    new: str = "",
    note: str = "",
    **data,
) -> ComplaintStep:
    step = ComplaintStep.objects.create(
        complaint=complaint,
        kind=kind,
        from_status=old,
        to_status=new,
        actor=actor,
        note=note,
        data=data,
        created_at=at,
    )
    event_record(
        case=complaint.case,
        kind=EventKind.COMPLAINT_STEP,
        actor=actor,
        at=at,
        reference=complaint.reference,
        step=kind,
        old=old,
        new=new,
    )
    return step


def _move(
    complaint: Complaint,
    *,
    new: str,
    actor: User | None,
    at: datetime,
    kind: str,
    note: str = "",
    **data,
) -> None:
    old = complaint.status
    flows.transition_check(old=old, new=new)
    complaint.status = new
    complaint.updated_at = at
    _step(complaint, kind=kind, actor=actor, at=at, old=old, new=new, note=note, **data)
    hooks_emit("complaint.step", complaint_id=complaint.pk, step=kind, old=old, new=new)


def _tell_customer(
    complaint: Complaint, *, text: str, actor: User | None, at: datetime, reply: bool = False
) -> Contact:
    """Post what the customer is told on the case (a public reply for the response itself)."""
    author = actor if actor is not None and actor.is_agent else None
    return contact_add(
        actor=author,
        case=complaint.case,
        kind=ContactKind.REPLY if reply else ContactKind.STATUS_NOTICE,
        body_text=text,
        at=at,
    )


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
    received_at = received_at or _default_received_at(case, at)
    if received_at > at:
        raise _field_error("received_at", _("The complaint cannot be received in the future."))
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
    *, case: Case, text: str, source: str, at: datetime | None = None
) -> bool:
    """For the channels: note in the timeline that a message reads like a complaint, so an agent
    can confirm it. Returns True when a suggestion was recorded (once per case)."""
    keywords = complaint_keywords(text)
    if not keywords or Complaint.objects.filter(case=case).exists():
        return False
    if case.events.filter(kind=EventKind.COMPLAINT_SUGGESTED).exists():
        return False
    event_record(
        case=case,
        kind=EventKind.COMPLAINT_SUGGESTED,
        actor=None,
        at=at or timezone.now(),
        source=source,
        keywords=keywords[:10],
    )
    return True


@transaction.atomic
def complaint_acknowledge(
    *,
    actor: User,
    complaint: Complaint,
    message: str = "",
    notify: bool = True,
    at: datetime | None = None,
) -> Complaint:
    """Tell the customer the complaint is received, with its reference, the next step, the
    answer date and the mediator (REQ-CMP-06, REQ-LEG-01)."""
    _agent_required(actor)
    at = at or timezone.now()
    message = _text("message", message, required=False)
    complaint = _lock(complaint)
    _move(
        complaint,
        new=S.ACKNOWLEDGED,
        actor=actor,
        at=at,
        kind=StepKind.ACKNOWLEDGED,
        on_time=complaint.acknowledge_due_at is None or at <= complaint.acknowledge_due_at,
    )
    complaint.acknowledged_at = at
    complaint.save()
    if notify:
        text = communications.acknowledgement_text(
            complaint, message=message, mediator=mediator_active()
        )
        _tell_customer(complaint, text=text, actor=actor, at=at)
    return complaint


def _level(field: str, value: str, *, required: bool = True) -> str:
    if not value and not required:
        return ""
    if value not in Level.values:
        raise _field_error(field, _("Choose one of: %(v)s.") % {"v": ", ".join(Level.values)})
    return value


PRIORITY_FOR_RANK = {1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH, 4: Priority.URGENT}
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


def priority_from_assessment(*, severity: str, impact: str, urgency: str, safety: bool) -> str:
    """REQ-CMP-07: the worst of severity, impact and urgency; a safety issue is urgent."""
    if safety:
        return Priority.URGENT
    rank = max(LEVEL_RANK[Level(v)] for v in (severity, impact, urgency))
    return PRIORITY_FOR_RANK[rank]


@transaction.atomic
def complaint_assess(
    *,
    actor: User,
    complaint: Complaint,
    severity: str,
    impact: str,
    urgency: str,
    complexity: str = "",
    safety_issue: bool = False,
    immediate_action: bool = False,
    note: str = "",
    at: datetime | None = None,
) -> Complaint:
    """Initial assessment. The case's priority rises to match (never falls); a safety issue
    escalates at once: the case becomes urgent and "complaint.escalated" is announced."""
    _agent_required(actor)
    at = at or timezone.now()
    severity, impact, urgency = (
        _level("severity", severity),
        _level("impact", impact),
        _level("urgency", urgency),
    )
    complexity = _level("complexity", complexity, required=False)
    note = _text("note", note, required=False)
    complaint = _lock(complaint)
    _move(
        complaint,
        new=S.ASSESSED,
        actor=actor,
        at=at,
        kind=StepKind.ASSESSED,
        note=note,
        severity=severity,
        impact=impact,
        urgency=urgency,
        complexity=complexity,
        safety_issue=safety_issue,
        immediate_action=immediate_action,
    )
    complaint.severity, complaint.impact, complaint.urgency = severity, impact, urgency
    complaint.complexity = complexity
    complaint.safety_issue, complaint.immediate_action = safety_issue, immediate_action
    complaint.assessed_at = at
    wanted = priority_from_assessment(
        severity=severity, impact=impact, urgency=urgency, safety=safety_issue
    )
    case = complaint.case
    if PRIORITY_ORDER.index(wanted) > PRIORITY_ORDER.index(Priority(case.priority)):
        case_update(actor=actor, case=case, priority=wanted, at=at)
    if safety_issue:
        complaint.escalated_at = at
        _step(complaint, kind=StepKind.ESCALATED, actor=actor, at=at, note=note)
        hooks_emit("complaint.escalated", complaint_id=complaint.pk)
    complaint.save()
    return complaint


@transaction.atomic
def complaint_investigate(
    *, actor: User, complaint: Complaint, note: str = "", at: datetime | None = None
) -> Complaint:
    _agent_required(actor)
    at = at or timezone.now()
    note = _text("note", note, required=False)
    complaint = _lock(complaint)
    if complaint.status == S.CLOSED:
        raise Conflict(_("Reopen the complaint to investigate it again."), code="reopen_required")
    _move(
        complaint, new=S.INVESTIGATING, actor=actor, at=at, kind=StepKind.INVESTIGATING, note=note
    )
    if complaint.investigation_started_at is None:
        complaint.investigation_started_at = at
    complaint.save()
    return complaint


@transaction.atomic
def complaint_note_add(
    *, actor: User, complaint: Complaint, note: str, at: datetime | None = None
) -> ComplaintStep:
    """The investigation log (REQ-CMP-08): notes, evidence, who was asked."""
    _agent_required(actor)
    at = at or timezone.now()
    note = _text("note", note, required=True)
    complaint = _lock(complaint)
    flows.within_check(status=complaint.status, allowed=flows.NOTE_ALLOWED, what=_("add a note"))
    complaint.updated_at = at
    complaint.save(update_fields=["updated_at"])
    return _step(complaint, kind=StepKind.NOTE, actor=actor, at=at, note=note)


@transaction.atomic
def complaint_holding_reply(
    *, actor: User, complaint: Complaint, message: str, at: datetime | None = None
) -> Complaint:
    """Payment services (CMF L133-45): a holding reply with reasons moves the answer deadline
    to the profile's extended delay (35 working days). Once per complaint."""
    _agent_required(actor)
    at = at or timezone.now()
    message = _text("message", message, required=True)
    complaint = _lock(complaint)
    flows.within_check(
        status=complaint.status, allowed=flows.HOLDING_REPLY_ALLOWED, what=_("send a holding reply")
    )
    if complaint.holding_reply_at is not None:
        raise Conflict(_("A holding reply was already sent."), code="holding_reply_sent")
    targets = targets_for(policy_get())
    if targets.holding_answer_days is not None:
        complaint.answer_due_at = deadlines_compute(
            targets=targets, received_at=complaint.received_at, holding_reply=True
        ).answer
    complaint.holding_reply_at = at
    complaint.updated_at = at
    complaint.save()
    _step(
        complaint,
        kind=StepKind.HOLDING_REPLY,
        actor=actor,
        at=at,
        note=message,
        answer_due_at=complaint.answer_due_at.isoformat() if complaint.answer_due_at else None,
    )
    _tell_customer(
        complaint,
        text=communications.holding_reply_text(complaint, message=message),
        actor=actor,
        at=at,
    )
    return complaint


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise _field_error("compensation_amount", _("Enter an amount.")) from exc
    if amount < 0 or amount >= Decimal("100000000"):
        raise _field_error("compensation_amount", _("Enter an amount between 0 and 99,999,999."))
    return amount


@transaction.atomic
def complaint_respond(
    *,
    actor: User,
    complaint: Complaint,
    response: str,
    remedy_offered: str = "",
    compensation_amount: Decimal | str | None = None,
    root_cause: RootCause | None = None,
    at: datetime | None = None,
) -> Complaint:
    """Propose a response (REQ-CMP-09); it is sent to the customer as a public reply with the
    mediator's details, and the customer is asked to accept or refuse it."""
    _agent_required(actor)
    at = at or timezone.now()
    response = _text("response", response, required=True)
    remedy_offered = _text("remedy_offered", remedy_offered, required=False)
    amount = _amount(compensation_amount)
    complaint = _lock(complaint)
    _move(
        complaint,
        new=S.RESPONSE_PROPOSED,
        actor=actor,
        at=at,
        kind=StepKind.RESPONSE_PROPOSED,
        note=response,
        on_time=complaint.answer_due_at is None or at <= complaint.answer_due_at,
    )
    complaint.response_text = response
    complaint.remedy_offered = remedy_offered
    complaint.compensation_amount = amount
    if root_cause is not None:
        complaint.root_cause = root_cause
    complaint.decision = ""
    complaint.decided_at = None
    complaint.responded_at = at
    complaint.save()
    mediator = mediator_active()
    _tell_customer(
        complaint,
        text=communications.response_text(complaint, mediator=mediator),
        actor=actor,
        at=at,
        reply=True,
    )
    if mediator is not None:
        complaint.mediation_informed_at = complaint.mediation_informed_at or at
        complaint.save(update_fields=["mediation_informed_at"])
    return complaint


@transaction.atomic
def complaint_decide(
    *,
    actor: User | None,
    complaint: Complaint,
    decision: str,
    comment: str = "",
    at: datetime | None = None,
) -> Complaint:
    """The customer's answer to the proposed response, recorded by an agent or by the customer
    itself. A refusal is answered at once with the mediator's details (REQ-CMP-10)."""
    if not (actor is not None and actor.is_agent) and not _is_own_customer(actor, complaint):
        raise PermissionDenied(_("Only the customer or an agent can record this decision."))
    if decision not in Decision.values:
        raise _field_error("decision", _("Choose accepted or refused."))
    at = at or timezone.now()
    comment = _text("comment", comment, required=False)
    complaint = _lock(complaint)
    new = S.ACCEPTED if decision == Decision.ACCEPTED else S.REFUSED
    _move(
        complaint,
        new=new,
        actor=actor,
        at=at,
        kind=StepKind.ACCEPTED if new == S.ACCEPTED else StepKind.REFUSED,
        note=comment,
    )
    complaint.decision = decision
    complaint.decided_at = at
    complaint.save()
    if new == S.REFUSED:
        mediator = mediator_active()
        _tell_customer(
            complaint,
            text=communications.refusal_text(complaint, mediator=mediator),
            actor=actor,
            at=at,
        )
        if mediator is not None:
            complaint.mediation_informed_at = at
            complaint.save(update_fields=["mediation_informed_at"])
    return complaint


@transaction.atomic
def complaint_close(
    *,
    actor: User,
    complaint: Complaint,
    reason: str,
    root_cause: RootCause | None = None,
    note: str = "",
    notify: bool = True,
    at: datetime | None = None,
) -> Complaint:
    """Close with a reason (REQ-CMP-11) and a root cause (REQ-CMP-18). Never without a recorded
    response, unless the customer withdrew. A final decision carries the mediator's details."""
    _agent_required(actor)
    at = at or timezone.now()
    note = _text("note", note, required=False)
    complaint = _lock(complaint)
    flows.close_check(
        old=complaint.status, reason=reason, response_text=complaint.response_text, note=note
    )
    root_cause = root_cause or complaint.root_cause
    if root_cause is None and reason != ClosureReason.WITHDRAWN:
        raise _field_error("root_cause", _("Choose the root cause before closing."))
    _move(
        complaint,
        new=S.CLOSED,
        actor=actor,
        at=at,
        kind=StepKind.CLOSED,
        note=note,
        reason=reason,
        root_cause=root_cause.slug if root_cause else None,
    )
    complaint.closure_reason = reason
    complaint.root_cause = root_cause
    complaint.closed_at = at
    complaint.save()
    if notify:
        final = reason == ClosureReason.FINAL_DECISION
        mediator = mediator_active()
        text = communications.closing_text(complaint, mediator=mediator, final=final, note=note)
        _tell_customer(complaint, text=text, actor=actor, at=at)
        if final and mediator is not None:
            complaint.mediation_informed_at = at
            complaint.save(update_fields=["mediation_informed_at"])
    return complaint


@transaction.atomic
def complaint_reopen(
    *, actor: User, complaint: Complaint, reason: str, at: datetime | None = None
) -> Complaint:
    """The customer contests a closed complaint: it goes back to investigation (REQ-CMP-11);
    the customer may do this itself."""
    if not (actor is not None and actor.is_agent) and not _is_own_customer(actor, complaint):
        raise PermissionDenied(_("Only the customer or an agent can reopen this complaint."))
    at = at or timezone.now()
    reason = _text("reason", reason, required=True)
    complaint = _lock(complaint)
    _move(complaint, new=S.INVESTIGATING, actor=actor, at=at, kind=StepKind.REOPENED, note=reason)
    complaint.reopen_count += 1
    complaint.closure_reason = ""
    complaint.decision = ""
    complaint.closed_at = None
    complaint.decided_at = None
    complaint.save()
    return complaint


@transaction.atomic
def complaint_handler_set(
    *,
    actor: User,
    complaint: Complaint,
    handler: User | None,
    reason: str = "",
    at: datetime | None = None,
) -> Complaint:
    """REQ-CMP-15/17: a named handler, possibly not the person complained about."""
    _agent_required(actor)
    if handler is not None and not handler.is_agent:
        raise _field_error("handler", _("The handler must be an active agent."))
    at = at or timezone.now()
    complaint = _lock(complaint)
    old = complaint.handler_id
    complaint.handler = handler
    complaint.updated_at = at
    complaint.save(update_fields=["handler", "updated_at"])
    _step(
        complaint,
        kind=StepKind.HANDLER_CHANGED,
        actor=actor,
        at=at,
        note=reason.strip(),
        old_handler_id=old,
        handler_id=handler.pk if handler else None,
    )
    return complaint


def complaints_mediation_due(*, now: datetime | None = None) -> list[int]:
    """Ids of unresolved complaints past the mediation delay whose customer was not yet told."""
    now = now or timezone.now()
    targets = targets_for(policy_get())
    due: list[int] = []
    rows = Complaint.objects.filter(
        status__in=OPEN_COMPLAINT_STATUSES, mediation_informed_at__isnull=True
    ).values_list("pk", "first_written_at", "received_at")
    for pk, written, received in rows:
        if mediation_due(targets=targets, written_at=written or received) <= now:
            due.append(pk)
    return due


@transaction.atomic
def complaint_mediation_inform(*, complaint_id: int, now: datetime | None = None) -> bool:
    """Send the mediator's details once an unresolved complaint passes the legal delay (two
    months by default, REQ-LEG-01/02). Idempotent; False when nothing was due or no mediator."""
    now = now or timezone.now()
    mediator = mediator_active()
    if mediator is None:
        return False
    complaint = Complaint.objects.select_for_update(of=("self",)).filter(pk=complaint_id).first()
    if complaint is None or complaint_id not in complaints_mediation_due(now=now):
        return False
    complaint = _lock(complaint)
    text = communications.mediation_due_text(complaint, mediator=mediator)
    _tell_customer(complaint, text=text, actor=None, at=now)
    complaint.mediation_informed_at = now
    complaint.save(update_fields=["mediation_informed_at"])
    _step(complaint, kind=StepKind.MEDIATION_INFORMED, actor=None, at=now, mediator=mediator.name)
    return True
