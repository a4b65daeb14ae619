"""Complaint reads: the register, causes and trends, what the customer sees."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.accounts.models import User
from guichet.cases.models import Case
from guichet.quality.access import complaint_queryset_for_user
from guichet.quality.choices import (
    OPEN_COMPLAINT_STATUSES,
    ClosureReason,
    ComplaintStatus,
    MediationStatus,
    StepKind,
)
from guichet.quality.delays import duration_days, mediation_deadline, mediation_due, targets_for
from guichet.quality.models import Complaint, CorrectiveAction, RootCause
from guichet.quality.services.policy import mediator_active, policy_get

S = ComplaintStatus


# ---- the register -------------------------------------------------------------------------


@dataclass
class RegisterFilters:
    status: str = ""
    received_from: date | None = None
    received_to: date | None = None
    category: str = ""  # case category slug
    root_cause: int | None = None  # a cause or any of its children
    outcome: str = ""  # closure reason, or "open"
    overdue: bool = False
    q: str = ""


def complaint_register(
    *, user: User, filters: RegisterFilters | None = None
) -> QuerySet[Complaint]:
    f = filters or RegisterFilters()
    qs = (
        complaint_queryset_for_user(user=user)
        .select_related(
            "case",
            "case__customer",
            "case__category",
            "handler",
            "root_cause",
            "root_cause__parent",
        )
        .prefetch_related(Prefetch("actions", queryset=CorrectiveAction.objects.order_by("pk")))
    )
    if f.status:
        qs = qs.filter(status=f.status)
    tz = timezone.get_current_timezone()
    if f.received_from:
        qs = qs.filter(
            received_at__gte=datetime.combine(f.received_from, datetime.min.time(), tzinfo=tz)
        )
    if f.received_to:
        end = datetime.combine(f.received_to + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        qs = qs.filter(received_at__lt=end)
    if f.category:
        qs = qs.filter(case__category__slug=f.category)
    if f.root_cause:
        qs = qs.filter(Q(root_cause_id=f.root_cause) | Q(root_cause__parent_id=f.root_cause))
    if f.outcome == "open":
        qs = qs.exclude(status=S.CLOSED)
    elif f.outcome:
        qs = qs.filter(closure_reason=f.outcome)
    if f.overdue:
        now = timezone.now()
        qs = qs.filter(
            Q(status=S.RECEIVED, acknowledge_due_at__lt=now)
            | Q(
                status__in=OPEN_COMPLAINT_STATUSES, answer_due_at__lt=now, responded_at__isnull=True
            )
        )
    if f.q:
        ref = f.q.strip().upper()
        qs = qs.filter(Q(reference=ref) | Q(case__reference=ref))
    return qs.order_by("-received_at", "-pk")


REGISTER_COLUMNS: list[tuple[str, object]] = [
    ("reference", gettext_lazy("Complaint")),
    ("case", gettext_lazy("Case")),
    ("customer", gettext_lazy("Customer")),
    ("channel", gettext_lazy("Channel")),
    ("category", gettext_lazy("Category")),
    ("status", gettext_lazy("Status")),
    ("received_at", gettext_lazy("Received")),
    ("first_written_at", gettext_lazy("First written complaint")),
    ("acknowledged_at", gettext_lazy("Acknowledged")),
    ("assessed_at", gettext_lazy("Assessed")),
    ("responded_at", gettext_lazy("Response proposed")),
    ("decided_at", gettext_lazy("Customer decided")),
    ("closed_at", gettext_lazy("Closed")),
    ("answer_due_at", gettext_lazy("Answer due")),
    ("days_to_acknowledge", gettext_lazy("Days to acknowledge")),
    ("days_to_assess", gettext_lazy("Days to assess")),
    ("days_investigating", gettext_lazy("Days investigating")),
    ("days_to_respond", gettext_lazy("Days to respond")),
    ("days_to_decision", gettext_lazy("Days to customer decision")),
    ("days_total", gettext_lazy("Days received to closed")),
    ("severity", gettext_lazy("Severity")),
    ("safety_issue", gettext_lazy("Safety issue")),
    ("remedy_sought", gettext_lazy("Remedy sought")),
    ("remedy_offered", gettext_lazy("Remedy offered")),
    ("compensation", gettext_lazy("Compensation (EUR)")),
    ("decision", gettext_lazy("Customer decision")),
    ("outcome", gettext_lazy("Outcome")),
    ("root_cause", gettext_lazy("Root cause")),
    ("actions", gettext_lazy("Corrective actions")),
    ("reopen_count", gettext_lazy("Times reopened")),
    ("mediation", gettext_lazy("Mediation")),
    ("mediation_referred_at", gettext_lazy("Referred to the mediator")),
    ("handler", gettext_lazy("Handler")),
]


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def register_row(c: Complaint) -> dict[str, object]:
    """One complaint as the register (page and exports) shows it: dates and time per step."""
    return {
        "reference": c.reference,
        "case": c.case.reference,
        "customer": c.case.customer.name,
        "channel": c.get_channel_display(),
        "category": c.case.category.name if c.case.category_id else "",
        "status": c.get_status_display(),
        "received_at": _local(c.received_at),
        "first_written_at": _local(c.first_written_at),
        "acknowledged_at": _local(c.acknowledged_at),
        "assessed_at": _local(c.assessed_at),
        "responded_at": _local(c.responded_at),
        "decided_at": _local(c.decided_at),
        "closed_at": _local(c.closed_at),
        "answer_due_at": _local(c.answer_due_at),
        "days_to_acknowledge": duration_days(c.received_at, c.acknowledged_at),
        "days_to_assess": duration_days(c.acknowledged_at, c.assessed_at),
        "days_investigating": duration_days(c.investigation_started_at, c.responded_at),
        "days_to_respond": duration_days(c.received_at, c.responded_at),
        "days_to_decision": duration_days(c.responded_at, c.decided_at),
        "days_total": duration_days(c.received_at, c.closed_at),
        "severity": c.get_severity_display() if c.severity else "",
        "safety_issue": _("yes") if c.safety_issue else _("no"),
        "remedy_sought": c.remedy_sought,
        "remedy_offered": c.remedy_offered,
        "compensation": c.compensation_amount,
        "decision": c.get_decision_display() if c.decision else "",
        "outcome": c.get_closure_reason_display() if c.closure_reason else "",
        "root_cause": str(c.root_cause) if c.root_cause_id else "",
        "actions": "; ".join(f"#{a.pk} {a.title}" for a in c.actions.all()),
        "reopen_count": c.reopen_count,
        "mediation": c.get_mediation_status_display() if c.mediation_status else "",
        "mediation_referred_at": _local(c.mediation_referred_at),
        "handler": c.handler.display_name if c.handler_id else "",
    }


def register_headers() -> list[str]:
    return [str(label) for _key, label in REGISTER_COLUMNS]


def register_table(complaints) -> list[list[object]]:
    keys = [key for key, _label in REGISTER_COLUMNS]
    return [[row[k] for k in keys] for row in map(register_row, complaints)]


# ---- causes and trends ----------------------------------------------------------------------


@dataclass
class CauseCount:
    cause: RootCause
    count: int
    previous: int

    @property
    def trend(self) -> int:
        return self.count - self.previous


def root_causes_top(
    *, start: date, end: date, limit: int = 10, top_level: bool = True
) -> list[CauseCount]:
    """Closed complaints per root cause in [start, end], against the period of the same length
    just before (the trend). With `top_level`, children count for their parent."""
    tz = timezone.get_current_timezone()
    length = end - start + timedelta(days=1)

    def counts(a: date, b: date) -> dict[int, int]:
        lo = datetime.combine(a, datetime.min.time(), tzinfo=tz)
        hi = datetime.combine(b + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        rows = (
            Complaint.objects.filter(closed_at__gte=lo, closed_at__lt=hi, root_cause__isnull=False)
            .values("root_cause_id", "root_cause__parent_id")
            .annotate(n=Count("pk"))
        )
        result: dict[int, int] = defaultdict(int)
        for row in rows:
            key = (
                (row["root_cause__parent_id"] or row["root_cause_id"])
                if top_level
                else (row["root_cause_id"])
            )
            result[key] += row["n"]
        return result

    now, before = counts(start, end), counts(start - length, start - timedelta(days=1))
    causes = RootCause.objects.in_bulk(set(now) | set(before))
    items = [CauseCount(causes[k], now.get(k, 0), before.get(k, 0)) for k in causes]
    items.sort(key=lambda c: (-c.count, -c.previous, c.cause.name))
    return [i for i in items if i.count or i.previous][:limit]


def root_cause_tree() -> list[tuple[RootCause, list[RootCause]]]:
    causes = list(RootCause.objects.filter(is_active=True).select_related("parent"))
    children: dict[int, list[RootCause]] = defaultdict(list)
    for c in causes:
        if c.parent_id:
            children[c.parent_id].append(c)
    return [(c, children.get(c.pk, [])) for c in causes if not c.parent_id]


# ---- what the customer sees ------------------------------------------------------------------

PLAIN_STATUS = {
    S.RECEIVED: (
        gettext_lazy("We have received your complaint."),
        gettext_lazy("We will confirm receipt and tell you the next steps."),
    ),
    S.ACKNOWLEDGED: (
        gettext_lazy("Your complaint is registered."),
        gettext_lazy("We are assessing it; we will then look into what happened."),
    ),
    S.ASSESSED: (
        gettext_lazy("Your complaint has been assessed."),
        gettext_lazy("We are now looking into what happened."),
    ),
    S.INVESTIGATING: (
        gettext_lazy("We are looking into what happened."),
        gettext_lazy("We will send you our proposed response."),
    ),
    S.RESPONSE_PROPOSED: (
        gettext_lazy("We have sent you our proposed response."),
        gettext_lazy("Tell us whether you accept it."),
    ),
    S.ACCEPTED: (
        gettext_lazy("You have accepted our response."),
        gettext_lazy("We are carrying it out and will then close your complaint."),
    ),
    S.REFUSED: (
        gettext_lazy("You have refused our response."),
        gettext_lazy("We are reviewing it and will give you our final decision."),
    ),
    S.CLOSED: (
        gettext_lazy("Your complaint is closed."),
        gettext_lazy("If you disagree, reply to contest it: we will reopen it."),
    ),
}


def complaint_status_for_customer(case: Case, *, now: datetime | None = None) -> dict | None:
    """What the customer may know about the complaint on `case` (REQ-CMP-04), or None when the
    case is not a complaint. The caller has already checked the case is the customer's own
    (cases.access.case_get_for_user). Plain words, no internal notes, no agent names."""
    complaint = Complaint.objects.filter(case=case).prefetch_related("steps").first()
    if complaint is None:
        return None
    now = now or timezone.now()
    status, next_step = PLAIN_STATUS[S(complaint.status)]
    targets = targets_for(policy_get())
    written = complaint.first_written_at or complaint.received_at
    mediator = mediator_active()
    show_mediator = mediator is not None and (
        complaint.status == S.REFUSED
        or complaint.closure_reason == ClosureReason.FINAL_DECISION
        or (
            complaint.status in OPEN_COMPLAINT_STATUSES
            and mediation_due(targets=targets, written_at=written) <= now
        )
    )
    public_steps = {
        StepKind.RECEIVED,
        StepKind.ACKNOWLEDGED,
        StepKind.ASSESSED,
        StepKind.INVESTIGATING,
        StepKind.HOLDING_REPLY,
        StepKind.RESPONSE_PROPOSED,
        StepKind.ACCEPTED,
        StepKind.REFUSED,
        StepKind.CLOSED,
        StepKind.REOPENED,
        StepKind.MEDIATION_INFORMED,
    }
    return {
        "reference": complaint.reference,
        "status": complaint.status,
        "status_label": str(S(complaint.status).label),
        "status_text": str(status),
        "next_step": str(next_step),
        "received_at": complaint.received_at,
        "answer_due_at": complaint.answer_due_at if complaint.status != S.CLOSED else None,
        "can_decide": complaint.status == S.RESPONSE_PROPOSED,
        "can_contest": complaint.status == S.CLOSED,
        "steps": [
            {"kind": s.kind, "label": str(StepKind(s.kind).label), "at": s.created_at}
            for s in complaint.steps.all()
            if s.kind in public_steps
        ],
        "mediator": (
            {
                "name": mediator.name,
                "address": mediator.address,
                "website": mediator.website,
                "email": mediator.email,
            }
            if show_mediator and mediator
            else None
        ),
        "mediation_until": mediation_deadline(complaint.first_written_at)
        if complaint.first_written_at
        else None,
    }


def complaint_steps(complaint: Complaint):
    return complaint.steps.select_related("actor").order_by("created_at", "pk")


def complaint_overview(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    open_qs = Complaint.objects.filter(status__in=OPEN_COMPLAINT_STATUSES)
    return {
        "open": open_qs.count(),
        "to_acknowledge": open_qs.filter(status=S.RECEIVED).count(),
        "ack_overdue": open_qs.filter(status=S.RECEIVED, acknowledge_due_at__lt=now).count(),
        "answer_overdue": open_qs.filter(answer_due_at__lt=now, responded_at__isnull=True).count(),
        "safety": open_qs.filter(safety_issue=True).count(),
        "in_mediation": Complaint.objects.filter(
            mediation_status__in=[MediationStatus.REFERRED, MediationStatus.PROPOSAL]
        ).count(),
    }


@dataclass
class Indicators:
    """REQ-CMP-20: how the complaint process performs, for complaints received in a period."""

    received: int
    acknowledged_on_time: int
    acknowledged: int
    answered_on_time: int
    answered: int
    median_days_to_acknowledge: float | None
    median_days_to_respond: float | None
    median_days_to_close: float | None
    reopened: int
    closed: int
    mediation: int

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def acknowledged_on_time_pct(self) -> float | None:
        return self.share(self.acknowledged_on_time, self.acknowledged)

    @property
    def answered_on_time_pct(self) -> float | None:
        return self.share(self.answered_on_time, self.answered)

    @property
    def reopen_rate_pct(self) -> float | None:
        return self.share(self.reopened, self.closed + self.reopened_open)

    reopened_open: int = 0


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    mid = len(values) // 2
    middle = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    return round(middle, 1)


def complaint_indicators(*, start: date, end: date) -> Indicators:
    tz = timezone.get_current_timezone()
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = list(
        Complaint.objects.filter(received_at__gte=lo, received_at__lt=hi).values(
            "received_at",
            "acknowledged_at",
            "acknowledge_due_at",
            "responded_at",
            "answer_due_at",
            "closed_at",
            "reopen_count",
            "status",
            "mediation_status",
        )
    )
    acked = [r for r in rows if r["acknowledged_at"]]
    answered = [r for r in rows if r["responded_at"]]
    closed = [r for r in rows if r["closed_at"]]
    return Indicators(
        received=len(rows),
        acknowledged=len(acked),
        acknowledged_on_time=sum(
            1
            for r in acked
            if r["acknowledge_due_at"] is None or r["acknowledged_at"] <= r["acknowledge_due_at"]
        ),
        answered=len(answered),
        answered_on_time=sum(
            1
            for r in answered
            if r["answer_due_at"] is None or r["responded_at"] <= r["answer_due_at"]
        ),
        median_days_to_acknowledge=_median(
            [duration_days(r["received_at"], r["acknowledged_at"]) for r in acked]
        ),
        median_days_to_respond=_median(
            [duration_days(r["received_at"], r["responded_at"]) for r in answered]
        ),
        median_days_to_close=_median(
            [duration_days(r["received_at"], r["closed_at"]) for r in closed]
        ),
        reopened=sum(1 for r in rows if r["reopen_count"]),
        closed=len(closed),
        reopened_open=sum(1 for r in rows if r["reopen_count"] and not r["closed_at"]),
        mediation=sum(1 for r in rows if r["mediation_status"]),
    )
