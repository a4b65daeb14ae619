"""Complaint services: opening, each step through the services, what the customer is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from guichet.cases.choices import Channel, ContactKind, EventKind, Priority
from guichet.cases.models import CaseEvent, Contact
from guichet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guichet.quality import services
from guichet.quality.choices import ClosureReason, ComplaintStatus, Level
from guichet.quality.models import Complaint, RootCause
from tests.quality.conftest import MONDAY, case_new, complaint_new, walk_to

pytestmark = pytest.mark.django_db
S = ComplaintStatus


def notices(case) -> list[str]:
    return list(
        Contact.objects.filter(case=case, kind__in=[ContactKind.STATUS_NOTICE, ContactKind.REPLY])
        .order_by("pk")
        .values_list("body_text", flat=True)
    )


# ---- opening ---------------------------------------------------------------------------------


def test_an_agent_marks_a_case_as_a_complaint(case, agent):
    # REQ-CMP-01/02: unique reference, remedy sought, receipt time, step and case event
    complaint = complaint_new(case, agent)
    assert complaint.reference == "R-000001"
    assert complaint.status == S.RECEIVED
    assert complaint.remedy_sought == "Remplacement du colis"
    assert complaint.source == "agent"
    assert complaint.handler == agent
    assert [s.kind for s in complaint.steps.all()] == ["received"]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.COMPLAINT_OPENED).exists()


def test_a_written_complaint_starts_the_mediation_clock_at_receipt(case, agent):
    # REQ-LEG-02: an email is a written complaint
    complaint = complaint_new(case, agent)
    assert complaint.first_written_at == case.created_at


def test_a_phone_complaint_has_no_written_date_until_given(customer, agent):
    case = case_new(customer, channel=Channel.PHONE)
    complaint = complaint_new(case, agent)
    assert complaint.first_written_at is None
    written = MONDAY + timedelta(days=1)
    other = case_new(customer, channel=Channel.PHONE)
    assert (
        complaint_new(other, agent, first_written_at=written, at=written).first_written_at
        == written
    )


def test_the_customer_declares_its_own_case_a_complaint(case, customer):
    complaint = services.complaint_open(
        actor=customer.user, case=case, remedy_sought="Un geste", at=MONDAY
    )
    assert complaint.source == "customer"


def test_a_customer_cannot_declare_someone_elses_case(customer, other_customer, agent):
    case = case_new(other_customer)
    with pytest.raises(NotFound):
        services.complaint_open(actor=customer.user, case=case, remedy_sought="x", at=MONDAY)
    assert not Complaint.objects.exists()


def test_a_case_is_a_complaint_only_once(complaint, case, agent):
    with pytest.raises(Conflict) as err:
        complaint_new(case, agent)
    assert err.value.code == "already_complaint"


def test_the_remedy_sought_is_required(case, agent):
    with pytest.raises(ValidationFailed):
        complaint_new(case, agent, remedy_sought="   ")


# ---- the lifecycle through the services ------------------------------------------------------


def test_the_whole_lifecycle_records_who_and_when(complaint, agent):
    complaint = walk_to(complaint, agent, S.CLOSED)
    kinds = [s.kind for s in complaint.steps.all()]
    assert kinds == [
        "received",
        "acknowledged",
        "assessed",
        "investigating",
        "response_proposed",
        "accepted",
        "closed",
    ]
    assert all(s.actor == agent and s.created_at for s in complaint.steps.all()[1:])
    # every step is also in the case timeline (REQ-CMP-03)
    steps = CaseEvent.objects.filter(case=complaint.case, kind=EventKind.COMPLAINT_STEP)
    assert [e.data["step"] for e in steps.order_by("pk")] == kinds[1:]
    assert complaint.closure_reason == ClosureReason.ACCEPTED
    assert complaint.root_cause.slug == "delivery-damaged"


def test_assessment_before_acknowledgement_is_a_conflict(complaint, agent):
    with pytest.raises(Conflict) as err:
        services.complaint_assess(
            actor=agent,
            complaint=complaint,
            severity=Level.LOW,
            impact=Level.LOW,
            urgency=Level.LOW,
        )
    assert err.value.code == "acknowledgement_required"
    complaint.refresh_from_db()
    assert complaint.status == S.RECEIVED


def test_responding_before_investigating_is_a_conflict(complaint, agent):
    complaint = walk_to(complaint, agent, S.ASSESSED)
    with pytest.raises(Conflict):
        services.complaint_respond(actor=agent, complaint=complaint, response="Désolé")


def test_closing_without_a_response_is_a_conflict(complaint, agent):
    complaint = walk_to(complaint, agent, S.INVESTIGATING)
    with pytest.raises(Conflict):
        services.complaint_close(
            actor=agent,
            complaint=complaint,
            reason=ClosureReason.FINAL_DECISION,
            root_cause=RootCause.objects.first(),
        )


def test_the_database_refuses_a_closed_complaint_without_response(complaint):
    # the same rule as a constraint: no code path can store it
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status=S.CLOSED)


def test_closing_needs_a_root_cause(complaint, agent):
    complaint = walk_to(complaint, agent, S.INVESTIGATING)
    complaint = services.complaint_respond(actor=agent, complaint=complaint, response="Voici.")
    complaint = services.complaint_decide(actor=agent, complaint=complaint, decision="accepted")
    with pytest.raises(ValidationFailed):
        services.complaint_close(actor=agent, complaint=complaint, reason=ClosureReason.ACCEPTED)


def test_a_withdrawal_closes_without_response(complaint, agent):
    complaint = walk_to(complaint, agent, S.ACKNOWLEDGED)
    complaint = services.complaint_close(
        actor=agent,
        complaint=complaint,
        reason=ClosureReason.WITHDRAWN,
        note="Colis retrouvé chez un voisin.",
    )
    assert complaint.status == S.CLOSED


def test_a_customer_cannot_move_the_complaint_along(complaint, customer):
    with pytest.raises(PermissionDenied):
        services.complaint_acknowledge(actor=customer.user, complaint=complaint)


def test_a_safety_issue_escalates_at_once(complaint, agent):
    # REQ-CMP-07: safety flag escalates; the case becomes urgent
    complaint = walk_to(complaint, agent, S.ACKNOWLEDGED)
    complaint = services.complaint_assess(
        actor=agent,
        complaint=complaint,
        severity=Level.LOW,
        impact=Level.LOW,
        urgency=Level.LOW,
        safety_issue=True,
    )
    complaint.case.refresh_from_db()
    assert complaint.case.priority == Priority.URGENT
    assert complaint.escalated_at is not None
    assert complaint.steps.filter(kind="escalated").exists()


def test_assessment_raises_the_case_priority_but_never_lowers_it(complaint, agent):
    complaint = walk_to(complaint, agent, S.ACKNOWLEDGED)
    complaint = services.complaint_assess(
        actor=agent,
        complaint=complaint,
        severity=Level.HIGH,
        impact=Level.LOW,
        urgency=Level.MEDIUM,
    )
    complaint.case.refresh_from_db()
    assert complaint.case.priority == Priority.HIGH


def test_an_unknown_level_is_invalid_input(complaint, agent):
    complaint = walk_to(complaint, agent, S.ACKNOWLEDGED)
    with pytest.raises(ValidationFailed):
        services.complaint_assess(
            actor=agent, complaint=complaint, severity="huge", impact=Level.LOW, urgency=Level.LOW
        )


def test_the_customer_records_its_own_decision(complaint, agent, customer):
    complaint = walk_to(complaint, agent, S.RESPONSE_PROPOSED)
    complaint = services.complaint_decide(
        actor=customer.user, complaint=complaint, decision="refused", comment="Pas assez."
    )
    assert complaint.status == S.REFUSED


def test_another_customer_cannot_decide(complaint, agent, other_customer):
    complaint = walk_to(complaint, agent, S.RESPONSE_PROPOSED)
    with pytest.raises(PermissionDenied):
        services.complaint_decide(
            actor=other_customer.user, complaint=complaint, decision="accepted"
        )


def test_a_contested_complaint_reopens_and_counts(complaint, agent, customer):
    # REQ-CMP-11: the complainant may reopen; reopening is counted
    complaint = walk_to(complaint, agent, S.CLOSED)
    complaint = services.complaint_reopen(
        actor=customer.user, complaint=complaint, reason="Le nouveau colis est aussi cassé."
    )
    assert complaint.status == S.INVESTIGATING
    assert complaint.reopen_count == 1
    assert complaint.closed_at is None and complaint.closure_reason == ""


def test_reopening_needs_a_reason(complaint, agent):
    complaint = walk_to(complaint, agent, S.CLOSED)
    with pytest.raises(ValidationFailed):
        services.complaint_reopen(actor=agent, complaint=complaint, reason="")


def test_notes_form_the_investigation_log(complaint, agent):
    complaint = walk_to(complaint, agent, S.INVESTIGATING)
    services.complaint_note_add(actor=agent, complaint=complaint, note="Transporteur interrogé.")
    assert complaint.steps.filter(kind="note").get().note == "Transporteur interrogé."


def test_no_note_on_a_received_complaint(complaint, agent):
    with pytest.raises(Conflict):
        services.complaint_note_add(actor=agent, complaint=complaint, note="x")


# ---- what the customer is told, and the mediator (REQ-LEG-01, REQ-CMP-06/10) -------------------
# The complainant writes in French (Customer.language "fr"), so what she is told is in French.


def test_the_acknowledgement_gives_reference_next_step_and_mediator(complaint, agent, mediator):
    services.complaint_acknowledge(actor=agent, complaint=complaint)
    text = notices(complaint.case)[-1]
    assert complaint.reference in text
    assert "Prochaine étape" in text
    assert mediator.name in text and mediator.website in text


def test_a_refusal_is_answered_with_the_mediators_details(complaint, agent, mediator):
    complaint = walk_to(complaint, agent, S.REFUSED)
    text = notices(complaint.case)[-1]
    assert "vous n'acceptez pas notre réponse" in text
    assert mediator.name in text and mediator.address in text and mediator.website in text
    assert complaint.mediation_informed_at is not None


def test_a_final_decision_carries_the_mediators_details(complaint, agent, mediator):
    complaint = walk_to(complaint, agent, S.REFUSED)
    complaint = services.complaint_close(
        actor=agent, complaint=complaint, reason=ClosureReason.FINAL_DECISION
    )
    text = notices(complaint.case)[-1]
    assert "décision définitive" in text and mediator.website in text


def test_without_a_configured_mediator_nothing_is_invented(complaint, agent):
    complaint = walk_to(complaint, agent, S.REFUSED)
    assert "médiateur" not in notices(complaint.case)[-1]


def test_the_response_is_a_public_reply(complaint, agent):
    complaint = walk_to(complaint, agent, S.RESPONSE_PROPOSED)
    reply = Contact.objects.filter(case=complaint.case, kind=ContactKind.REPLY).get()
    assert "nouveau colis" in reply.body_text


# ---- unresolved after the legal delay (REQ-LEG-01/02) --------------------------------------------


def test_unresolved_after_two_months_the_customer_gets_the_mediator(complaint, agent, mediator):
    complaint = walk_to(complaint, agent, S.INVESTIGATING)
    before = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    after = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
    # before two months: nothing due
    assert services.complaints_mediation_due(now=before) == []
    assert not services.complaint_mediation_inform(complaint_id=complaint.pk, now=before)
    # after two months from the first written complaint: due, sent once
    assert services.complaints_mediation_due(now=after) == [complaint.pk]
    assert services.complaint_mediation_inform(complaint_id=complaint.pk, now=after)
    text = notices(complaint.case)[-1]
    assert "pas encore résolue" in text and mediator.name in text and mediator.address in text
    assert not services.complaint_mediation_inform(complaint_id=complaint.pk, now=after)
    assert complaint.steps.filter(kind="mediation_informed").count() == 1


def test_a_resolved_complaint_gets_no_mediation_notice(complaint, agent, mediator):
    complaint = walk_to(complaint, agent, S.CLOSED)
    assert services.complaints_mediation_due(now=datetime(2026, 9, 1, tzinfo=UTC)) == []


def test_the_mediation_delay_is_configurable(policy, complaint, agent, mediator):
    policy.mediation_months = 1
    policy.save()
    assert services.complaints_mediation_due(now=datetime(2026, 4, 3, tzinfo=UTC)) == [complaint.pk]


# ---- suggestion by keywords ------------------------------------------------------------------


def test_a_suggestion_is_recorded_once_in_the_timeline(case):
    assert services.complaint_suggestion_record(
        case=case, text="C'est inadmissible", source="email"
    )
    assert not services.complaint_suggestion_record(case=case, text="Une plainte", source="email")
    event = CaseEvent.objects.get(case=case, kind=EventKind.COMPLAINT_SUGGESTED)
    assert event.data["keywords"] == ["inadmissible"]


def test_a_phone_complaint_gets_its_written_date_when_the_customer_writes(
    customer, agent, django_capture_on_commit_callbacks
):
    # REQ-LEG-02: the mediation clock starts with the first written complaint
    from guichet.cases.services import contact_add

    complaint = complaint_new(case_new(customer, channel=Channel.PHONE), agent)
    written = MONDAY + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        contact_add(
            actor=None,
            case=complaint.case,
            kind=ContactKind.CUSTOMER_MESSAGE,
            channel=Channel.EMAIL,
            body_text="Je confirme ma réclamation par écrit.",
            at=written,
        )
    complaint.refresh_from_db()
    assert complaint.first_written_at == written
    # a later message does not move it
    with django_capture_on_commit_callbacks(execute=True):
        contact_add(
            actor=None,
            case=complaint.case,
            kind=ContactKind.CUSTOMER_MESSAGE,
            channel=Channel.EMAIL,
            body_text="Relance",
            at=written + timedelta(days=9),
        )
    complaint.refresh_from_db()
    assert complaint.first_written_at == written
