"""Every change to a case goes through one of these functions, each one transaction.

Side effects (emails, tasks) are announced with core.hooks and run only after commit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import Team, User
from guichet.cases import flows
from guichet.cases.access import agent_required, contact_kind_check
from guichet.cases.choices import (
    ACTIVE_STATUSES,
    AGENT_RESPONSE_KINDS,
    CaseStatus,
    Channel,
    ContactKind,
    Direction,
    EventKind,
    Priority,
)
from guichet.cases.events import event_record
from guichet.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Category,
    Contact,
    Tag,
    attachment_path,
    case_reference,
)
from guichet.cases.routing import RoutingDecision, routing_batch, routing_decide
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from guichet.core.hooks import hooks_emit
from guichet.core.html import html_sanitise, html_to_text, text_to_html
from guichet.core.sequences import sequence_next
from guichet.customers.models import Customer

CASE_SEQUENCE = "case"
MAX_SUBJECT = 250
MAX_BODY = 200_000
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def _clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").replace("\x00", "").split())
    if not subject:
        raise _field_error("subject", _("A subject is required."))
    if len(subject) > MAX_SUBJECT:
        raise _field_error("subject", _("At most %(n)d characters.") % {"n": MAX_SUBJECT})
    return subject


def _clean_body(body_text: str, body_html: str) -> tuple[str, str]:
    # NUL never means anything in text (some mailers send it) and PostgreSQL refuses it.
    body_text = (body_text or "").replace("\x00", "")
    body_html = (body_html or "").replace("\x00", "")
    body_html = html_sanitise(body_html) if body_html else ""
    body_text = (body_text or "").strip() or (html_to_text(body_html) if body_html else "")
    if not body_text:
        raise _field_error("body", _("The message is empty."))
    if len(body_text) > MAX_BODY or len(body_html) > MAX_BODY * 2:
        raise _field_error("body", _("The message is too long."))
    return body_text, body_html or text_to_html(body_text)


def _check_choice(field: str, value: str, choices: type) -> None:
    if value not in choices.values:
        raise _field_error(
            field,
            _("Must be one of: %(values)s.") % {"values": ", ".join(choices.values)},
        )


def _check_owner(*, owner: User, team: Team | None) -> None:
    if not owner.is_agent:
        raise _field_error("owner", _("A case can only be owned by an active agent."))
    if (
        team is not None
        and not owner.sees_all_teams
        and not owner.teams.filter(pk=team.pk).exists()
    ):
        raise _field_error(
            "owner",
            _("%(agent)s is not a member of the team %(team)s.")
            % {"agent": owner.display_name, "team": team.name},
        )


def case_route_owner(*, team: Team | None, exclude_ids: Iterable[int] = ()) -> User | None:
    """The team member with the fewest active cases (ties: longest in the team's list by id).

    Principle "no wall": a new case gets a named owner at once when someone can take it.
    `exclude_ids`: agents to pass over (guichet.proximity: those absent today)."""
    if team is None:
        return None
    batch = _batch_loads.get()
    if batch is not None:
        return _route_owner_in_batch(batch, team=team, exclude_ids=exclude_ids)
    return _team_loads(team).exclude(pk__in=list(exclude_ids)).order_by("load", "id").first()


def _team_loads(team: Team):
    return team.members.filter(
        is_active=True, role__in=("agent", "supervisor", "administrator")
    ).annotate(load=Count("owned_cases", filter=Q(owned_cases__status__in=ACTIVE_STATUSES)))


# Inside case_open_many the cases routed earlier in the batch are not written yet: the
# least-loaded pick reads each team's loads once and adds the batch's own cases to them, so it
# chooses exactly as one case_open after another would.
_batch_loads: ContextVar[dict | None] = ContextVar("guichet_case_batch_loads", default=None)


def _route_owner_in_batch(batch: dict, *, team: Team, exclude_ids: Iterable[int]) -> User | None:
    members = batch["teams"].get(team.pk)
    if members is None:
        members = batch["teams"][team.pk] = list(_team_loads(team).order_by("id"))
    excluded = set(exclude_ids)
    added = batch["added"]
    candidates = [m for m in members if m.pk not in excluded]
    if not candidates:
        return None
    return min(candidates, key=lambda m: (m.load + added.get(m.pk, 0), m.pk))


def _default_team(category: Category | None) -> Team | None:
    if category is not None and category.team_id:
        return category.team
    return Team.objects.filter(is_default=True).first()


def _check_attachments(attachments: list[NewAttachment] | None) -> None:
    """Refuse oversized files before anything is written (no case, contact, event or file)."""
    for item in attachments or ():
        if len(item.content) > MAX_ATTACHMENT_BYTES:
            limit_mb = max(1, MAX_ATTACHMENT_BYTES // (1024 * 1024))
            raise _field_error(
                "attachments",
                _("%(name)s is larger than %(mb)d MB.") % {"name": item.filename, "mb": limit_mb},
            )


def _store_attachments(contact: Contact, attachments: list[NewAttachment]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for item in attachments:
        digest = hashlib.sha256(item.content).hexdigest()
        attachment = Attachment(
            contact=contact,
            filename=(item.filename or "attachment")[:255],
            content_type=(item.content_type or "application/octet-stream")[:100],
            size=len(item.content),
            sha256=digest,
        )
        # Content-addressed: the same bytes are stored once, however often they are sent.
        name = attachment_path(attachment, item.filename)
        if not storage.exists(name):
            name = storage.save(name, ContentFile(item.content))
        attachment.file.name = name
        attachment.save()


def _record_contact(
    *,
    case: Case,
    kind: str,
    channel: str,
    author_user: User | None,
    author_customer: Customer | None,
    body_text: str,
    body_html: str,
    at: datetime,
    external_id: str = "",
    duration_seconds: int | None = None,
    direction: str | None = None,
    attachments: list[NewAttachment] | None = None,
) -> Contact:
    if direction is None:
        direction = {
            ContactKind.CUSTOMER_MESSAGE: Direction.INBOUND,
            ContactKind.NOTE: Direction.INTERNAL,
        }.get(kind, Direction.OUTBOUND)
    contact = Contact.objects.create(
        case=case,
        kind=kind,
        channel=channel,
        direction=direction,
        author_user=author_user,
        author_customer=author_customer,
        body_text=body_text,
        body_html=body_html,
        external_id=external_id,
        duration_seconds=duration_seconds,
        created_at=at,
    )
    if attachments:
        _store_attachments(contact, attachments)
    event_record(
        case=case,
        kind=EventKind.CONTACT_ADDED,
        actor=author_user,
        at=at,
        contact_id=contact.pk,
        contact_kind=kind,
        channel=channel,
    )
    hooks_emit("contact.created", case_id=case.pk, contact_id=contact.pk)
    return contact


@transaction.atomic
def case_open(
    *,
    actor: User | None,
    customer: Customer,
    subject: str,
    body_text: str = "",
    body_html: str = "",
    channel: str = Channel.PORTAL,
    priority: str = Priority.NORMAL,
    category: Category | None = None,
    team: Team | None = None,
    owner: User | None = None,
    tags: list[str] | None = None,
    external_id: str = "",
    attachments: list[NewAttachment] | None = None,
    at: datetime | None = None,
    follow_up_of: Case | None = None,
) -> Case:
    """Open a case from a customer's first contact and give it a team and a named owner.

    `actor` is whoever typed it in: the customer (portal/API), an agent taking a call, or None
    for a channel acting on its own (inbound email)."""
    at = at or timezone.now()
    subject = _clean_subject(subject)
    body_text, body_html = _clean_body(body_text, body_html)
    _check_choice("channel", channel, Channel)
    _check_choice("priority", priority, Priority)
    _check_attachments(attachments)
    if actor is not None and not actor.is_agent:
        # A customer opens cases only for itself, and cannot choose who handles them.
        if customer.user_id != actor.pk:
            raise _field_error("customer", _("You can only open a case for yourself."))
        owner = None
        team = None
    team = team or (owner.teams.first() if owner else None) or _default_team(category)
    routed: RoutingDecision | None = None
    if owner is not None:
        _check_owner(owner=owner, team=team)
    elif settings.GUICHET_AUTO_ASSIGN:
        # Registered routers first (cases/routing.py: e.g. the customer's advisor), then the
        # least-loaded member of the team.
        routed = routing_decide(
            customer=customer, team=team, category=category, channel=channel, at=at
        )
        if routed is not None:
            owner, team = routed.owner, routed.team or team
        else:
            owner = case_route_owner(team=team)

    number = sequence_next(name=CASE_SEQUENCE)
    case = Case.objects.create(
        number=number,
        reference=case_reference(number),
        subject=subject,
        customer=customer,
        owner=owner,
        team=team,
        status=CaseStatus.NEW,
        priority=priority,
        category=category,
        channel=channel,
        created_at=at,
        updated_at=at,
    )
    if tags:
        case.tags.set(_tags_get_or_create(tags))
    event_record(
        case=case,
        kind=EventKind.CREATED,
        actor=actor,
        at=at,
        channel=channel,
        priority=priority,
        category=category.slug if category else None,
        # A follow-up (e.g. an email answering a closed case) names the case it continues.
        **({"follow_up_of": follow_up_of.reference} if follow_up_of is not None else {}),
    )
    if owner is not None or team is not None:
        default_reason = "chosen" if actor and actor.is_agent and owner else "routing"
        event_record(
            case=case,
            kind=EventKind.ASSIGNED,
            actor=actor if actor and actor.is_agent else None,
            at=at,
            owner_id=owner.pk if owner else None,
            team_id=team.pk if team else None,
            reason=routed.reason if routed is not None else default_reason,
            # A router's details (who was absent, which advisor…) explain its decision.
            **(routed.details if routed is not None else {}),
        )
    try:
        _record_contact(
            case=case,
            kind=ContactKind.CUSTOMER_MESSAGE,
            channel=channel,
            author_user=actor,
            author_customer=customer,
            body_text=body_text,
            body_html=body_html,
            at=at,
            external_id=external_id,
            attachments=attachments,
        )
    except IntegrityError as exc:
        raise Conflict(_("This message was already received."), code="duplicate_contact") from exc
    hooks_emit("case.created", case_id=case.pk)
    return case


def _tags_get_or_create(names: list[str]) -> list[Tag]:
    cleaned = sorted({" ".join(n.split()).lower()[:50] for n in names if n and n.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    return [existing.get(n) or Tag.objects.create(name=n) for n in cleaned]


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock so two concurrent changes cannot both pass a check."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    # Reuse the related rows the caller already loaded (they do not change under this lock's
    # purpose) instead of joining them again: the lock is on every write path.
    for name in ("team", "owner", "customer"):
        field = Case._meta.get_field(name)
        if field.is_cached(case):
            related = field.get_cached_value(case)
            if getattr(related, "pk", None) == getattr(locked, field.attname):
                field.set_cached_value(locked, related)
    return locked


def _set_status(*, case: Case, actor: User | None, new: str, reason: str, at: datetime) -> None:
    old = case.status
    flows.transition_check(old=old, new=new, reason=reason)
    case.status = new
    case.updated_at = at
    if new == CaseStatus.RESOLVED:
        case.resolved_at = at
    elif new == CaseStatus.CLOSED:
        case.closed_at = at
    if flows.is_reopening(old, new):
        case.resolved_at = None
        case.closed_at = None
    case.save(update_fields=["status", "updated_at", "resolved_at", "closed_at"])
    event_record(
        case=case,
        kind=EventKind.REOPENED if flows.is_reopening(old, new) else EventKind.STATUS_CHANGED,
        actor=actor,
        at=at,
        old=old,
        new=new,
        reason=reason.strip(),
    )
    hooks_emit("case.status_changed", case_id=case.pk, old=old, new=new)


@transaction.atomic
def case_change_status(
    *, actor: User, case: Case, status: str, reason: str = "", at: datetime | None = None
) -> Case:
    """Agents move a case through its statuses; a customer may only reopen its own case."""
    case = _lock(case)
    if not actor.is_agent and not flows.is_reopening(case.status, status):
        raise PermissionDenied(_("Only agents can change a case's status."))
    if case.merged_into_id:
        raise Conflict(
            _("This case was merged into another one; work on that one."), code="case_merged"
        )
    _set_status(case=case, actor=actor, new=status, reason=reason, at=at or timezone.now())
    return case


@transaction.atomic
def contact_add(
    *,
    actor: User | None,
    case: Case,
    kind: str,
    body_text: str = "",
    body_html: str = "",
    channel: str | None = None,
    duration_seconds: int | None = None,
    direction: str | None = None,
    external_id: str = "",
    attachments: list[NewAttachment] | None = None,
    at: datetime | None = None,
) -> Contact:
    """Add a message, reply, note or call to a case, and move the case on as people expect:
    a customer writing again reopens a finished case or ends the wait; an agent's first answer
    opens a new case."""
    at = at or timezone.now()
    _check_choice("kind", kind, ContactKind)
    if actor is not None:
        contact_kind_check(user=actor, kind=kind)
    body_text, body_html = _clean_body(body_text, body_html)
    channel = channel or case.channel
    _check_choice("channel", channel, Channel)
    if duration_seconds is not None and duration_seconds < 0:
        raise _field_error("duration_seconds", _("A duration cannot be negative."))
    _check_attachments(attachments)
    case = _lock(case)
    if case.merged_into_id:
        raise Conflict(_("This case was merged into another one; write there."), code="case_merged")
    from_customer = kind == ContactKind.CUSTOMER_MESSAGE
    try:
        with transaction.atomic():
            contact = _record_contact(
                case=case,
                kind=kind,
                channel=channel,
                author_user=actor,
                author_customer=case.customer if from_customer else None,
                body_text=body_text,
                body_html=body_html,
                at=at,
                external_id=external_id,
                duration_seconds=duration_seconds,
                direction=direction,
                attachments=attachments,
            )
    except IntegrityError as exc:
        raise Conflict(_("This message was already received."), code="duplicate_contact") from exc

    if from_customer and case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        _set_status(
            case=case, actor=actor, new=CaseStatus.OPEN, reason="customer wrote again", at=at
        )
    elif from_customer and case.status == CaseStatus.WAITING_CUSTOMER:
        _set_status(case=case, actor=actor, new=CaseStatus.OPEN, reason="customer replied", at=at)
    elif kind in AGENT_RESPONSE_KINDS:
        # A reply, or a call either way, is a human answering: the first response.
        if case.first_response_at is None:
            case.first_response_at = at
        if case.status == CaseStatus.NEW:
            _set_status(case=case, actor=actor, new=CaseStatus.OPEN, reason="", at=at)
    case.updated_at = max(case.updated_at, at)
    case.save(update_fields=["updated_at", "first_response_at"])
    return contact


@transaction.atomic
def case_assign(
    *,
    actor: User,
    case: Case,
    owner: User | None,
    team: Team | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> Case:
    """Give a case to an agent (or leave it unassigned), optionally moving it to another team.

    A change of owner or team after the first assignment is a transfer: it needs a reason,
    and counts in "transfers per case"."""
    agent_required(actor)
    at = at or timezone.now()
    case = _lock(case)
    new_team = team if team is not None else case.team
    # Assigning to someone outside the current team moves the case to their team.
    if (
        owner is not None
        and team is None
        and case.team is not None
        and not owner.sees_all_teams
        and not owner.teams.filter(pk=case.team_id).exists()
    ):
        # An owner in no team at all keeps the current team, and _check_owner refuses them.
        new_team = owner.teams.first() or case.team
    if owner is not None:
        _check_owner(owner=owner, team=new_team)
    if owner == case.owner and new_team == case.team:
        raise Conflict(_("The case already has this owner and team."), code="assignment_unchanged")
    team_changed = case.team_id is not None and new_team != case.team
    owner_changed = case.owner_id is not None and owner != case.owner
    if owner_changed and owner is None and not team_changed:
        # Back to the team's queue: nobody named any more, so the reason matters.
        kind = EventKind.UNASSIGNED
        if not reason.strip():
            raise _field_error("reason", _("Say why the case goes back to the queue."))
    elif owner_changed or team_changed:
        # A hand-over from one named person (or team) to another counts in "transfers per
        # case", including an agent taking over a colleague's case.
        kind = EventKind.TRANSFERRED
        if owner is not None and owner == actor and not team_changed and not reason.strip():
            reason = "taken over"
        if not reason.strip():
            raise _field_error("reason", _("Say why the case is transferred."))
    else:
        # A pick-up from the queue, or a case nobody routed getting its first team.
        kind = EventKind.ASSIGNED
    previous_owner_id = case.owner_id
    case.owner = owner
    case.team = new_team
    case.updated_at = at
    case.save(update_fields=["owner", "team", "updated_at"])
    event_record(
        case=case,
        kind=kind,
        actor=actor,
        at=at,
        owner_id=owner.pk if owner else None,
        previous_owner_id=previous_owner_id,
        team_id=new_team.pk if new_team else None,
        reason=reason.strip(),
    )
    hooks_emit(
        "case.assigned",
        case_id=case.pk,
        owner_id=owner.pk if owner else None,
        previous_owner_id=previous_owner_id,
    )
    return case


_UNSET = object()


@transaction.atomic
def case_update(
    *,
    actor: User,
    case: Case,
    subject: str | None = None,
    priority: str | None = None,
    category: Category | object | None = _UNSET,
    tags: list[str] | None = None,
    at: datetime | None = None,
) -> Case:
    """Change a case's subject, priority, category or tags; each change is in the timeline."""
    agent_required(actor)
    at = at or timezone.now()
    case = _lock(case)
    changed: list[str] = []
    tags_changed = False
    if subject is not None:
        subject = _clean_subject(subject)
        if subject != case.subject:
            event_record(
                case=case,
                kind=EventKind.SUBJECT_CHANGED,
                actor=actor,
                at=at,
                old=case.subject,
                new=subject,
            )
            case.subject = subject
            changed.append("subject")
    if priority is not None and priority != case.priority:
        _check_choice("priority", priority, Priority)
        event_record(
            case=case,
            kind=EventKind.PRIORITY_CHANGED,
            actor=actor,
            at=at,
            old=case.priority,
            new=priority,
        )
        case.priority = priority
        changed.append("priority")
    if category is not _UNSET and category != case.category:
        event_record(
            case=case,
            kind=EventKind.CATEGORY_CHANGED,
            actor=actor,
            at=at,
            old=case.category.slug if case.category else None,
            new=category.slug if category else None,  # type: ignore[union-attr]
        )
        case.category = category  # type: ignore[assignment]
        changed.append("category")
    if tags is not None:
        new_tags = _tags_get_or_create(tags)
        old_names = sorted(case.tags.values_list("name", flat=True))
        if [t.name for t in new_tags] != old_names:
            case.tags.set(new_tags)
            tags_changed = True
            event_record(
                case=case,
                kind=EventKind.TAGS_CHANGED,
                actor=actor,
                at=at,
                old=old_names,
                new=[t.name for t in new_tags],
            )
    if changed or tags_changed:
        case.updated_at = at
        case.save(update_fields=[*changed, "updated_at"])
    if {"priority", "category"} & set(changed):
        # Service targets depend on the priority and the category (guichet.sla).
        hooks_emit("case.updated", case_id=case.pk, fields=tuple(changed))
    return case


@transaction.atomic
def case_merge(*, actor: User, source: Case, target: Case, at: datetime | None = None) -> Case:
    """Fold a duplicate into another case of the same customer: its contacts move over, the
    duplicate is closed and points to the case that carries on."""
    agent_required(actor)
    at = at or timezone.now()
    if source.pk == target.pk:
        raise Conflict(_("A case cannot be merged into itself."), code="merge_self")
    # Lock in id order: two people merging A into B and B into A must queue, not deadlock.
    locked = {c.pk: _lock(c) for c in sorted((source, target), key=lambda c: c.pk)}
    source, target = locked[source.pk], locked[target.pk]
    if source.customer_id != target.customer_id:
        raise Conflict(
            _("Only cases of the same customer can be merged."), code="merge_other_customer"
        )
    if source.merged_into_id or target.merged_into_id:
        raise Conflict(_("One of these cases was already merged."), code="already_merged")
    moved = Contact.objects.filter(case=source).update(case=target)
    if source.status != CaseStatus.CLOSED:
        if source.status == CaseStatus.RESOLVED:
            _set_status(case=source, actor=actor, new=CaseStatus.CLOSED, reason="merged", at=at)
        else:
            _set_status(
                case=source,
                actor=actor,
                new=CaseStatus.CLOSED,
                reason=f"merged into {target.reference}",
                at=at,
            )
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    event_record(case=source, kind=EventKind.MERGED, actor=actor, at=at, into=target.reference)
    event_record(
        case=target,
        kind=EventKind.MERGED,
        actor=actor,
        at=at,
        source=source.reference,
        contacts_moved=moved,
    )
    if source.first_response_at and (
        target.first_response_at is None or source.first_response_at < target.first_response_at
    ):
        target.first_response_at = source.first_response_at
    target.created_at = min(target.created_at, source.created_at)
    target.updated_at = at
    target.save(update_fields=["first_response_at", "created_at", "updated_at"])
    return target


@transaction.atomic
def case_reroute(
    *,
    case: Case,
    owner: User | None,
    team: Team | None,
    reason: str,
    details: dict | None = None,
    at: datetime | None = None,
) -> Case:
    """A routing rule, not a person, hands an active case on (guichet.proximity: the customer
    asked for a person and the owner is away). Recorded with the rule's reason and no actor;
    a change of owner counts as a transfer when the case had one, like case_assign."""
    at = at or timezone.now()
    case = _lock(case)
    new_team = team if team is not None else case.team
    if owner is not None:
        _check_owner(owner=owner, team=new_team)
    previous_owner_id = case.owner_id
    changed = owner != case.owner or new_team != case.team
    is_transfer = changed and case.owner_id is not None and owner != case.owner
    case.owner = owner
    case.team = new_team
    case.updated_at = max(case.updated_at, at)
    case.save(update_fields=["owner", "team", "updated_at"])
    event_record(
        case=case,
        kind=EventKind.TRANSFERRED if is_transfer else EventKind.ASSIGNED,
        actor=None,
        at=at,
        owner_id=owner.pk if owner else None,
        previous_owner_id=previous_owner_id,
        team_id=new_team.pk if new_team else None,
        reason=reason,
        **(details or {}),
    )
    if changed:
        hooks_emit(
            "case.assigned",
            case_id=case.pk,
            owner_id=owner.pk if owner else None,
            previous_owner_id=previous_owner_id,
        )
    return case


# --- Many cases at once (a channel's batch) ------------------------------------------------------


@dataclass(frozen=True)
class FollowingMessage:
    """A further message of the customer on a case opened in the same batch."""

    body_text: str
    body_html: str = ""
    external_id: str = ""
    attachments: list[NewAttachment] | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class CaseRequest:
    customer: Customer
    subject: str
    body_text: str = ""
    body_html: str = ""
    channel: str = Channel.PORTAL
    priority: str = Priority.NORMAL
    category: Category | None = None
    team: Team | None = None
    external_id: str = ""
    attachments: list[NewAttachment] | None = None
    at: datetime | None = None
    follow_up_of: Case | None = None
    following: list[FollowingMessage] = field(default_factory=list)


@dataclass(frozen=True)
class OpenedCase:
    case: Case
    contacts: list[Contact]  # the first message, then the following ones, in order


@transaction.atomic
def case_open_many(*, requests: list[CaseRequest]) -> list[OpenedCase]:
    """What `case_open(actor=None, …)` for each request, then `contact_add` of each following
    customer message, would write, in a few queries for the whole list: one block of case
    numbers, one insert per table, the routing reading each team's loads once. For a channel
    opening cases on its own (inbound email): no actor, no chosen owner, no tags.

    All or nothing: the first invalid request raises (ValidationFailed; Conflict for an
    external id already received) and nothing is written."""
    if not requests:
        return []
    cleaned = []
    for request in requests:
        subject = _clean_subject(request.subject)
        body_text, body_html = _clean_body(request.body_text, request.body_html)
        _check_choice("channel", request.channel, Channel)
        _check_choice("priority", request.priority, Priority)
        _check_attachments(request.attachments)
        at = request.at or timezone.now()
        following = []
        for message in request.following:
            text, html = _clean_body(message.body_text, message.body_html)
            _check_attachments(message.attachments)
            following.append((message, text, html, message.at or at))
        cleaned.append((request, subject, body_text, body_html, at, following))

    default_teams: dict[int | None, Team | None] = {}
    token = _batch_loads.set({"teams": {}, "added": {}})
    moments = [at for *_r, at, _f in cleaned]
    try:
        with routing_batch(
            customers=list({r.customer.pk: r.customer for r, *_x in cleaned}.values()),
            starts=min(moments),
            ends=max(moments),
        ):
            routes = _route_many(cleaned, default_teams)
    finally:
        _batch_loads.reset(token)

    first_number = sequence_next(name=CASE_SEQUENCE, count=len(cleaned))
    cases = []
    for index, ((request, subject, _t, _h, at, following), (owner, team, _r)) in enumerate(
        zip(cleaned, routes, strict=True)
    ):
        number = first_number + index
        cases.append(
            Case(
                number=number,
                reference=case_reference(number),
                subject=subject,
                customer=request.customer,
                owner=owner,
                team=team,
                status=CaseStatus.NEW,
                priority=request.priority,
                category=request.category,
                channel=request.channel,
                created_at=at,
                updated_at=max([at, *(f[3] for f in following)]),
            )
        )
    Case.objects.bulk_create(cases)

    contacts: list[Contact] = []
    files: list[tuple[Contact, list[NewAttachment]]] = []
    per_case: list[list[Contact]] = []
    for case, (request, _s, body_text, body_html, at, following) in zip(
        cases, cleaned, strict=True
    ):
        mine = []
        for text, html, external_id, when, attachments in [
            (body_text, body_html, request.external_id, at, request.attachments),
            *((t, h, m.external_id, w, m.attachments) for m, t, h, w in following),
        ]:
            contact = Contact(
                case=case,
                kind=ContactKind.CUSTOMER_MESSAGE,
                channel=request.channel,
                direction=Direction.INBOUND,
                author_user=None,
                author_customer=request.customer,
                body_text=text,
                body_html=html,
                external_id=external_id,
                created_at=when,
            )
            mine.append(contact)
            if attachments:
                files.append((contact, attachments))
        contacts.extend(mine)
        per_case.append(mine)
    try:
        with transaction.atomic():
            Contact.objects.bulk_create(contacts)
    except IntegrityError as exc:
        raise Conflict(_("This message was already received."), code="duplicate_contact") from exc
    for contact, attachments in files:
        _store_attachments(contact, attachments)

    events = []
    for case, mine, (request, _s, _t, _h, at, _f), (owner, team, routed) in zip(
        cases, per_case, cleaned, routes, strict=True
    ):
        follow_up_of = request.follow_up_of
        events.append(
            CaseEvent(
                case=case,
                kind=EventKind.CREATED,
                actor=None,
                created_at=at,
                data={
                    "channel": request.channel,
                    "priority": request.priority,
                    "category": request.category.slug if request.category else None,
                    **({"follow_up_of": follow_up_of.reference} if follow_up_of else {}),
                },
            )
        )
        if owner is not None or team is not None:
            events.append(
                CaseEvent(
                    case=case,
                    kind=EventKind.ASSIGNED,
                    actor=None,
                    created_at=at,
                    data={
                        "owner_id": owner.pk if owner else None,
                        "team_id": team.pk if team else None,
                        "reason": routed.reason if routed is not None else "routing",
                        **(routed.details if routed is not None else {}),
                    },
                )
            )
        for contact in mine:
            events.append(
                CaseEvent(
                    case=case,
                    kind=EventKind.CONTACT_ADDED,
                    actor=None,
                    created_at=contact.created_at,
                    data={
                        "contact_id": contact.pk,
                        "contact_kind": contact.kind,
                        "channel": contact.channel,
                    },
                )
            )
    CaseEvent.objects.bulk_create(events)

    # The events each case_open and contact_add would emit, in their order.
    for case, mine in zip(cases, per_case, strict=True):
        hooks_emit("contact.created", case_id=case.pk, contact_id=mine[0].pk)
        hooks_emit("case.created", case_id=case.pk)
        for contact in mine[1:]:
            hooks_emit("contact.created", case_id=case.pk, contact_id=contact.pk)
    return [OpenedCase(case=c, contacts=m) for c, m in zip(cases, per_case, strict=True)]


def _route_many(cleaned: list, default_teams: dict) -> list:
    """Route the batch's cases one after the other, as case_open does for each."""
    routes: list[tuple[User | None, Team | None, RoutingDecision | None]] = []
    for request, _subject, _text, _html, at, _following in cleaned:
        category = request.category
        team = request.team
        if team is None:
            key = category.pk if category is not None else None
            if key not in default_teams:
                default_teams[key] = _default_team(category)
            team = default_teams[key]
        owner = None
        routed = None
        if settings.GUICHET_AUTO_ASSIGN:
            routed = routing_decide(
                customer=request.customer,
                team=team,
                category=category,
                channel=request.channel,
                at=at,
            )
            if routed is not None:
                owner, team = routed.owner, routed.team or team
            else:
                owner = case_route_owner(team=team)
        if owner is not None:
            added = _batch_loads.get()["added"]  # type: ignore[index]
            added[owner.pk] = added.get(owner.pk, 0) + 1
        routes.append((owner, team, routed))
    return routes
