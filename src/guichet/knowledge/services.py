"""Writes for macros: one transaction each, permission checked here."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from guichet.accounts.models import Team, User
from guichet.cases.access import agent_required
from guichet.core.errors import PermissionDenied, ValidationFailed
from guichet.knowledge.models import Macro
from guichet.knowledge.placeholders import placeholders_unknown

MAX_NAME = 100
MAX_BODY = 20_000


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def macro_manage_check(*, actor: User, team: Team | None) -> None:
    """Supervisors and administrators manage every macro; an agent manages its teams' macros."""
    agent_required(actor)
    if actor.sees_all_teams:
        return
    if team is None:
        raise PermissionDenied(_("Only supervisors can manage macros shared by every team."))
    if not actor.teams.filter(pk=team.pk).exists():
        raise PermissionDenied(_("You can only manage the macros of your teams."))


def _clean(name: str, body: str) -> tuple[str, str]:
    name = " ".join((name or "").split())
    body = (body or "").strip()
    if not name:
        raise _field_error("name", _("A name is required."))
    if len(name) > MAX_NAME:
        raise _field_error("name", _("At most %(n)d characters.") % {"n": MAX_NAME})
    if not body:
        raise _field_error("body", _("The text is empty."))
    if len(body) > MAX_BODY:
        raise _field_error("body", _("At most %(n)d characters.") % {"n": MAX_BODY})
    unknown = placeholders_unknown(body)
    if unknown:
        raise _field_error(
            "body",
            _("Unknown placeholder(s): %(names)s.") % {"names": ", ".join(unknown)},
        )
    return name, body


def _name_check(*, name: str, team: Team | None, exclude: int | None = None) -> None:
    clash = Macro.objects.filter(name__iexact=name, team=team)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise _field_error("name", _("A macro with this name already exists."))


@transaction.atomic
def macro_create(*, actor: User, name: str, body: str, team: Team | None = None) -> Macro:
    macro_manage_check(actor=actor, team=team)
    name, body = _clean(name, body)
    _name_check(name=name, team=team)
    return Macro.objects.create(name=name, body=body, team=team, created_by=actor)


_UNSET = object()


@transaction.atomic
def macro_update(
    *,
    actor: User,
    macro: Macro,
    name: str | None = None,
    body: str | None = None,
    team: Team | object | None = _UNSET,
    is_active: bool | None = None,
) -> Macro:
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    macro_manage_check(actor=actor, team=macro.team)
    new_team = macro.team if team is _UNSET else team
    if new_team != macro.team:
        macro_manage_check(actor=actor, team=new_team)  # type: ignore[arg-type]
    new_name, new_body = _clean(
        macro.name if name is None else name, macro.body if body is None else body
    )
    _name_check(name=new_name, team=new_team, exclude=macro.pk)  # type: ignore[arg-type]
    macro.name, macro.body, macro.team = new_name, new_body, new_team  # type: ignore[assignment]
    if is_active is not None:
        macro.is_active = is_active
    macro.save()
    return macro
