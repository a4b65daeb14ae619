"""Interaction reviews: score computation (REQ-QA-01), answers, sampling, calibration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from guichet.accounts.services import user_create
from guichet.cases import services as case_services
from guichet.cases.choices import ContactKind
from guichet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guichet.quality import selectors, services
from guichet.quality.models import Criterion, ReviewSample, Scorecard
from guichet.quality.scoring import percent_to_20, review_percent, spread
from guichet.quality.services import Mark
from tests.quality.conftest import case_new

pytestmark = pytest.mark.django_db


# ---- pure scoring ----------------------------------------------------------------------------


def test_weighted_score_in_percent_and_out_of_twenty():
    # weights 3, 1 on a 0–4 scale: (3·4/4 + 1·0/4) / 4 = 75 % = 15/20
    percent = review_percent([(3, 4, 4), (1, 4, 0)])
    assert percent == Decimal("75.0")
    assert percent_to_20(percent) == Decimal("15.0")


def test_not_applicable_criteria_leave_the_maximum():
    assert review_percent([(2, 4, 2), (5, 4, None)]) == Decimal("50.0")


def test_mixed_scales_are_normalised_before_weighting():
    # 4/4 and 5/10 with equal weights → (1 + 0.5) / 2 = 75 %
    assert review_percent([(1, 4, 4), (1, 10, 5)]) == Decimal("75.0")


def test_rounding_to_one_decimal():
    assert review_percent([(1, 3, 2)]) == Decimal("66.7")


def test_nothing_scored_is_an_error():
    with pytest.raises(ValueError):
        review_percent([(1, 4, None)])


def test_spread_is_highest_minus_lowest():
    assert spread([Decimal("80"), Decimal("62.5"), Decimal("70")]) == Decimal("17.5")
    assert spread([Decimal("80")]) is None


# ---- the services ----------------------------------------------------------------------------


@pytest.fixture
def scorecard(db) -> Scorecard:
    card = Scorecard.objects.create(name="Email")
    Criterion.objects.create(scorecard=card, name="Tone", weight=1, scale_max=4, position=0)
    Criterion.objects.create(scorecard=card, name="Accuracy", weight=3, scale_max=4, position=1)
    return card


@pytest.fixture
def answered_case(customer, agent):
    case = case_new(customer)
    case_services.contact_add(
        actor=agent, case=case, kind=ContactKind.REPLY, body_text="Bonjour, voici la réponse."
    )
    return case


def marks(card: Scorecard, *values) -> list[Mark]:
    return [
        Mark(c.pk, v, f"about {c.name}") for c, v in zip(card.criteria.all(), values, strict=True)
    ]


def test_a_supervisor_reviews_an_agents_contacts(supervisor, agent, answered_case, scorecard):
    review = services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 2, 4),
    )
    # (1·2/4 + 3·4/4) / 4 = 87.5 %
    assert review.score_percent == Decimal("87.5")
    assert review.score_20 == Decimal("17.5")
    assert [s.comment for s in review.scores.order_by("criterion__position")] == [
        "about Tone",
        "about Accuracy",
    ]
    assert review.status == "submitted"


def test_an_agent_cannot_review(agent, other_agent, answered_case, scorecard):
    with pytest.raises(PermissionDenied):
        services.review_create(
            reviewer=other_agent,
            case=answered_case,
            agent=agent,
            scorecard=scorecard,
            marks=marks(scorecard, 2, 4),
        )


def test_every_criterion_must_be_scored_or_na(supervisor, agent, answered_case, scorecard):
    first = scorecard.criteria.first()
    with pytest.raises(ValidationFailed):
        services.review_create(
            reviewer=supervisor,
            case=answered_case,
            agent=agent,
            scorecard=scorecard,
            marks=[Mark(first.pk, 3)],
        )


def test_a_score_above_the_scale_is_refused(supervisor, agent, answered_case, scorecard):
    with pytest.raises(ValidationFailed):
        services.review_create(
            reviewer=supervisor,
            case=answered_case,
            agent=agent,
            scorecard=scorecard,
            marks=marks(scorecard, 5, 4),
        )


def test_only_an_agent_who_worked_the_case_is_reviewed(supervisor, answered_case, scorecard):
    stranger = user_create(email="noe@guichet.test", first_name="Noé")
    with pytest.raises(ValidationFailed):
        services.review_create(
            reviewer=supervisor,
            case=answered_case,
            agent=stranger,
            scorecard=scorecard,
            marks=marks(scorecard, 2, 4),
        )


def test_one_review_per_reviewer_case_and_scorecard(supervisor, agent, answered_case, scorecard):
    services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 2, 4),
    )
    with pytest.raises(Conflict):
        services.review_create(
            reviewer=supervisor,
            case=answered_case,
            agent=agent,
            scorecard=scorecard,
            marks=marks(scorecard, 1, 1),
        )


def test_the_agent_acknowledges_once(supervisor, agent, answered_case, scorecard):
    review = services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 2, 4),
    )
    review = services.review_acknowledge(actor=agent, review=review, comment="Merci")
    assert review.status == "acknowledged" and review.answered_at
    with pytest.raises(Conflict):
        services.review_dispute(actor=agent, review=review, comment="Finalement non")


def test_a_dispute_needs_a_reason(supervisor, agent, answered_case, scorecard):
    review = services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 2, 4),
    )
    with pytest.raises(ValidationFailed):
        services.review_dispute(actor=agent, review=review, comment=" ")
    review = services.review_dispute(actor=agent, review=review, comment="Le client a remercié")
    assert review.status == "disputed"


def test_another_agent_cannot_answer_someone_elses_review(
    supervisor, agent, other_agent, answered_case, scorecard
):
    review = services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 2, 4),
    )
    with pytest.raises(NotFound):
        services.review_acknowledge(actor=other_agent, review=review)


# ---- calibration -----------------------------------------------------------------------------


def test_calibration_shows_the_spread_between_reviewers(
    supervisor, second_supervisor, agent, answered_case, scorecard
):
    services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 4, 4),
    )  # 100 %
    services.review_create(
        reviewer=second_supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 0, 2),
    )  # 37.5 %
    [calibration] = selectors.calibrations(user=supervisor)
    assert calibration.spread == Decimal("62.5")
    assert calibration.mean == Decimal("68.8")
    assert dict(calibration.criterion_spreads()) == {"Tone": Decimal(100), "Accuracy": Decimal(50)}


def test_a_single_review_is_not_a_calibration(supervisor, agent, answered_case, scorecard):
    services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 4, 4),
    )
    assert selectors.calibrations(user=supervisor) == []


# ---- scores over time ------------------------------------------------------------------------


def test_scores_per_agent_and_week(supervisor, second_supervisor, agent, customer, scorecard):
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    for n, values in enumerate([(4, 4), (0, 0)]):
        case = case_new(customer, at=monday + timedelta(hours=n))
        case_services.contact_add(
            actor=agent,
            case=case,
            kind=ContactKind.REPLY,
            body_text="Réponse",
            at=monday + timedelta(hours=n, minutes=5),
        )
        services.review_create(
            reviewer=supervisor,
            case=case,
            agent=agent,
            scorecard=scorecard,
            marks=marks(scorecard, *values),
            at=monday + timedelta(days=n),
        )
    [row] = selectors.quality_scores(user=supervisor, group="agent", period="week")
    assert (row.period, row.n, row.mean_percent, row.mean_20) == (
        date(2026, 3, 2),
        2,
        Decimal("50.0"),
        Decimal("10.0"),
    )
    [team_row] = selectors.quality_scores(user=supervisor, group="team", period="month")
    assert team_row.name == "Service client"


def test_the_csat_hook_feeds_the_scores(supervisor, agent, answered_case, scorecard):
    services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 4, 4),
    )
    calls = []
    selectors.csat_provider_set(lambda **kw: calls.append(kw) or "CSAT 90 %")
    try:
        [row] = selectors.quality_scores(user=supervisor)
    finally:
        selectors.csat_provider_set(None)
    assert row.csat == "CSAT 90 %"
    assert calls[0]["group"] == "agent" and calls[0]["key"] == agent.pk


# ---- weekly sampling -------------------------------------------------------------------------


def test_weekly_sampling_draws_cases_each_agent_answered(customer, agent, other_agent):
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    for n in range(4):
        case = case_new(customer, at=monday + timedelta(hours=n))
        case_services.contact_add(
            actor=agent,
            case=case,
            kind=ContactKind.REPLY,
            body_text="Réponse",
            at=monday + timedelta(hours=n, minutes=1),
        )
    drawn = services.reviews_sample_week(week=date(2026, 3, 4), per_agent=2, seed=1)
    assert len(drawn) == 2 and {s.agent for s in drawn} == {agent}
    assert {s.week for s in drawn} == {date(2026, 3, 2)}
    # running again tops up to the quota and never draws a case twice
    assert services.reviews_sample_week(week=date(2026, 3, 2), per_agent=3, seed=2)
    assert ReviewSample.objects.count() == 3
    assert ReviewSample.objects.values("case").distinct().count() == 3


def test_sampling_ignores_other_weeks(customer, agent):
    case = case_new(customer)
    case_services.contact_add(
        actor=agent,
        case=case,
        kind=ContactKind.REPLY,
        body_text="R",
        at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
    )
    assert services.reviews_sample_week(week=date(2026, 3, 9), per_agent=2) == []


def test_the_command_draws_and_refuses_bad_dates(customer, agent, capsys):
    from django.core.management import CommandError, call_command

    case = case_new(customer)
    case_services.contact_add(
        actor=agent,
        case=case,
        kind=ContactKind.REPLY,
        body_text="R",
        at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
    )
    call_command("quality_sample_reviews", "--week", "2026-03-02", "--seed", "3")
    assert case.reference in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("quality_sample_reviews", "--week", "last tuesday")


def test_a_review_closes_its_sample(supervisor, agent, answered_case, scorecard):
    ReviewSample.objects.create(
        week=date(2026, 3, 2),
        agent=agent,
        case=answered_case,
        created_at=datetime(2026, 3, 9, tzinfo=UTC),
    )
    review = services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 3, 3),
    )
    assert ReviewSample.objects.get().review == review


def test_scores_show_the_agents_csat_from_the_surveys(
    supervisor, agent, answered_case, scorecard, customer
):
    from guichet.surveys.models import SurveyAnswer, SurveyInvitation
    from guichet.surveys.services import survey_config_get

    config = survey_config_get()
    config.min_sample = 2
    config.save()
    at = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    for n, rating in enumerate([5, 4, 2]):
        rated = answered_case if n == 0 else case_new(customer)
        invitation = SurveyInvitation.objects.create(
            case=rated,
            customer=customer,
            nonce=f"n{n}",
            created_at=at,
            send_after=at,
            expires_at=at + timedelta(days=30),
        )
        SurveyAnswer.objects.create(
            invitation=invitation,
            case=answered_case,
            customer=customer,
            csat=rating,
            channel="email",
            owner=agent,
            answered_at=at,
            updated_at=at,
        )
    services.review_create(
        reviewer=supervisor,
        case=answered_case,
        agent=agent,
        scorecard=scorecard,
        marks=marks(scorecard, 4, 4),
        at=at,
    )
    [row] = selectors.quality_scores(user=supervisor, group="agent", period="week")
    assert row.csat["n"] == 3 and abs(row.csat["value"] - 2 / 3) < 1e-9
    assert row.csat_text == "67 % (n=3)"
