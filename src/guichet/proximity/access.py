"""Who may do what in proximity. Cases are still reached through guichet.cases.access only.

- Customers see their own advisor (first name, photo, hours) and their own callbacks; anything
  else is "not found".
- Agents log calls and take callbacks on cases they can see, record their own absences and
  work their own callbacks (supervisors and administrators: everyone's).
- Supervisors and administrators name advisors, set rules, reassign in bulk and enter anyone's
  absences; administrators set the contact numbers.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guichet.accounts.choices import Role
from guichet.accounts.models import User
from guichet.core.errors import NotFound, PermissionDenied
from guichet.proximity.models import Callback


def agent_required(user: User) -> None:
    if not user.is_authenticated or not user.is_agent:
        raise PermissionDenied(_("Only agents can do this."))


def overseer_required(user: User) -> None:
    if not user.is_authenticated or not user.sees_all_teams:
        raise PermissionDenied(_("Only supervisors and administrators can do this."))


def administrator_required(user: User) -> None:
    if not user.is_authenticated or not user.is_active or user.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only administrators can do this."))


def callback_queryset_for_user(*, user: User) -> QuerySet[Callback]:
    """Customers: their own callbacks. Agents: theirs and their teams'. Overseers: all."""
    qs = Callback.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.sees_all_teams:
        return qs
    if user.is_agent:
        team_ids = list(user.teams.values_list("id", flat=True))
        return qs.filter(Q(owner=user) | Q(team_id__in=team_ids))
    return qs.filter(customer__user=user)


def callback_get_for_user(*, user: User, callback_id: int) -> Callback:
    callback = (
        callback_queryset_for_user(user=user)
        .select_related("customer", "case", "owner", "team")
        .filter(pk=callback_id)
        .first()
    )
    if callback is None:
        raise NotFound(_("Callback not found."))
    return callback
