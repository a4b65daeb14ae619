"""Who may see and do what in quality. The pages and the API all go through here.

- Complaints follow their case: whoever may see the case (cases.access) may see its complaint;
  a customer sees only the *status* of its own complaints; anything else is "not found".
- The register, causes, corrective actions, scorecards and calibration are for supervisors and
  administrators (quality managers).
- A review is seen by the agent reviewed and by quality managers; other agents get "not found".
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.access import case_visible_q
from guichet.cases.models import Case
from guichet.core.errors import NotFound, PermissionDenied
from guichet.quality.models import Complaint, Review

MAX_ID = 2**63 - 1


def quality_manager_required(user: User) -> None:
    if not user.sees_all_teams:
        raise PermissionDenied(_("Only supervisors and administrators can do this."))


def complaint_queryset_for_user(*, user: User) -> QuerySet[Complaint]:
    qs = Complaint.objects.all()
    q = case_visible_q(user)
    if q is None:
        return qs
    return qs.filter(case__in=Case.objects.filter(q).values("pk"))


def complaint_get_for_user(*, user: User, reference: str, for_update: bool = False) -> Complaint:
    """By complaint reference (R-000001) or by its case's reference (G-000123)."""
    ref = (reference or "").strip().upper()
    qs = complaint_queryset_for_user(user=user).select_related(
        "case",
        "case__customer",
        "case__owner",
        "case__team",
        "case__category",
        "handler",
        "root_cause",
        "root_cause__parent",
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    complaint = qs.filter(Q(reference=ref) | Q(case__reference=ref)).first()
    if complaint is None:
        raise NotFound(_("Complaint %(reference)s not found.") % {"reference": reference})
    return complaint


def complaint_staff_get(*, user: User, reference: str) -> Complaint:
    """For actions only staff may take: customers get "not found", like for a stranger's case."""
    if not user.is_agent:
        raise NotFound(_("Complaint %(reference)s not found.") % {"reference": reference})
    return complaint_get_for_user(user=user, reference=reference)


def review_queryset_for_user(*, user: User) -> QuerySet[Review]:
    if not user.is_active:
        return Review.objects.none()
    if user.sees_all_teams:
        return Review.objects.all()
    if user.is_agent:
        return Review.objects.filter(agent=user)
    return Review.objects.none()


def review_get_for_user(*, user: User, review_id: int) -> Review:
    if not 1 <= review_id <= MAX_ID:
        raise NotFound(_("Review %(id)s not found.") % {"id": review_id})
    review = (
        review_queryset_for_user(user=user)
        .select_related("case", "agent", "reviewer", "scorecard")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise NotFound(_("Review %(id)s not found.") % {"id": review_id})
    return review
