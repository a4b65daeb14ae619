"""Corrective actions and the root-cause tree (REQ-CMP-09, REQ-CMP-18)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.core.errors import Conflict, ValidationFailed
from guichet.quality.access import quality_manager_required
from guichet.quality.choices import ActionStatus
from guichet.quality.models import Complaint, CorrectiveAction, RootCause

_UNSET = object()


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _owner(owner: User | None) -> User:
    if owner is None or not owner.is_agent:
        raise _field_error("owner", _("The owner must be an active member of staff."))
    return owner


@transaction.atomic
def action_create(
    *,
    actor: User,
    title: str,
    owner: User | None,
    due_date: date,
    description: str = "",
    root_cause: RootCause | None = None,
    complaints: list[Complaint] | None = None,
    at: datetime | None = None,
) -> CorrectiveAction:
    quality_manager_required(actor)
    title = " ".join((title or "").split())
    if not title:
        raise _field_error("title", _("Say what will be done."))
    if len(title) > 250:
        raise _field_error("title", _("At most %(n)d characters.") % {"n": 250})
    if due_date is None:
        raise _field_error("due_date", _("A due date is required."))
    action = CorrectiveAction.objects.create(
        title=title,
        description=(description or "").strip(),
        owner=_owner(owner),
        due_date=due_date,
        root_cause=root_cause,
        created_at=at or timezone.now(),
    )
    if complaints:
        action.complaints.set(complaints)
    return action


@transaction.atomic
def action_update(
    *,
    actor: User,
    action: CorrectiveAction,
    title: str | None = None,
    owner: User | object | None = _UNSET,
    due_date: date | None = None,
    status: str | None = None,
    effect_measured: str | None = None,
    description: str | None = None,
    root_cause: RootCause | object | None = _UNSET,
    at: datetime | None = None,
) -> CorrectiveAction:
    quality_manager_required(actor)
    action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    if title is not None:
        title = " ".join(title.split())
        if not title:
            raise _field_error("title", _("Say what will be done."))
        action.title = title[:250]
    if owner is not _UNSET:
        action.owner = _owner(owner)  # type: ignore[arg-type]
    if due_date is not None:
        action.due_date = due_date
    if description is not None:
        action.description = description.strip()
    if effect_measured is not None:
        action.effect_measured = effect_measured.strip()
    if root_cause is not _UNSET:
        action.root_cause = root_cause  # type: ignore[assignment]
    if status is not None:
        if status not in ActionStatus.values:
            raise _field_error("status", _("Unknown status."))
        if status == ActionStatus.DONE and not action.effect_measured:
            raise Conflict(
                _("Record the effect measured before marking the action done."),
                code="effect_required",
            )
        action.status = status
        action.completed_at = (at or timezone.now()) if status == ActionStatus.DONE else None
    action.save()
    return action


@transaction.atomic
def action_link_complaints(
    *, actor: User, action: CorrectiveAction, complaints: list[Complaint]
) -> CorrectiveAction:
    """Say which complaints an action answers (the register shows the link both ways)."""
    quality_manager_required(actor)
    action.complaints.add(*complaints)
    return action


@transaction.atomic
def root_cause_create(*, actor: User, name: str, parent: RootCause | None = None) -> RootCause:
    quality_manager_required(actor)
    name = " ".join((name or "").split())
    if not name:
        raise _field_error("name", _("A name is required."))
    if parent is not None and parent.parent_id is not None:
        raise _field_error("parent", _("Causes have two levels: choose a top-level parent."))
    base = slugify(f"{parent.slug}-{name}" if parent else name)[:90] or "cause"
    slug, n = base, 1
    while RootCause.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return RootCause.objects.create(name=name[:100], slug=slug, parent=parent)
