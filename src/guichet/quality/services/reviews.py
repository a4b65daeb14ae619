"""Interaction reviews: a supervisor scores an agent's contacts on a case against a scorecard;
the agent acknowledges or disputes; each week a few cases per agent are drawn for review."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.choices import Role
from guichet.accounts.models import User
from guichet.cases.choices import AGENT_RESPONSE_KINDS, Channel
from guichet.cases.models import Case, Contact
from guichet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guichet.quality.access import quality_manager_required
from guichet.quality.choices import ReviewStatus
from guichet.quality.models import MysteryTest, Review, ReviewSample, ReviewScore, Scorecard
from guichet.quality.scoring import review_percent
from guichet.quality.services.policy import policy_get


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


@dataclass(frozen=True)
class Mark:
    criterion_id: int
    value: int | None  # None: not applicable
    comment: str = ""


@transaction.atomic
def review_create(
    *,
    reviewer: User,
    case: Case,
    agent: User,
    scorecard: Scorecard,
    marks: list[Mark],
    comment: str = "",
    at: datetime | None = None,
) -> Review:
    """Score every criterion of the scorecard (or mark it not applicable), with a comment each."""
    quality_manager_required(reviewer)
    at = at or timezone.now()
    if not scorecard.is_active:
        raise _field_error("scorecard", _("This scorecard is no longer in use."))
    if not agent.is_agent:
        raise _field_error("agent", _("Only an active agent can be reviewed."))
    if agent.pk == reviewer.pk:
        raise PermissionDenied(_("Nobody reviews their own work."))
    if (
        case.owner_id != agent.pk
        and not Contact.objects.filter(case=case, author_user=agent).exists()
    ):
        raise _field_error("agent", _("This agent has not worked on this case."))
    criteria = {c.pk: c for c in scorecard.criteria.all()}
    given = {m.criterion_id: m for m in marks}
    if set(given) != set(criteria):
        raise _field_error("marks", _("Score every criterion of the scorecard (or mark it N/A)."))
    for mark in marks:
        criterion = criteria[mark.criterion_id]
        if mark.value is not None and not 0 <= mark.value <= criterion.scale_max:
            raise _field_error(
                f"marks.{criterion.pk}",
                _("%(name)s: score from 0 to %(max)d.")
                % {"name": criterion.name, "max": criterion.scale_max},
            )
    triples = [
        (criteria[m.criterion_id].weight, criteria[m.criterion_id].scale_max, m.value)
        for m in marks
    ]
    if all(m.value is None for m in marks):
        raise _field_error("marks", _("Score at least one criterion."))
    try:
        with transaction.atomic():
            review = Review.objects.create(
                case=case,
                agent=agent,
                reviewer=reviewer,
                scorecard=scorecard,
                comment=(comment or "").strip(),
                score_percent=review_percent(triples),
                created_at=at,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("You have already reviewed this case with this scorecard."), code="already_reviewed"
        ) from exc
    ReviewScore.objects.bulk_create(
        ReviewScore(
            review=review,
            criterion_id=m.criterion_id,
            value=m.value,
            comment=(m.comment or "").strip(),
        )
        for m in marks
    )
    ReviewSample.objects.filter(agent=agent, case=case, review__isnull=True).update(review=review)
    return review


def _answer(
    *, actor: User, review: Review, status: str, comment: str, at: datetime | None
) -> Review:
    if review.agent_id != actor.pk:
        if actor.sees_all_teams:
            raise PermissionDenied(_("Only the agent reviewed can answer a review."))
        raise NotFound(_("Review %(id)s not found.") % {"id": review.pk})
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.SUBMITTED:
        raise Conflict(_("This review was already answered."), code="review_answered")
    review.status = status
    review.agent_comment = comment
    review.answered_at = at or timezone.now()
    review.save(update_fields=["status", "agent_comment", "answered_at"])
    return review


@transaction.atomic
def review_acknowledge(
    *, actor: User, review: Review, comment: str = "", at: datetime | None = None
) -> Review:
    return _answer(
        actor=actor,
        review=review,
        status=ReviewStatus.ACKNOWLEDGED,
        comment=(comment or "").strip(),
        at=at,
    )


@transaction.atomic
def review_dispute(
    *, actor: User, review: Review, comment: str, at: datetime | None = None
) -> Review:
    comment = (comment or "").strip()
    if not comment:
        raise _field_error("comment", _("Say what you disagree with."))
    return _answer(actor=actor, review=review, status=ReviewStatus.DISPUTED, comment=comment, at=at)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@transaction.atomic
def reviews_sample_week(
    *,
    week: date | None = None,
    per_agent: int | None = None,
    seed: int | None = None,
    at: datetime | None = None,
) -> list[ReviewSample]:
    """Draw, for each agent, up to `per_agent` cases it answered during the week (Monday to
    Sunday) that were never drawn or reviewed for it. Running it again tops up, never duplicates.
    Default week: the last full week."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    week = week_start(week) if week else week_start(today) - timedelta(days=7)
    per_agent = policy_get().review_samples_per_agent if per_agent is None else per_agent
    if per_agent < 0:
        raise _field_error("per_agent", _("Cannot be negative."))
    tz = timezone.get_current_timezone()
    start = datetime.combine(week, datetime.min.time(), tzinfo=tz)
    end = start + timedelta(days=7)
    rng = random.Random(seed)
    drawn: list[ReviewSample] = []
    agents = User.objects.filter(is_active=True, role=Role.AGENT).order_by("pk")
    for agent in agents:
        have = ReviewSample.objects.filter(week=week, agent=agent).count()
        wanted = per_agent - have
        if wanted <= 0:
            continue
        candidates = sorted(
            set(
                Contact.objects.filter(
                    author_user=agent,
                    kind__in=AGENT_RESPONSE_KINDS,
                    created_at__gte=start,
                    created_at__lt=end,
                )
                .exclude(Q(case__review_samples__agent=agent) | Q(case__reviews__agent=agent))
                .values_list("case_id", flat=True)
            )
        )
        for case_id in rng.sample(candidates, min(wanted, len(candidates))):
            drawn.append(
                ReviewSample.objects.create(week=week, agent=agent, case_id=case_id, created_at=at)
            )
    return drawn


@transaction.atomic
def mystery_test_record(
    *,
    actor: User,
    tester: str,
    scenario: str,
    channel: str,
    scorecard: Scorecard,
    marks: list[Mark],
    started_at: datetime,
    answered_at: datetime | None = None,
    ended_at: datetime | None = None,
    team=None,
    notes: str = "",
    at: datetime | None = None,
) -> MysteryTest:
    """REQ-QA-02: a mystery-shopper test, scored on a scorecard, kept apart from real cases."""
    quality_manager_required(actor)
    tester, scenario = (tester or "").strip(), (scenario or "").strip()
    if not tester:
        raise _field_error("tester", _("Who made the test?"))
    if not scenario:
        raise _field_error("scenario", _("Describe the scenario."))
    if channel not in Channel.values:
        raise _field_error("channel", _("Unknown channel."))
    for later, name in ((answered_at, "answered_at"), (ended_at, "ended_at")):
        if later is not None and later < started_at:
            raise _field_error(name, _("Cannot be before the start of the contact."))
    criteria = {c.pk: c for c in scorecard.criteria.all()}
    if {m.criterion_id for m in marks} != set(criteria) or all(m.value is None for m in marks):
        raise _field_error("marks", _("Score every criterion of the scorecard (or mark it N/A)."))
    for m in marks:
        if m.value is not None and not 0 <= m.value <= criteria[m.criterion_id].scale_max:
            raise _field_error(f"marks.{m.criterion_id}", _("Score out of the scale."))
    percent = review_percent(
        (criteria[m.criterion_id].weight, criteria[m.criterion_id].scale_max, m.value)
        for m in marks
    )
    return MysteryTest.objects.create(
        tester=tester[:150],
        scenario=scenario,
        channel=channel,
        team=team,
        scorecard=scorecard,
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        marks={str(m.criterion_id): m.value for m in marks},
        score_percent=percent,
        notes=(notes or "").strip(),
        recorded_by=actor,
        created_at=at or timezone.now(),
    )
