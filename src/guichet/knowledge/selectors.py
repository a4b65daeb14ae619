from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.models import Case
from guichet.core.errors import NotFound
from guichet.knowledge.models import Macro
from guichet.knowledge.placeholders import placeholders_fill


def macro_list_for_user(*, user: User, include_inactive: bool = False) -> QuerySet[Macro]:
    """Macros an agent may use: shared ones and those of its teams; supervisors see all."""
    if not user.is_agent:
        return Macro.objects.none()
    qs = Macro.objects.select_related("team")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if not user.sees_all_teams:
        qs = qs.filter(Q(team__isnull=True) | Q(team__in=user.teams.values("id")))
    return qs.order_by("name", "id")


def macro_get_for_user(*, user: User, macro_id: int, include_inactive: bool = False) -> Macro:
    macro = (
        macro_list_for_user(user=user, include_inactive=include_inactive)
        .filter(pk=macro_id)
        .first()
    )
    if macro is None:
        raise NotFound(_("Macro not found."))
    return macro


def macro_render(*, macro: Macro, case: Case, agent: User) -> str:
    """The macro's text for this case, placeholders filled (plain substitution)."""
    return placeholders_fill(macro.body, case=case, agent=agent)
