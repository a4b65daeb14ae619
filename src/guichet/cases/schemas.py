from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from guichet.customers.schemas import CustomerRef

# Database ids are positive 64-bit integers; anything else is bad input, not a database error.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class PersonRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.display_name


class TeamRef(Schema):
    id: int
    name: str


class CustomerIdentity(Schema):
    email: str = Field(..., max_length=254)
    name: str = Field("", max_length=200)


class CaseIn(Schema):
    subject: str = Field(..., max_length=250)
    body: str = Field("", max_length=200_000)
    body_html: str = Field("", max_length=400_000)
    channel: Literal["email", "portal", "phone", "api", "chat"] = "api"
    customer: CustomerIdentity | None = None
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    category: str | None = Field(None, description="Category slug")
    team: RowId | None = None
    owner: RowId | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)


class CaseClockRef(Schema):
    """The case's nearest running service target, kept by guichet.sla (details at
    /api/v1/sla/cases/{reference})."""

    next_target: str
    next_due_at: datetime | None
    paused_since: datetime | None


class CaseOut(Schema):
    reference: str
    subject: str
    status: str
    priority: str
    channel: str
    category: str | None
    tags: list[str]
    customer: CustomerRef
    owner: PersonRef | None
    team: TeamRef | None
    merged_into: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: CaseClockRef | None = None

    @staticmethod
    def resolve_category(obj) -> str | None:
        return obj.category.slug if obj.category_id else None

    @staticmethod
    def resolve_sla(obj) -> dict | None:
        # The reverse one-to-one "sla_clock" belongs to guichet.sla; read by name, not imported.
        clock = getattr(obj, "sla_clock", None)
        if clock is None:
            return None
        return {
            "next_target": clock.next_kind,
            "next_due_at": clock.next_due_at,
            "paused_since": clock.paused_since,
        }

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_merged_into(obj) -> str | None:
        return obj.merged_into.reference if obj.merged_into_id else None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class ContactOut(Schema):
    id: int
    kind: str
    channel: str
    direction: str
    author: str | None
    author_type: Literal["agent", "customer", "system"]
    created_at: datetime
    body_text: str
    body_html: str
    duration_seconds: int | None
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author(obj) -> str | None:
        if obj.kind == "customer_message" and obj.author_customer_id:
            return obj.author_customer.name
        return obj.author_user.display_name if obj.author_user_id else None

    @staticmethod
    def resolve_author_type(obj) -> str:
        if obj.kind == "customer_message":
            return "customer"
        return "agent" if obj.author_user_id else "system"


class CaseDetailOut(CaseOut):
    contacts: list[ContactOut]

    @staticmethod
    def resolve_contacts(obj) -> list:
        # The selector has already filtered what this reader may see (no notes for customers).
        return obj.visible_contacts


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class ContactIn(Schema):
    kind: Literal["customer_message", "reply", "note", "call"] = "customer_message"
    body: str = Field("", max_length=200_000)
    body_html: str = Field("", max_length=400_000)
    channel: Literal["email", "portal", "phone", "api", "chat"] | None = None
    direction: Literal["inbound", "outbound"] | None = None
    duration_seconds: int | None = Field(None, ge=0, le=86_400)


class StatusIn(Schema):
    status: Literal["new", "open", "waiting_customer", "resolved", "closed"]
    reason: str = Field("", max_length=500)


class AssignIn(Schema):
    owner: RowId | Literal["me"] | None = None
    team: RowId | None = None
    reason: str = Field("", max_length=500)


class CaseUpdateIn(Schema):
    subject: str | None = Field(None, max_length=250)
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    category: str | None = Field(None, description="Category slug; empty string clears it")
    tags: list[str] | None = Field(None, max_length=20)


class MergeIn(Schema):
    into: str = Field(..., max_length=20, description="Reference of the case that carries on")


class EventOut(Schema):
    kind: str
    actor: str | None
    data: dict
    created_at: datetime

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.display_name if obj.actor_id else None
