from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from guichet.accounts.models import Team, User
from guichet.cases import selectors, services
from guichet.cases.access import agent_required, case_get_for_user
from guichet.cases.models import Category
from guichet.cases.schemas import (
    AssignIn,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseUpdateIn,
    ContactIn,
    ContactOut,
    EventOut,
    MergeIn,
    RowId,
    StatusIn,
)
from guichet.core.errors import PermissionDenied, ValidationFailed
from guichet.customers.models import Customer
from guichet.customers.services import customer_create, customer_get_or_create_by_email

router = Router()


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _category(slug: str | None) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise _invalid("category", f"Unknown category {slug!r}.")
    return category


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise _invalid("team", f"Unknown team {team_id}.")
    return team


def _agent(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    agent = User.objects.filter(pk=user_id, is_active=True).first()
    if agent is None or not agent.is_agent:
        raise _invalid("owner", f"No active agent with id {user_id}.")
    return agent


def _customer_for_request(user: User, identity) -> Customer:
    if user.is_agent:
        if identity is None:
            raise _invalid("customer", "Say which customer (email and name) the case is for.")
        try:
            customer, _created = customer_get_or_create_by_email(
                email=identity.email, name=identity.name
            )
        except ValidationFailed as exc:
            # The customer service names its own fields; the client sent them under "customer".
            details = [
                {**d, "field": f"customer.{d.get('field', '')}".rstrip(".")}
                for d in (exc.details if isinstance(exc.details, list) else [])
            ]
            raise ValidationFailed(exc.message, code=exc.code, details=details) from exc
        return customer
    own = Customer.objects.filter(user=user).first()
    if identity is not None and identity.email.strip().lower() not in (
        user.email.lower(),
        (own.email.lower() if own else ""),
    ):
        raise PermissionDenied("A customer can only open cases for itself.")
    if own is None:
        own = customer_create(
            name=user.display_name, email=user.email, language=user.language, user=user
        )
    return own


@router.post("", response={201: CaseOut}, summary="Open a case")
def open_case(request: HttpRequest, payload: CaseIn):
    user: User = request.auth
    with transaction.atomic():
        customer = _customer_for_request(user, payload.customer)
        case = services.case_open(
            actor=user,
            customer=customer,
            subject=payload.subject,
            body_text=payload.body,
            body_html=payload.body_html,
            channel=payload.channel,
            priority=payload.priority if user.is_agent else "normal",
            category=_category(payload.category),
            team=_team(payload.team) if user.is_agent else None,
            owner=_agent(payload.owner) if user.is_agent else None,
            tags=payload.tags if user.is_agent else None,
        )
    return Status(201, case)


class CaseQuery(Schema):
    status: list[str] = Field(default_factory=list, description="Repeat or comma-separate")
    owner: str | None = Field(None, description="me, none, or an agent id")
    team: RowId | None = None
    customer: RowId | None = None
    priority: str | None = None
    updated_since: datetime | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("", response=CasePage, summary="List cases you may see, most recently updated first")
def list_cases(request: HttpRequest, query: Query[CaseQuery]):
    statuses = [s for item in query.status for s in item.split(",") if s]
    items, next_cursor = selectors.case_list(
        user=request.auth,
        filters=selectors.CaseFilters(
            status=statuses or None,
            owner=query.owner,
            team=query.team,
            customer=query.customer,
            priority=query.priority,
            updated_since=query.updated_since,
        ),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{reference}", response=CaseDetailOut, summary="A case with its conversation")
def get_case(request: HttpRequest, reference: str):
    case, contacts = selectors.case_detail(user=request.auth, reference=reference)
    case.visible_contacts = contacts
    return case


@router.patch("/{reference}", response=CaseOut, summary="Change subject, priority, category, tags")
def update_case(request: HttpRequest, reference: str, payload: CaseUpdateIn):
    case = case_get_for_user(user=request.auth, reference=reference)
    fields = payload.model_dump(exclude_unset=True)
    kwargs = {k: fields[k] for k in ("subject", "priority", "tags") if k in fields}
    if "category" in fields:
        kwargs["category"] = _category(fields["category"])
    return services.case_update(actor=request.auth, case=case, **kwargs)


@router.post(
    "/{reference}/contacts",
    response={201: ContactOut},
    summary="Add a customer message, public reply, internal note or phone call",
)
def add_contact(request: HttpRequest, reference: str, payload: ContactIn):
    case = case_get_for_user(user=request.auth, reference=reference)
    contact = services.contact_add(
        actor=request.auth,
        case=case,
        kind=payload.kind,
        body_text=payload.body,
        body_html=payload.body_html,
        channel=payload.channel or ("api" if request.auth.is_agent else "portal"),
        direction=payload.direction if payload.kind == "call" else None,
        duration_seconds=payload.duration_seconds,
    )
    return Status(201, contact)


@router.post("/{reference}/status", response=CaseOut, summary="Change the status")
def change_status(request: HttpRequest, reference: str, payload: StatusIn):
    case = case_get_for_user(user=request.auth, reference=reference)
    return services.case_change_status(
        actor=request.auth, case=case, status=payload.status, reason=payload.reason
    )


@router.post("/{reference}/assign", response=CaseOut, summary="Assign or transfer")
def assign(request: HttpRequest, reference: str, payload: AssignIn):
    user: User = request.auth
    agent_required(user)
    case = case_get_for_user(user=user, reference=reference)
    owner = user if payload.owner == "me" else _agent(payload.owner)
    return services.case_assign(
        actor=user, case=case, owner=owner, team=_team(payload.team), reason=payload.reason
    )


@router.post("/{reference}/merge", response=CaseOut, summary="Merge this duplicate into another")
def merge(request: HttpRequest, reference: str, payload: MergeIn):
    user: User = request.auth
    agent_required(user)
    source = case_get_for_user(user=user, reference=reference)
    target = case_get_for_user(user=user, reference=payload.into)
    return services.case_merge(actor=user, source=source, target=target)


@router.get("/{reference}/events", response=list[EventOut], summary="The case timeline (agents)")
def events(request: HttpRequest, reference: str):
    agent_required(request.auth)
    return list(selectors.case_events(user=request.auth, reference=reference))
