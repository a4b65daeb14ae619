from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from guichet.cases.schemas import PersonRef, RowId

LevelIn = Literal["low", "medium", "high", "critical"]


class ComplaintIn(Schema):
    case: str = Field(..., max_length=20, description="Case reference, e.g. G-000123")
    remedy_sought: str = Field(..., max_length=20_000)
    description: str = Field("", max_length=20_000)
    first_written_at: datetime | None = None
    received_at: datetime | None = None
    source: Literal["agent", "customer", "suggested"] | None = None


class RootCauseOut(Schema):
    id: int
    slug: str
    name: str
    parent: str | None

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.slug if obj.parent_id else None


class StepOut(Schema):
    kind: str
    from_status: str
    to_status: str
    actor: PersonRef | None
    note: str
    data: dict
    created_at: datetime


class ComplaintOut(Schema):
    reference: str
    case: str
    status: str
    source: str
    channel: str
    handler: PersonRef | None
    remedy_sought: str
    description: str
    received_at: datetime
    first_written_at: datetime | None
    acknowledge_due_at: datetime | None
    assess_due_at: datetime | None
    answer_due_at: datetime | None
    severity: str
    impact: str
    urgency: str
    complexity: str
    safety_issue: bool
    immediate_action: bool
    response_text: str
    remedy_offered: str
    compensation_amount: Decimal | None
    decision: str
    closure_reason: str
    root_cause: str | None
    reopen_count: int
    acknowledged_at: datetime | None
    assessed_at: datetime | None
    responded_at: datetime | None
    decided_at: datetime | None
    closed_at: datetime | None
    mediation_informed_at: datetime | None
    mediation_status: str
    mediation_referred_at: datetime | None
    actions: list[int]

    @staticmethod
    def resolve_case(obj) -> str:
        return obj.case.reference

    @staticmethod
    def resolve_root_cause(obj) -> str | None:
        return obj.root_cause.slug if obj.root_cause_id else None

    @staticmethod
    def resolve_actions(obj) -> list[int]:
        return [a.pk for a in obj.actions.all()]


class ComplaintDetailOut(ComplaintOut):
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj) -> list:
        return list(obj.steps.select_related("actor").order_by("created_at", "pk"))


class MediatorOut(Schema):
    name: str
    address: str
    website: str
    email: str


class PublicStepOut(Schema):
    kind: str
    label: str
    at: datetime


class CustomerStatusOut(Schema):
    reference: str
    status: str
    status_label: str
    status_text: str
    next_step: str
    received_at: datetime
    answer_due_at: datetime | None
    can_decide: bool
    can_contest: bool
    steps: list[PublicStepOut]
    mediator: MediatorOut | None
    mediation_until: datetime | None


class MessageIn(Schema):
    message: str = Field("", max_length=20_000)
    notify: bool = True


class NoteIn(Schema):
    note: str = Field("", max_length=20_000)


class AssessIn(Schema):
    severity: LevelIn
    impact: LevelIn
    urgency: LevelIn
    complexity: LevelIn | Literal[""] = ""
    safety_issue: bool = False
    immediate_action: bool = False
    note: str = Field("", max_length=20_000)


class RespondIn(Schema):
    response: str = Field(..., max_length=20_000)
    remedy_offered: str = Field("", max_length=20_000)
    compensation_amount: Decimal | None = Field(None, ge=0, lt=100_000_000)
    root_cause: str | None = Field(None, description="Root-cause slug")


class DecisionIn(Schema):
    decision: Literal["accepted", "refused"]
    comment: str = Field("", max_length=20_000)


class CloseIn(Schema):
    reason: Literal["accepted", "final_decision", "withdrawn"]
    root_cause: str | None = Field(None, description="Root-cause slug")
    note: str = Field("", max_length=20_000)
    notify: bool = True


class ReasonIn(Schema):
    reason: str = Field(..., max_length=20_000)


class CauseCountOut(Schema):
    cause: RootCauseOut
    count: int
    previous: int
    trend: int


class ActionIn(Schema):
    title: str = Field(..., max_length=250)
    owner: RowId
    due_date: date
    description: str = Field("", max_length=20_000)
    root_cause: str | None = None
    complaints: list[str] = Field(default_factory=list, max_length=500)


class ActionUpdateIn(Schema):
    title: str | None = Field(None, max_length=250)
    owner: RowId | None = None
    due_date: date | None = None
    status: Literal["planned", "in_progress", "done", "cancelled"] | None = None
    effect_measured: str | None = Field(None, max_length=20_000)
    description: str | None = Field(None, max_length=20_000)
    complaints: list[str] = Field(
        default_factory=list, max_length=500, description="Complaint references to link (added)"
    )


class ActionOut(Schema):
    id: int
    title: str
    description: str
    owner: PersonRef
    due_date: date
    status: str
    effect_measured: str
    root_cause: str | None
    complaints: list[str]
    created_at: datetime
    completed_at: datetime | None

    @staticmethod
    def resolve_root_cause(obj) -> str | None:
        return obj.root_cause.slug if obj.root_cause_id else None

    @staticmethod
    def resolve_complaints(obj) -> list[str]:
        return [c.reference for c in obj.complaints.all()]


# ---- reviews ---------------------------------------------------------------------------------


class CriterionOut(Schema):
    id: int
    name: str
    guidance: str
    weight: int
    scale_max: int


class ScorecardOut(Schema):
    id: int
    name: str
    team: int | None = Field(None, alias="team_id")
    channel: str
    description: str
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj) -> list:
        return list(obj.criteria.all())


class MarkIn(Schema):
    criterion: RowId
    value: int | None = Field(None, ge=0, le=100)
    comment: str = Field("", max_length=5_000)


class ReviewIn(Schema):
    case: str = Field(..., max_length=20)
    agent: RowId
    scorecard: RowId
    marks: list[MarkIn] = Field(..., max_length=100)
    comment: str = Field("", max_length=20_000)


class MarkOut(Schema):
    criterion: int = Field(..., alias="criterion_id")
    name: str
    value: int | None
    scale_max: int
    comment: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.criterion.name

    @staticmethod
    def resolve_scale_max(obj) -> int:
        return obj.criterion.scale_max


class ReviewOut(Schema):
    id: int
    case: str
    agent: PersonRef
    reviewer: PersonRef
    scorecard: str
    score_percent: Decimal
    score_20: Decimal
    status: str
    comment: str
    agent_comment: str
    created_at: datetime
    answered_at: datetime | None
    marks: list[MarkOut]

    @staticmethod
    def resolve_case(obj) -> str:
        return obj.case.reference

    @staticmethod
    def resolve_scorecard(obj) -> str:
        return obj.scorecard.name

    @staticmethod
    def resolve_marks(obj) -> list:
        return list(obj.scores.all())


class AnswerIn(Schema):
    comment: str = Field("", max_length=20_000)


class CalibrationOut(Schema):
    case: str
    agent: PersonRef
    scorecard: str
    reviewers: list[PersonRef]
    scores: list[Decimal]
    mean: Decimal
    spread: Decimal | None


class ScoreRowOut(Schema):
    period: date
    id: int
    name: str
    reviews: int
    mean_percent: Decimal
    mean_20: Decimal
    csat: dict | None = None


class MediationIn(Schema):
    status: Literal["referred", "rejected", "proposal", "accepted", "refused"]
    note: str = Field("", max_length=20_000)


class MysteryTestIn(Schema):
    tester: str = Field(..., max_length=150)
    scenario: str = Field(..., max_length=20_000)
    channel: Literal["email", "portal", "phone", "api", "chat"]
    scorecard: RowId
    team: RowId | None = None
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    marks: list[MarkIn] = Field(..., max_length=100)
    notes: str = Field("", max_length=20_000)


class MysteryTestOut(Schema):
    id: int
    tester: str
    scenario: str
    channel: str
    team: int | None = Field(None, alias="team_id")
    scorecard: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    marks: dict
    score_percent: Decimal
    score_20: Decimal
    notes: str

    @staticmethod
    def resolve_scorecard(obj) -> str:
        return obj.scorecard.name


class HandlerIn(Schema):
    handler: RowId | None = None
    reason: str = Field("", max_length=2_000)


class IndicatorsOut(Schema):
    received: int
    acknowledged: int
    acknowledged_on_time: int
    acknowledged_on_time_pct: float | None
    answered: int
    answered_on_time: int
    answered_on_time_pct: float | None
    median_days_to_acknowledge: float | None
    median_days_to_respond: float | None
    median_days_to_close: float | None
    reopened: int
    reopen_rate_pct: float | None
    mediation: int
