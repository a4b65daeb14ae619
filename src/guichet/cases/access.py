"""Who may see and do what with cases. The API, the workspace and the portal all go through here.

- A customer sees only its own cases; anything else is "not found" (no existence leak).
- An agent sees cases of its teams, cases it owns, and cases with no team yet.
- Supervisors and administrators see every case.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import ContactKind
from guichet.cases.models import Case
from guichet.core.errors import NotFound, PermissionDenied


def case_visible_q(user: User) -> Q | None:
    """The filter for cases this user may see; None means every case."""
    if not user.is_active:
        return Q(pk__in=[])
    if user.sees_all_teams:
        return None
    if user.is_agent:
        team_ids = list(user.teams.values_list("id", flat=True))
        return Q(team_id__in=team_ids) | Q(owner=user) | Q(team__isnull=True)
    return Q(customer__user=user)


def case_queryset_for_user(*, user: User, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    qs = Case.objects.all() if queryset is None else queryset
    q = case_visible_q(user)
    return qs if q is None else qs.filter(q)


def case_get_for_user(*, user: User, reference: str, for_update: bool = False) -> Case:
    qs = (
        case_queryset_for_user(user=user)
        .select_related("customer", "owner", "team", "category", "merged_into")
        .prefetch_related("tags")
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return case_get_from(queryset=qs, reference=reference)


def case_get_from(*, queryset: QuerySet[Case], reference: str) -> Case:
    """The case with this reference in `queryset`, which the caller has already limited to
    what the user may see (`case_queryset_for_user`) and given the relations it shows; a page
    that reads more of the user's cases then reuses that queryset (one visibility lookup)."""
    typed = (reference or "").strip().upper()
    # A reference is short and printable; anything else cannot exist (and NUL upsets PostgreSQL).
    valid = typed.isprintable() and len(typed) <= 20
    case = queryset.filter(reference=typed).first() if valid else None
    if case is None:
        raise NotFound(_("Case %(reference)s not found.") % {"reference": reference})
    return case


def contact_kind_check(*, user: User, kind: str) -> None:
    """Customers write messages; only agents reply, write notes or log calls."""
    # An agent may add any kind, including a customer's words taken down at the counter.
    if not user.is_agent and kind != ContactKind.CUSTOMER_MESSAGE:
        raise PermissionDenied(_("Only agents can add this kind of contact."))


def agent_required(user: User) -> None:
    if not user.is_agent:
        raise PermissionDenied(_("Only agents can do this."))
