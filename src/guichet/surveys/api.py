"""GET /api/v1/barometer, GET /api/v1/barometer/charts, GET/PATCH /api/v1/surveys/config."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema

from guichet.core.errors import PermissionDenied
from guichet.surveys import selectors, services
from guichet.surveys.access import barometer_required, survey_config_editable
from guichet.surveys.models import SurveyConfig
from guichet.surveys.schemas import BarometerOut, ChartsOut, SurveyConfigOut, SurveyConfigPatch

barometer_router = Router()
surveys_router = Router()


class BarometerQuery(Schema):
    start: date
    end: date
    channel: str | None = None
    team: int | None = None
    agent: int | None = None
    category: int | None = None
    segment: str | None = None


def _period_filters(query: BarometerQuery) -> tuple[selectors.Period, selectors.BarometerFilters]:
    params = {k: ("" if v is None else str(v)) for k, v in query.dict().items()}
    _kind, period, filters = selectors.barometer_query_parse(
        {**params, "period": "custom"}, today=query.end
    )
    return period, filters


@barometer_router.get("", response=BarometerOut, exclude_unset=True, url_name="barometer")
def barometer(request: HttpRequest, query: Query[BarometerQuery]):
    """Every metric of the period (both dates included, site time zone) beside the previous
    period and the same period last year. Supervisors, administrators and holders of the
    "surveys.view_barometer" permission."""
    barometer_required(request.user)
    period, filters = _period_filters(query)
    return selectors.barometer(period=period, filters=filters)


@barometer_router.get(
    "/charts", response=ChartsOut, exclude_unset=True, url_name="barometer_charts"
)
def barometer_charts(request: HttpRequest, query: Query[BarometerQuery]):
    """The data the barometer's charts draw: 13-month trends ending with the period's month,
    the distribution of ratings, breakdowns by channel and team, and the national reference
    line (45 % expectations met, American Express 2012)."""
    barometer_required(request.user)
    period, filters = _period_filters(query)
    return selectors.barometer_charts(period=period, filters=filters)


def _config_out(config: SurveyConfig) -> dict:
    return {
        **{field: getattr(config, field) for field in services.CONFIG_FIELDS},
        "questions": list(
            config.questions.order_by("position", "id").values(
                "key", "position", "text_fr", "text_en", "is_active", "required"
            )
        ),
    }


@surveys_router.get("/config", response=SurveyConfigOut, url_name="survey_config")
def survey_config(request: HttpRequest):
    """The survey method in force: wording (French/English), delay, sampling, windows."""
    barometer_required(request.user)
    return _config_out(services.survey_config_get())


@surveys_router.patch("/config", response=SurveyConfigOut, url_name="survey_config_patch")
def survey_config_patch(request: HttpRequest, payload: SurveyConfigPatch):
    """Change the method (administrators). Only the fields sent change."""
    if not survey_config_editable(request.user):
        raise PermissionDenied("Only administrators can change the survey.")
    data = payload.dict(exclude_unset=True)
    questions = [
        {k: v for k, v in q.items() if v is not None} for q in data.pop("questions", None) or []
    ]
    config = services.survey_config_update(actor=request.user, changes=data, questions=questions)
    return _config_out(config)
