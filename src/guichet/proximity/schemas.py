from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class CallbackIn(Schema):
    customer_id: int | None = Field(None, description="Agents: the customer; customers: omit.")
    case: str | None = Field(None, description="A case reference, e.g. G-000123.")
    phone: str = Field("", max_length=40)
    slot_start: datetime
    topic: str = Field("", max_length=250)
    owner_id: int | None = Field(None, description="Agents only: who calls.")


class CallbackOut(Schema):
    id: int
    customer_id: int
    case: str | None
    owner_first_name: str
    phone: str
    topic: str
    source: str
    status: str
    slot_start: datetime
    slot_end: datetime
    due_at: datetime
    attempts: int
    first_attempt_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    finished_at: datetime | None
    target_met: bool | None


class AttemptIn(Schema):
    outcome: str
    note: str = Field("", max_length=10_000)
    duration_seconds: int | None = Field(None, ge=0, le=86_400)


class AttemptOut(Schema):
    id: int
    outcome: str
    at: datetime
    contact_id: int | None
    callback: CallbackOut


class SlotOut(Schema):
    start: datetime
    end: datetime


class CallIn(Schema):
    case: str | None = None
    customer_id: int | None = None
    direction: str = "inbound"
    subject: str = Field("", max_length=250)
    notes: str = Field("", max_length=200_000)
    duration_seconds: int | None = Field(None, ge=0, le=86_400)
    outcome: str = "reached"
    resolve: bool = False


class CallOut(Schema):
    contact_id: int
    kind: str
    case: str


class ReferentIn(Schema):
    referent_id: int
    deputy_id: int | None = None
    team_id: int | None = None


class ReferentOut(Schema):
    assignment_id: int | None
    referent_id: int | None
    referent_name: str
    deputy_id: int | None
    deputy_name: str
    scope: str
    rule: str | None
    assigned_at: datetime | None


class ReassignIn(Schema):
    leaving_id: int
    to_id: int | None = None
    message: str = Field("", max_length=2000)
    move_cases: bool = True


class ReassignOut(Schema):
    referents_changed: int
    deputies_changed: int
    customers_told: int
    cases_moved: int
    unassigned: list[int]


class RulesOut(Schema):
    assigned: int
    ended: int


class AbsenceIn(Schema):
    agent_id: int | None = None
    kind: str = "holiday"
    starts_at: datetime
    ends_at: datetime
    note: str = Field("", max_length=200)


class AbsenceOut(Schema):
    id: int
    agent_id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    note: str


class ContactNumberIn(Schema):
    label: str = Field(..., max_length=100)
    number: str = Field(..., max_length=40)
    purpose: str
    tariff_class: str
    shown_to_customers: bool = True
    order: int = Field(100, ge=0, le=10_000)


class ContactNumberOut(Schema):
    id: int
    label: str
    number: str
    purpose: str
    tariff_class: str
    tariff_label: str
    shown_to_customers: bool


class ContactNumberSaved(Schema):
    number: ContactNumberOut
    warnings: list[str]


class AdvisorOut(Schema):
    first_name: str
    working_hours: str
    photo_url: str


class EffortQuery(Schema):
    start: date
    end: date
    channel: str | None = None
    team: int | None = None
    agent: int | None = None
    category: int | None = None
    segment: str | None = None
