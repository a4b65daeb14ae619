"""JSON API of the quality app: /api/v1/complaints (with causes and actions) and /api/v1/reviews."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from guichet.accounts.models import Team, User
from guichet.cases.access import case_get_for_user
from guichet.cases.models import Case
from guichet.core.errors import NotFound, ValidationFailed
from guichet.quality import exports, selectors, services
from guichet.quality.access import (
    MAX_ID,
    complaint_get_for_user,
    complaint_staff_get,
    quality_manager_required,
    review_get_for_user,
    review_queryset_for_user,
)
from guichet.quality.models import (
    Complaint,
    CorrectiveAction,
    MysteryTest,
    RootCause,
    Scorecard,
)
from guichet.quality.schemas import (
    ActionIn,
    ActionOut,
    ActionUpdateIn,
    AnswerIn,
    AssessIn,
    CalibrationOut,
    CauseCountOut,
    CloseIn,
    ComplaintDetailOut,
    ComplaintIn,
    ComplaintOut,
    CustomerStatusOut,
    DecisionIn,
    HandlerIn,
    IndicatorsOut,
    MediationIn,
    MessageIn,
    MysteryTestIn,
    MysteryTestOut,
    NoteIn,
    ReasonIn,
    RespondIn,
    ReviewIn,
    ReviewOut,
    RootCauseOut,
    ScorecardOut,
    ScoreRowOut,
)
from guichet.quality.services import Mark

complaints_router = Router()
reviews_router = Router()


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _cause(slug: str | None) -> RootCause | None:
    if not slug:
        return None
    cause = RootCause.objects.filter(slug=slug).first()
    if cause is None:
        raise _invalid("root_cause", f"Unknown root cause {slug!r}.")
    return cause


def _staff(user: User) -> None:
    if not user.is_agent:
        raise NotFound("Not found.")


def _detail(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_related("case", "handler", "root_cause")
        .prefetch_related("actions")
        .get(pk=complaint.pk)
    )


# ---- complaints ------------------------------------------------------------------------------


@complaints_router.post("", response={201: ComplaintOut}, summary="Make a case a complaint")
def open_complaint(request: HttpRequest, payload: ComplaintIn):
    user: User = request.auth
    case = case_get_for_user(user=user, reference=payload.case)
    complaint = services.complaint_open(
        actor=user,
        case=case,
        remedy_sought=payload.remedy_sought,
        description=payload.description,
        first_written_at=payload.first_written_at if user.is_agent else None,
        received_at=payload.received_at if user.is_agent else None,
        source=payload.source if user.is_agent else None,
    )
    return Status(201, _detail(complaint))


class RegisterQuery(Schema):
    status: str = ""
    received_from: date | None = None
    received_to: date | None = None
    category: str = ""
    root_cause: int | None = Field(None, ge=1, le=2**63 - 1)
    outcome: str = ""
    overdue: bool = False
    q: str = Field("", max_length=30)
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


def _filters(query: RegisterQuery) -> selectors.RegisterFilters:
    return selectors.RegisterFilters(
        status=query.status,
        received_from=query.received_from,
        received_to=query.received_to,
        category=query.category,
        root_cause=query.root_cause,
        outcome=query.outcome,
        overdue=query.overdue,
        q=query.q,
    )


@complaints_router.get("", response=list[ComplaintOut], summary="The complaint register")
def list_complaints(request: HttpRequest, query: Query[RegisterQuery]):
    _staff(request.auth)
    qs = selectors.complaint_register(user=request.auth, filters=_filters(query))
    return list(qs[query.offset : query.offset + query.limit])


@complaints_router.get("/export", summary="The register as CSV or XLSX (quality managers)")
def export_register(
    request: HttpRequest, query: Query[RegisterQuery], format: str = "csv"
) -> HttpResponse:
    quality_manager_required(request.auth)
    return register_response(
        selectors.complaint_register(user=request.auth, filters=_filters(query)), format
    )


def register_response(complaints, fmt: str) -> HttpResponse:
    headers, rows = selectors.register_headers(), selectors.register_table(complaints)
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        body = exports.register_xlsx(headers, rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body = exports.register_csv(headers, rows)
        content_type = "text/csv; charset=utf-8"
    else:
        raise _invalid("format", "Use csv or xlsx.")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="complaints-{stamp}.{fmt}"'
    return response


@complaints_router.get("/causes", response=list[RootCauseOut], summary="The root-cause tree")
def list_causes(request: HttpRequest):
    _staff(request.auth)
    return list(RootCause.objects.filter(is_active=True).select_related("parent"))


@complaints_router.get(
    "/causes/top", response=list[CauseCountOut], summary="Top causes and trend (managers)"
)
def top_causes(request: HttpRequest, start: date | None = None, end: date | None = None):
    quality_manager_required(request.auth)
    end = end or timezone.localdate()
    start = start or end - timedelta(days=29)
    if start > end:
        raise _invalid("start", "start must be before end.")
    return selectors.root_causes_top(start=start, end=end)


@complaints_router.get(
    "/indicators", response=IndicatorsOut, summary="Process indicators (REQ-CMP-20, managers)"
)
def indicators(request: HttpRequest, start: date | None = None, end: date | None = None):
    quality_manager_required(request.auth)
    end = end or timezone.localdate()
    start = start or end - timedelta(days=89)
    if start > end:
        raise _invalid("start", "start must be before end.")
    return selectors.complaint_indicators(start=start, end=end)


@complaints_router.get("/actions", response=list[ActionOut], summary="Corrective actions")
def list_actions(request: HttpRequest):
    quality_manager_required(request.auth)
    return list(
        CorrectiveAction.objects.select_related("owner", "root_cause").prefetch_related(
            "complaints"
        )
    )


def _complaints(user: User, references: list[str]) -> list[Complaint]:
    return [complaint_get_for_user(user=user, reference=r) for r in references]


def _owner(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    owner = User.objects.filter(pk=user_id).first()
    if owner is None:
        raise _invalid("owner", f"Unknown user {user_id}.")
    return owner


@complaints_router.post("/actions", response={201: ActionOut}, summary="Create an action")
def create_action(request: HttpRequest, payload: ActionIn):
    user: User = request.auth
    quality_manager_required(user)
    with transaction.atomic():
        action = services.action_create(
            actor=user,
            title=payload.title,
            owner=_owner(payload.owner),
            due_date=payload.due_date,
            description=payload.description,
            root_cause=_cause(payload.root_cause),
            complaints=_complaints(user, payload.complaints),
        )
    return Status(201, action)


@complaints_router.patch("/actions/{action_id}", response=ActionOut, summary="Update an action")
def update_action(request: HttpRequest, action_id: int, payload: ActionUpdateIn):
    user: User = request.auth
    quality_manager_required(user)
    action = CorrectiveAction.objects.filter(pk=action_id).first() if action_id <= MAX_ID else None
    if action is None:
        raise NotFound("Corrective action not found.")
    fields = payload.model_dump(exclude_unset=True)
    kwargs = {
        k: fields[k]
        for k in ("title", "due_date", "status", "effect_measured", "description")
        if k in fields
    }
    if "owner" in fields:
        kwargs["owner"] = _owner(fields["owner"])
    with transaction.atomic():
        if payload.complaints:
            services.action_link_complaints(
                actor=user, action=action, complaints=_complaints(user, payload.complaints)
            )
        return services.action_update(actor=user, action=action, **kwargs)


@complaints_router.get("/{reference}", response=ComplaintDetailOut, summary="A complaint")
def get_complaint(request: HttpRequest, reference: str):
    return _detail(complaint_staff_get(user=request.auth, reference=reference))


@complaints_router.get(
    "/{reference}/status",
    response=CustomerStatusOut,
    summary="The complaint's status in plain words (customers: their own only)",
)
def complaint_status(request: HttpRequest, reference: str):
    complaint = complaint_get_for_user(user=request.auth, reference=reference)
    return selectors.complaint_status_for_customer(complaint.case)


def _act(request: HttpRequest, reference: str, service, **kwargs):
    complaint = complaint_staff_get(user=request.auth, reference=reference)
    return _detail(service(actor=request.auth, complaint=complaint, **kwargs))


@complaints_router.post("/{reference}/acknowledge", response=ComplaintOut)
def acknowledge(request: HttpRequest, reference: str, payload: MessageIn):
    return _act(
        request,
        reference,
        services.complaint_acknowledge,
        message=payload.message,
        notify=payload.notify,
    )


@complaints_router.post("/{reference}/assess", response=ComplaintOut)
def assess(request: HttpRequest, reference: str, payload: AssessIn):
    return _act(request, reference, services.complaint_assess, **payload.model_dump())


@complaints_router.post("/{reference}/investigate", response=ComplaintOut)
def investigate(request: HttpRequest, reference: str, payload: NoteIn):
    return _act(request, reference, services.complaint_investigate, note=payload.note)


@complaints_router.post("/{reference}/notes", response={201: ComplaintOut})
def add_note(request: HttpRequest, reference: str, payload: NoteIn):
    complaint = complaint_staff_get(user=request.auth, reference=reference)
    services.complaint_note_add(actor=request.auth, complaint=complaint, note=payload.note)
    return Status(201, _detail(complaint))


@complaints_router.post("/{reference}/holding-reply", response=ComplaintOut)
def holding_reply(request: HttpRequest, reference: str, payload: MessageIn):
    return _act(request, reference, services.complaint_holding_reply, message=payload.message)


@complaints_router.post("/{reference}/respond", response=ComplaintOut)
def respond(request: HttpRequest, reference: str, payload: RespondIn):
    return _act(
        request,
        reference,
        services.complaint_respond,
        response=payload.response,
        remedy_offered=payload.remedy_offered,
        compensation_amount=payload.compensation_amount,
        root_cause=_cause(payload.root_cause),
    )


@complaints_router.post(
    "/{reference}/decision",
    response=CustomerStatusOut,
    summary="The customer's decision on the response (the customer itself, or an agent)",
)
def decide(request: HttpRequest, reference: str, payload: DecisionIn):
    complaint = complaint_get_for_user(user=request.auth, reference=reference)
    services.complaint_decide(
        actor=request.auth, complaint=complaint, decision=payload.decision, comment=payload.comment
    )
    return selectors.complaint_status_for_customer(complaint.case)


@complaints_router.post("/{reference}/close", response=ComplaintOut)
def close(request: HttpRequest, reference: str, payload: CloseIn):
    return _act(
        request,
        reference,
        services.complaint_close,
        reason=payload.reason,
        root_cause=_cause(payload.root_cause),
        note=payload.note,
        notify=payload.notify,
    )


@complaints_router.post(
    "/{reference}/handler", response=ComplaintOut, summary="Name the handler (REQ-CMP-15)"
)
def set_handler(request: HttpRequest, reference: str, payload: HandlerIn):
    handler = None
    if payload.handler is not None:
        handler = User.objects.filter(pk=payload.handler).first()
        if handler is None:
            raise _invalid("handler", f"Unknown user {payload.handler}.")
    return _act(
        request, reference, services.complaint_handler_set, handler=handler, reason=payload.reason
    )


@complaints_router.post(
    "/{reference}/mediation", response=ComplaintOut, summary="Follow the referral to the mediator"
)
def mediation(request: HttpRequest, reference: str, payload: MediationIn):
    return _act(
        request,
        reference,
        services.complaint_mediation_record,
        status=payload.status,
        note=payload.note,
    )


@complaints_router.post(
    "/{reference}/reopen",
    response=CustomerStatusOut,
    summary="Contest a closed complaint (the customer itself, or an agent)",
)
def reopen(request: HttpRequest, reference: str, payload: ReasonIn):
    complaint = complaint_get_for_user(user=request.auth, reference=reference)
    services.complaint_reopen(actor=request.auth, complaint=complaint, reason=payload.reason)
    return selectors.complaint_status_for_customer(complaint.case)


# ---- reviews ---------------------------------------------------------------------------------


def _review_qs(user: User):
    return (
        review_queryset_for_user(user=user)
        .select_related("case", "agent", "reviewer", "scorecard")
        .prefetch_related("scores__criterion")
    )


@reviews_router.get("", response=list[ReviewOut], summary="Reviews (agents: their own)")
def list_reviews(
    request: HttpRequest,
    agent: int | None = None,
    case: str | None = None,
    limit: int = Query(100, ge=1, le=500),
):
    _staff(request.auth)
    qs = _review_qs(request.auth)
    if agent:
        qs = qs.filter(agent_id=agent)
    if case:
        qs = qs.filter(case__reference=case.strip().upper())
    return list(qs.order_by("-created_at", "-pk")[:limit])


@reviews_router.get("/scorecards", response=list[ScorecardOut], summary="Active scorecards")
def list_scorecards(request: HttpRequest):
    _staff(request.auth)
    return list(Scorecard.objects.filter(is_active=True).prefetch_related("criteria"))


@reviews_router.get("/calibration", response=list[CalibrationOut], summary="Calibration spread")
def calibration(request: HttpRequest, case: str | None = None):
    quality_manager_required(request.auth)
    target = case_get_for_user(user=request.auth, reference=case) if case else None
    return [
        {
            "case": c.case.reference,
            "agent": c.agent,
            "scorecard": c.scorecard_name,
            "reviewers": [r.reviewer for r in c.reviews],
            "scores": [r.score_percent for r in c.reviews],
            "mean": c.mean,
            "spread": c.spread,
        }
        for c in selectors.calibrations(user=request.auth, case=target)
    ]


@reviews_router.get("/scores", response=list[ScoreRowOut], summary="Quality scores over time")
def scores(
    request: HttpRequest,
    group: str = "agent",
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
):
    _staff(request.auth)
    if group not in ("agent", "team") or period not in ("week", "month"):
        raise _invalid("group", "group is agent or team; period is week or month.")
    if group == "team":
        quality_manager_required(request.auth)
    rows = selectors.quality_scores(
        user=request.auth, group=group, period=period, start=start, end=end
    )
    return [
        {
            "period": r.period,
            "id": r.key,
            "name": r.name,
            "reviews": r.n,
            "mean_percent": r.mean_percent,
            "mean_20": r.mean_20,
            "csat": r.csat if isinstance(r.csat, dict) else None,
        }
        for r in rows
    ]


@reviews_router.get(
    "/mystery-tests", response=list[MysteryTestOut], summary="Mystery-shopper tests (managers)"
)
def list_mystery_tests(request: HttpRequest, limit: int = Query(100, ge=1, le=500)):
    quality_manager_required(request.auth)
    return list(MysteryTest.objects.select_related("scorecard")[:limit])


@reviews_router.post(
    "/mystery-tests", response={201: MysteryTestOut}, summary="Record a mystery-shopper test"
)
def create_mystery_test(request: HttpRequest, payload: MysteryTestIn):
    user: User = request.auth
    quality_manager_required(user)
    scorecard = Scorecard.objects.filter(pk=payload.scorecard).first()
    if scorecard is None:
        raise _invalid("scorecard", "Unknown scorecard.")
    team = Team.objects.filter(pk=payload.team).first() if payload.team else None
    if payload.team and team is None:
        raise _invalid("team", "Unknown team.")
    test = services.mystery_test_record(
        actor=user,
        tester=payload.tester,
        scenario=payload.scenario,
        channel=payload.channel,
        scorecard=scorecard,
        team=team,
        marks=[Mark(m.criterion, m.value, m.comment) for m in payload.marks],
        started_at=payload.started_at,
        answered_at=payload.answered_at,
        ended_at=payload.ended_at,
        notes=payload.notes,
    )
    return Status(201, test)


@reviews_router.post("", response={201: ReviewOut}, summary="Review an agent's work on a case")
def create_review(request: HttpRequest, payload: ReviewIn):
    user: User = request.auth
    quality_manager_required(user)
    case: Case = case_get_for_user(user=user, reference=payload.case)
    agent = User.objects.filter(pk=payload.agent).first()
    scorecard = Scorecard.objects.filter(pk=payload.scorecard).first()
    if agent is None:
        raise _invalid("agent", "Unknown agent.")
    if scorecard is None:
        raise _invalid("scorecard", "Unknown scorecard.")
    review = services.review_create(
        reviewer=user,
        case=case,
        agent=agent,
        scorecard=scorecard,
        marks=[Mark(m.criterion, m.value, m.comment) for m in payload.marks],
        comment=payload.comment,
    )
    return Status(201, _review_qs(user).get(pk=review.pk))


@reviews_router.get("/{review_id}", response=ReviewOut, summary="A review")
def get_review(request: HttpRequest, review_id: int):
    review = review_get_for_user(user=request.auth, review_id=review_id)
    return _review_qs(request.auth).get(pk=review.pk)


@reviews_router.post("/{review_id}/acknowledge", response=ReviewOut)
def acknowledge_review(request: HttpRequest, review_id: int, payload: AnswerIn):
    review = review_get_for_user(user=request.auth, review_id=review_id)
    services.review_acknowledge(actor=request.auth, review=review, comment=payload.comment)
    return _review_qs(request.auth).get(pk=review.pk)


@reviews_router.post("/{review_id}/dispute", response=ReviewOut)
def dispute_review(request: HttpRequest, review_id: int, payload: AnswerIn):
    review = review_get_for_user(user=request.auth, review_id=review_id)
    services.review_dispute(actor=request.auth, review=review, comment=payload.comment)
    return _review_qs(request.auth).get(pk=review.pk)
