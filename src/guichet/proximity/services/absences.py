"""Agents' absences: entered by the agent or a supervisor, read by routing and callbacks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.core.errors import NotFound, PermissionDenied, ValidationFailed
from guichet.proximity.access import agent_required
from guichet.proximity.choices import AbsenceKind
from guichet.proximity.models import Absence


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _may_edit(actor: User, agent: User) -> None:
    agent_required(actor)
    if actor.pk != agent.pk and not actor.sees_all_teams:
        raise PermissionDenied(_("Only supervisors enter a colleague's absences."))


@transaction.atomic
def absence_create(
    *,
    actor: User,
    agent: User,
    starts_at: datetime,
    ends_at: datetime,
    kind: str = AbsenceKind.HOLIDAY,
    note: str = "",
    at: datetime | None = None,
) -> Absence:
    _may_edit(actor, agent)
    if not agent.is_agent:
        raise _field_error("agent", _("Only agents have absences."))
    if kind not in AbsenceKind.values:
        raise _field_error("kind", _("Unknown kind of absence."))
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None or timezone.is_naive(value):
            raise _field_error(name, _("Give a date and time with its time zone."))
    if ends_at <= starts_at:
        raise _field_error("ends_at", _("The absence must end after it starts."))
    return Absence.objects.create(
        agent=agent,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        note=(note or "").strip()[:200],
        created_by=actor,
        created_at=at or timezone.now(),
    )


@transaction.atomic
def absence_delete(*, actor: User, absence_id: int) -> None:
    absence = Absence.objects.select_related("agent").filter(pk=absence_id).first()
    if absence is None:
        raise NotFound(_("Absence not found."))
    _may_edit(actor, absence.agent)
    absence.delete()


def absent_ids(*, agent_ids: Iterable[int], at: datetime) -> set[int]:
    """Which of these agents are away at `at`: an absence covers that instant, or the account
    is disabled (someone who left is absent for good)."""
    ids = {i for i in agent_ids if i is not None}
    if not ids:
        return set()
    from guichet.proximity.services.batch import batch_reads

    reads = batch_reads(at)
    if reads is not None:  # many cases routed at once: the batch's absences are read
        return reads.absent(ids, at)
    away = set(
        Absence.objects.filter(agent_id__in=ids, starts_at__lte=at, ends_at__gt=at).values_list(
            "agent_id", flat=True
        )
    )
    disabled = set(User.objects.filter(pk__in=ids, is_active=False).values_list("pk", flat=True))
    return away | disabled


def is_absent(agent: User, *, at: datetime) -> bool:
    return bool(absent_ids(agent_ids=[agent.pk], at=at))
