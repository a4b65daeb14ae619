from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from guichet.accounts.models import User
from guichet.cases.access import case_get_for_user, case_queryset_for_user
from guichet.cases.choices import PUBLIC_KINDS, CaseStatus, Priority
from guichet.cases.models import Attachment, Case, CaseEvent, Contact
from guichet.core.errors import ValidationFailed
from guichet.core.pagination import keyset_page

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class CaseFilters:
    status: list[str] | None = None
    owner: str | None = None  # "me", "none", or a user id
    team: int | None = None
    customer: int | None = None
    priority: str | None = None
    updated_since: datetime | None = None


def _aware(value: datetime, *, field: str) -> datetime:
    """A time without an offset is read in the site's time zone; one that cannot be expressed
    in UTC (year 1 at +14:00…) is bad input."""
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed(
            "Invalid date.", details=[{"field": field, "message": "Date out of range."}]
        ) from exc


def case_list(
    *, user: User, filters: CaseFilters, cursor: str | None = None, limit: int = 50
) -> tuple[list[Case], str | None]:
    qs = (
        case_queryset_for_user(user=user)
        .select_related("customer", "owner", "team", "category", "merged_into", "sla_clock")
        .prefetch_related("tags")
    )
    if filters.status:
        bad = [s for s in filters.status if s not in CaseStatus.values]
        if bad:
            raise ValidationFailed(
                "Unknown status.",
                details=[{"field": "status", "message": f"Unknown status: {', '.join(bad)}"}],
            )
        qs = qs.filter(status__in=filters.status)
    if filters.priority:
        if filters.priority not in Priority.values:
            raise ValidationFailed(
                "Unknown priority.",
                details=[{"field": "priority", "message": "Unknown priority."}],
            )
        qs = qs.filter(priority=filters.priority)
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif filters.owner:
        if not (filters.owner.isascii() and filters.owner.isdigit()) or int(filters.owner) > MAX_ID:
            raise ValidationFailed(
                "Invalid owner.",
                details=[{"field": "owner", "message": "Use me, none or an agent id."}],
            )
        qs = qs.filter(owner_id=int(filters.owner))
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.updated_since is not None:
        qs = qs.filter(updated_at__gte=_aware(filters.updated_since, field="updated_since"))
    return keyset_page(qs, field="updated_at", cursor=cursor, limit=limit)


def case_detail(*, user: User, reference: str) -> tuple[Case, list[Contact]]:
    """The case and its conversation in time order; customers do not see internal notes."""
    case = case_get_for_user(user=user, reference=reference)
    contacts = (
        Contact.objects.filter(case=case)
        .select_related("author_user", "author_customer")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    if not user.is_agent:
        contacts = contacts.filter(kind__in=PUBLIC_KINDS)
    return case, list(contacts)


def case_events(*, user: User, reference: str) -> QuerySet[CaseEvent]:
    case = case_get_for_user(user=user, reference=reference)
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")
