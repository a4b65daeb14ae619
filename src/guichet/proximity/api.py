"""The proximity API: /api/v1/callbacks, /api/v1/calls, /api/v1/referents, /api/v1/absences,
/api/v1/contact-numbers, /api/v1/advisor, /api/v1/effort. Thin: schemas in, services and
selectors called, schemas out; errors are ApplicationErrors (one JSON shape)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guichet.accounts.models import Team, User
from guichet.cases.access import case_get_for_user
from guichet.core.errors import NotFound, PermissionDenied, ValidationFailed
from guichet.customers.models import Customer
from guichet.customers.selectors import customer_for_user, customer_get_for_user
from guichet.proximity import schemas, selectors
from guichet.proximity.access import (
    agent_required,
    callback_get_for_user,
    overseer_required,
)
from guichet.proximity.choices import CallbackSource
from guichet.proximity.effort import effort_figures
from guichet.proximity.models import Absence, Callback, CallbackAttempt, ContactNumber
from guichet.proximity.services.absences import absence_create, absence_delete
from guichet.proximity.services.callbacks import (
    callback_attempt,
    callback_cancel,
    callback_request,
)
from guichet.proximity.services.calls import call_log
from guichet.proximity.services.numbers import contact_number_save
from guichet.proximity.services.referents import (
    assignment_current,
    referent_assign,
    referent_rules_apply,
    referents_reassign,
)
from guichet.surveys.access import barometer_required

callbacks_router = Router()
calls_router = Router()
referents_router = Router()
absences_router = Router()
numbers_router = Router()
advisor_router = Router()
effort_router = Router()


def _user(request: HttpRequest, user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed(_("Unknown agent."), details=[{"field": field, "message": "?"}])
    return user


def _callback_out(callback: Callback) -> dict:
    return {
        "id": callback.pk,
        "customer_id": callback.customer_id,
        "case": callback.case.reference if callback.case_id else None,
        "owner_first_name": callback.owner.first_name,
        "phone": callback.phone,
        "topic": callback.topic,
        "source": callback.source,
        "status": callback.status,
        "slot_start": callback.slot_start,
        "slot_end": callback.slot_end,
        "due_at": callback.due_at,
        "attempts": callback.attempts,
        "first_attempt_at": callback.first_attempt_at,
        "reminded_at": callback.reminded_at,
        "escalated_at": callback.escalated_at,
        "finished_at": callback.finished_at,
        "target_met": callback.target_met,
    }


# --- Callbacks ----------------------------------------------------------------------------------


@callbacks_router.get("", response=list[schemas.CallbackOut], url_name="callbacks")
def callbacks_list(request: HttpRequest, status: str | None = None, mine: bool = False):
    """Callbacks the caller may see (customers: their own), by next due time."""
    qs = selectors.callback_list(
        user=request.user, status=status, owner_id=request.user.pk if mine else None
    )
    return [_callback_out(c) for c in qs[:500]]


@callbacks_router.get("/slots", response=list[schemas.SlotOut], url_name="callback_slots")
def callbacks_slots(request: HttpRequest, team: int | None = None):
    """Slots on offer: inside the team's business calendar (default team if none)."""
    chosen = Team.objects.filter(pk=team).first() if team is not None else None
    if team is not None and chosen is None:
        raise NotFound(_("Team not found."))
    chosen = chosen or Team.objects.filter(is_default=True).first()
    return [{"start": s, "end": e} for s, e in selectors.callback_slots(team=chosen)]


@callbacks_router.post("", response={201: schemas.CallbackOut}, url_name="callback_create")
def callbacks_create(request: HttpRequest, payload: schemas.CallbackIn):
    user = request.user
    if user.is_agent:
        if payload.customer_id is None:
            raise ValidationFailed(
                _("Name the customer."), details=[{"field": "customer_id", "message": "?"}]
            )
        customer = customer_get_for_user(user=user, customer_id=payload.customer_id)
        source = CallbackSource.AGENT
    else:
        customer = customer_for_user(user=user)
        if customer is None:
            raise PermissionDenied(_("Only customers and agents book callbacks."))
        source = CallbackSource.API
    case = case_get_for_user(user=user, reference=payload.case) if payload.case else None
    callback = callback_request(
        actor=user,
        customer=customer,
        case=case,
        phone=payload.phone,
        slot_start=payload.slot_start,
        topic=payload.topic,
        owner=_user(request, payload.owner_id, "owner_id") if user.is_agent else None,
        source=source,
    )
    return Status(201, _callback_out(callback))


@callbacks_router.get("/{callback_id}", response=schemas.CallbackOut, url_name="callback")
def callbacks_get(request: HttpRequest, callback_id: int):
    return _callback_out(callback_get_for_user(user=request.user, callback_id=callback_id))


@callbacks_router.post(
    "/{callback_id}/attempts", response={201: schemas.AttemptOut}, url_name="callback_attempts"
)
def callbacks_attempt(request: HttpRequest, callback_id: int, payload: schemas.AttemptIn):
    """Record a call made for the callback (agents): reached, voicemail, no_answer or
    wrong_number; voicemail and no answer schedule the next attempt by themselves."""
    agent_required(request.user)
    callback = callback_get_for_user(user=request.user, callback_id=callback_id)
    attempt: CallbackAttempt = callback_attempt(
        actor=request.user,
        callback=callback,
        outcome=payload.outcome,
        note=payload.note,
        duration_seconds=payload.duration_seconds,
    )
    fresh = callback_get_for_user(user=request.user, callback_id=callback_id)
    return Status(
        201,
        {
            "id": attempt.pk,
            "outcome": attempt.outcome,
            "at": attempt.at,
            "contact_id": attempt.contact_id,
            "callback": _callback_out(fresh),
        },
    )


@callbacks_router.post(
    "/{callback_id}/cancel", response=schemas.CallbackOut, url_name="callback_cancel"
)
def callbacks_cancel(request: HttpRequest, callback_id: int):
    callback = callback_get_for_user(user=request.user, callback_id=callback_id)
    return _callback_out(callback_cancel(actor=request.user, callback=callback))


# --- Calls ------------------------------------------------------------------------------------


@calls_router.post("", response={201: schemas.CallOut}, url_name="calls")
def calls_log(request: HttpRequest, payload: schemas.CallIn):
    """Log a phone call on a case, or as a new case of a customer (agents)."""
    agent_required(request.user)
    case = case_get_for_user(user=request.user, reference=payload.case) if payload.case else None
    customer = None
    if case is None and payload.customer_id is not None:
        customer = customer_get_for_user(user=request.user, customer_id=payload.customer_id)
    contact = call_log(
        actor=request.user,
        case=case,
        customer=customer,
        direction=payload.direction,
        subject=payload.subject,
        notes=payload.notes,
        duration_seconds=payload.duration_seconds,
        outcome=payload.outcome,
        resolve=payload.resolve,
    )
    return Status(
        201, {"contact_id": contact.pk, "kind": contact.kind, "case": contact.case.reference}
    )


# --- Advisors ---------------------------------------------------------------------------------


def _referent_out(customer: Customer) -> dict:
    assignment = assignment_current(customer)
    if assignment is None:
        return {
            "assignment_id": None,
            "referent_id": None,
            "referent_name": "",
            "deputy_id": None,
            "deputy_name": "",
            "scope": "none",
            "rule": None,
            "assigned_at": None,
        }
    return {
        "assignment_id": assignment.pk,
        "referent_id": assignment.referent_id,
        "referent_name": assignment.referent.display_name,
        "deputy_id": assignment.deputy_id,
        "deputy_name": assignment.deputy.display_name if assignment.deputy else "",
        "scope": "customer" if assignment.customer_id else "organisation",
        "rule": assignment.rule.name if assignment.rule_id else None,
        "assigned_at": assignment.assigned_at,
    }


@referents_router.get(
    "/customers/{customer_id}", response=schemas.ReferentOut, url_name="customer_referent"
)
def referent_get(request: HttpRequest, customer_id: int):
    agent_required(request.user)
    return _referent_out(customer_get_for_user(user=request.user, customer_id=customer_id))


@referents_router.put(
    "/customers/{customer_id}", response=schemas.ReferentOut, url_name="customer_referent_set"
)
def referent_set(request: HttpRequest, customer_id: int, payload: schemas.ReferentIn):
    overseer_required(request.user)
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    referent_assign(
        actor=request.user,
        customer=customer,
        referent=_user(request, payload.referent_id, "referent_id"),
        deputy=_user(request, payload.deputy_id, "deputy_id"),
        team=Team.objects.filter(pk=payload.team_id).first() if payload.team_id else None,
    )
    return _referent_out(customer)


@referents_router.post("/reassign", response=schemas.ReassignOut, url_name="referents_reassign")
def referents_reassign_api(request: HttpRequest, payload: schemas.ReassignIn):
    """Someone leaves: their customers get a new advisor and a message (supervisors)."""
    overseer_required(request.user)
    outcome = referents_reassign(
        actor=request.user,
        leaving=_user(request, payload.leaving_id, "leaving_id"),
        to=_user(request, payload.to_id, "to_id"),
        message=payload.message,
        move_cases=payload.move_cases,
    )
    return outcome.__dict__


@referents_router.post("/rules/apply", response=schemas.RulesOut, url_name="referent_rules")
def referent_rules_apply_api(request: HttpRequest):
    overseer_required(request.user)
    return referent_rules_apply(actor=request.user).__dict__


# --- Absences ---------------------------------------------------------------------------------


def _absence_out(absence: Absence) -> dict:
    return {
        "id": absence.pk,
        "agent_id": absence.agent_id,
        "kind": absence.kind,
        "starts_at": absence.starts_at,
        "ends_at": absence.ends_at,
        "note": absence.note,
    }


@absences_router.get("", response=list[schemas.AbsenceOut], url_name="absences")
def absences_list(request: HttpRequest, agent_id: int | None = None):
    """Absences not yet over: the caller's own; supervisors may ask for anyone's or all."""
    agent_required(request.user)
    qs = Absence.objects.order_by("starts_at", "id")
    if not request.user.sees_all_teams:
        qs = qs.filter(agent=request.user)
    elif agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    from django.utils import timezone

    return [_absence_out(a) for a in qs.filter(ends_at__gt=timezone.now())[:500]]


@absences_router.post("", response={201: schemas.AbsenceOut}, url_name="absence_create")
def absences_create(request: HttpRequest, payload: schemas.AbsenceIn):
    agent = _user(request, payload.agent_id, "agent_id") or request.user
    absence = absence_create(
        actor=request.user,
        agent=agent,
        kind=payload.kind,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        note=payload.note,
    )
    return Status(201, _absence_out(absence))


@absences_router.delete("/{absence_id}", response={204: None}, url_name="absence_delete")
def absences_delete(request: HttpRequest, absence_id: int):
    absence_delete(actor=request.user, absence_id=absence_id)
    return Status(204, None)


# --- Contact numbers -----------------------------------------------------------------------


def _number_out(number: ContactNumber) -> dict:
    return {
        "id": number.pk,
        "label": number.label,
        "number": number.number,
        "purpose": number.purpose,
        "tariff_class": number.tariff_class,
        "tariff_label": str(number.get_tariff_class_display()),
        "shown_to_customers": number.shown_to_customers,
    }


@numbers_router.get("", response=list[schemas.ContactNumberOut], url_name="contact_numbers")
def numbers_list(request: HttpRequest):
    """The numbers shown to customers, each with what a call costs (REQ-LEG-04)."""
    return [_number_out(n) for n in selectors.contact_numbers_shown()]


@numbers_router.post(
    "", response={201: schemas.ContactNumberSaved}, url_name="contact_number_create"
)
def numbers_create(request: HttpRequest, payload: schemas.ContactNumberIn):
    """Administrators. The answer carries `warnings`, e.g. a premium-rate number set for
    after-sales or complaints, which French law forbids (L121-16)."""
    number, warnings = contact_number_save(actor=request.user, **payload.dict())
    return Status(201, {"number": _number_out(number), "warnings": warnings})


@numbers_router.put(
    "/{number_id}", response=schemas.ContactNumberSaved, url_name="contact_number_update"
)
def numbers_update(request: HttpRequest, number_id: int, payload: schemas.ContactNumberIn):
    instance = get_object_or_404(ContactNumber, pk=number_id)
    number, warnings = contact_number_save(actor=request.user, instance=instance, **payload.dict())
    return {"number": _number_out(number), "warnings": warnings}


# --- The customer's advisor --------------------------------------------------------------------


@advisor_router.get("", response={200: schemas.AdvisorOut, 204: None}, url_name="my_advisor")
def my_advisor(request: HttpRequest):
    """A customer's own advisor: first name, working hours, photo URL; 204 without one."""
    card = selectors.customer_advisor(customer_for_user(user=request.user))
    if card is None:
        return Status(204, None)
    return {
        "first_name": card.first_name,
        "working_hours": card.working_hours,
        "photo_url": card.photo_url,
    }


# --- Customer effort --------------------------------------------------------------------------


@effort_router.get("", url_name="effort")
def effort(request: HttpRequest, query: Query[schemas.EffortQuery]):
    """Customer effort of a period (supervisors, as the barometer): contacts, channel switches
    and transfers per case, time from first contact to a named owner (docs/proximity.md)."""
    barometer_required(request.user)
    from guichet.surveys import selectors as barometer_selectors

    params = {k: ("" if v is None else str(v)) for k, v in query.dict().items()}
    _kind, period, filters = barometer_selectors.barometer_query_parse(
        {**params, "period": "custom"}, today=query.end
    )
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        **effort_figures(period=period, filters=filters),
    }
