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
from guichet.cases.choices import Priority
from guichet.cases.services import case_update
from guichet.core.errors import Conflict, PermissionDenied
from guichet.core.hooks import hooks_emit
from guichet.quality import communications, flows
from guichet.quality.choices import (
    LEVEL_RANK,
    ClosureReason,
    ComplaintStatus,
    Decision,
    Level,
    StepKind,
)
from guichet.quality.delays import deadlines_compute, targets_for
from guichet.quality.models import Complaint, ComplaintStep, RootCause
from guichet.quality.services.policy import mediator_active, policy_get
from guichet.quality.services.steps import (
    _agent_required,
    _field_error,
    _is_own_customer,
    _lock,
    _move,
    _step,
    _tell_customer,
    _text,
)

S = ComplaintStatus


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
    # A step without a change of status; the answer deadline moved (progress messages follow).
    hooks_emit(
        "complaint.step",
        complaint_id=complaint.pk,
        step=StepKind.HOLDING_REPLY,
        old=complaint.status,
        new=complaint.status,
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
