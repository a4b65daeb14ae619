"""Who may see the barometer and the follow-ups.

Supervisors and administrators see them; so does anyone granted the permission
"surveys.view_barometer" (how a customer-relationship director without a case role gets in).
Agents do not, by decision (docs/decisions/0006-barometer-access.md): the barometer breaks
figures down by team and by agent, and a ranking of colleagues is a supervisor's coaching tool,
not a notice board. Customers never do."""

from __future__ import annotations

from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.core.errors import PermissionDenied


def barometer_allowed(user: User) -> bool:
    if not user.is_authenticated or not user.is_active or user.is_customer:
        return False
    return user.sees_all_teams or user.has_perm("surveys.view_barometer")


def barometer_required(user: User) -> None:
    if not barometer_allowed(user):
        raise PermissionDenied(_("The barometer is for supervisors and directors."))


def survey_config_editable(user: User) -> bool:
    return user.is_active and user.role == "administrator"
