"""Macros over the JSON API: list, render for a case, create, change."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from guichet.accounts.models import Team
from guichet.cases.access import agent_required, case_get_for_user
from guichet.core.errors import ValidationFailed
from guichet.knowledge import selectors, services
from guichet.knowledge.schemas import MacroIn, MacroOut, MacroPatch, MacroRenderOut

router = Router()


@router.get("", response=list[MacroOut], summary="Macros you may use")
def macro_list(request: HttpRequest):
    agent_required(request.user)
    return list(selectors.macro_list_for_user(user=request.user))


@router.get("/{macro_id}/render", response=MacroRenderOut, summary="A macro filled for a case")
def macro_render(request: HttpRequest, macro_id: int, case: str):
    agent_required(request.user)
    macro = selectors.macro_get_for_user(user=request.user, macro_id=macro_id)
    found = case_get_for_user(user=request.user, reference=case)
    return {"body": selectors.macro_render(macro=macro, case=found, agent=request.user)}


@router.post("", response={201: MacroOut}, summary="Create a macro")
def macro_create(request: HttpRequest, payload: MacroIn):
    team = None
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id).first()
        if team is None:
            message = _("Unknown team.")
            raise ValidationFailed(message, details=[{"field": "team_id", "message": message}])
    macro = services.macro_create(
        actor=request.user, name=payload.name, body=payload.body, team=team
    )
    return Status(201, macro)


@router.patch("/{macro_id}", response=MacroOut, summary="Change or deactivate a macro")
def macro_update(request: HttpRequest, macro_id: int, payload: MacroPatch):
    agent_required(request.user)
    macro = selectors.macro_get_for_user(
        user=request.user, macro_id=macro_id, include_inactive=True
    )
    return services.macro_update(
        actor=request.user,
        macro=macro,
        name=payload.name,
        body=payload.body,
        is_active=payload.is_active,
    )
