from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class FigureOut(Schema):
    """One figure. Enough data: value, n, low, high (proportions 0–1 with their 95 % Wilson
    interval; NPS an integer −100..100; times in seconds). Too little: value null, n, reason
    "insufficient_sample" and min_sample. Some figures add details (CSAT mean, NPS groups,
    CES % agree)."""

    model_config = ConfigDict(extra="allow")

    value: int | float | None
    n: int
    low: int | float | None = None
    high: int | float | None = None
    reason: str | None = None
    min_sample: int | None = None


class MetricsOut(Schema):
    expectations_met: FigureOut
    csat: FigureOut
    fcr: FigureOut = Field(description="Operational FCR from contacts and events (REQ-MET-01).")
    fcr_declared: FigureOut = Field(description='Survey answers "settled in one go".')
    ces: FigureOut
    nps: FigureOut
    first_response_seconds_median: FigureOut
    resolution_seconds_median: FigureOut
    first_response_business_seconds_median: FigureOut = Field(
        description="First response time in the business calendar's opening hours."
    )
    resolution_business_seconds_median: FigureOut = Field(
        description="Resolution time in opening hours, less the time waiting on the customer."
    )
    reopen_rate: FigureOut
    repeat_contact_rate: FigureOut
    transfers_per_case: FigureOut
    backlog: FigureOut
    response_rate: FigureOut = Field(
        description="Invitations sent in the period that were answered (REQ-SAT-07)."
    )
    contacts_per_resolved_issue: FigureOut = Field(
        description="Customer contacts up to resolution, plus one when the customer came back "
        "within the FCR window, per resolved case (REQ-MET-02; same cases as fcr)."
    )
    contacts_per_case: FigureOut = Field(
        description="Customer effort: inbound contacts per case first contacted in the period."
    )
    channel_switches_per_case: FigureOut = Field(
        description="Customer effort: times the next inbound contact came on another channel."
    )
    cases_with_channel_switch: FigureOut = Field(
        description="Customer effort: share of cases with at least one channel switch."
    )
    time_to_owner_seconds_median: FigureOut = Field(
        description="Customer effort: median seconds from first contact to a named owner, over "
        "the cases that got one."
    )


class PeriodOut(Schema):
    start: str
    end: str


class ComparisonOut(Schema):
    start: str
    end: str
    metrics: MetricsOut


class ReferenceOut(Schema):
    expectations_met: float = Field(
        description="National share of customers whose expectations are met (45 %)."
    )
    source: str


class BarometerOut(Schema):
    period: PeriodOut
    filters: dict[str, Any]
    min_sample: int
    fcr_window_days: int
    reopen_window_days: int
    metrics: MetricsOut
    previous: ComparisonOut
    last_year: ComparisonOut
    reference: ReferenceOut


class TrendOut(Schema):
    months: list[str] = Field(description="YYYY-MM, oldest first (13 months).")
    series: dict[str, list[FigureOut]] = Field(
        description="expectations_met, csat, fcr, first_response_seconds_median: "
        "one figure a month."
    )


class BreakdownOut(Schema):
    key: str | int | None
    label: str
    expectations_met: FigureOut
    csat: FigureOut
    fcr: FigureOut


class ChartsOut(Schema):
    period: PeriodOut
    trend: TrendOut
    distribution: dict[str, dict[int, int]] = Field(
        description="Counts of each rating of the period: csat 1–5, ces 1–7, nps 0–10, "
        "expectations_met 1 (yes) / 0 (no)."
    )
    by_channel: list[BreakdownOut]
    by_team: list[BreakdownOut]
    reference: ReferenceOut


class QuestionOut(Schema):
    key: str
    position: int
    text_fr: str
    text_en: str
    is_active: bool
    required: bool


class SurveyConfigOut(Schema):
    name: str
    purpose: str
    is_active: bool
    delay_hours: int
    period_days: int
    sample_percent: int
    channels: list[str]
    token_days: int
    min_sample: int
    fcr_window_days: int
    reopen_window_days: int
    low_csat: int
    questions: list[QuestionOut]


class QuestionPatch(Schema):
    key: str
    text_fr: str | None = None
    text_en: str | None = None
    is_active: bool | None = None
    required: bool | None = None
    position: int | None = None


class SurveyConfigPatch(Schema):
    name: str | None = None
    purpose: str | None = None
    is_active: bool | None = None
    delay_hours: int | None = None
    period_days: int | None = None
    sample_percent: int | None = None
    channels: list[str] | None = None
    token_days: int | None = None
    min_sample: int | None = None
    fcr_window_days: int | None = None
    reopen_window_days: int | None = None
    low_csat: int | None = None
    questions: list[QuestionPatch] | None = None
