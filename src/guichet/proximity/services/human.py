"""“Talk to a person”: a customer who asks for a human gets one at once. The request joins the
case's conversation, the case is flagged (HumanRequest) and given to someone present — its owner
when they are here, else the advisor, the deputy or the least-loaded colleague — and that person
is told by email. The routing decision goes into the case's event log like any other."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import AGENT_RESPONSE_KINDS, Channel, ContactKind
from guichet.cases.models import Case, Contact
from guichet.cases.services import case_reroute, case_route_owner, contact_add
from guichet.core.errors import PermissionDenied
from guichet.proximity.choices import RoutingReason
from guichet.proximity.models import HumanRequest
from guichet.proximity.services.absences import absent_ids
from guichet.proximity.services.callbacks import _mail, _plan_url
from guichet.proximity.services.routing import route_for_customer


def _person_for(case: Case, at: datetime) -> tuple[User | None, dict]:
    owner = case.owner
    if owner is not None and owner.is_agent and not absent_ids(agent_ids=[owner.pk], at=at):
        return owner, {"kept": True}
    decision = route_for_customer(customer=case.customer, team=case.team, at=at)
    if decision is not None and decision.owner is not None:
        return decision.owner, {"via": decision.reason, **decision.details}
    away = (
        absent_ids(agent_ids=case.team.members.values_list("pk", flat=True), at=at)
        if (case.team_id)
        else set()
    )
    return case_route_owner(team=case.team, exclude_ids=away), {"absent_ids": sorted(away)}


@transaction.atomic
def human_request(
    *,
    actor: User | None,
    case: Case,
    message: str = "",
    channel: str = Channel.PORTAL,
    at: datetime | None = None,
) -> HumanRequest:
    """`actor`: the customer (portal), None (a link in an email), or an agent noting that the
    customer asked for a person on another channel."""
    at = at or timezone.now()
    if actor is not None and not actor.is_agent and case.customer.user_id != actor.pk:
        raise PermissionDenied(_("You can only ask about your own requests."))
    contact_add(
        actor=actor,
        case=case,
        kind=ContactKind.CUSTOMER_MESSAGE,
        body_text=(message or "").strip() or _("I would like to talk to a person."),
        channel=channel,
        at=at,
    )
    case.refresh_from_db()
    person, details = _person_for(case, at)
    if person is not None:
        case = case_reroute(
            case=case,
            owner=person,
            team=None if person.sees_all_teams or case.team is None else _team(case, person),
            reason=RoutingReason.HUMAN_REQUESTED.value,
            details=details,
            at=at,
        )
    request = HumanRequest.objects.create(
        case=case,
        requested_by=actor,
        channel=channel,
        routed_to=person,
        reason=RoutingReason.HUMAN_REQUESTED.value,
        requested_at=at,
    )
    if person is not None and person.email:
        _mail(
            person.email,
            person.language,
            "proximity/email/human_requested.txt",
            {"case": case, "person": person, "url": _case_url(case), "plan_url": _plan_url()},
        )
    return request


def _team(case: Case, person: User):
    if person.teams.filter(pk=case.team_id).exists():
        return None
    return person.teams.first()


def _case_url(case: Case) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return settings.GUICHET_BASE_URL + reverse("workspace:case", args=[case.reference])
    except NoReverseMatch:
        return settings.GUICHET_BASE_URL


def on_contact_created(*, case_id: int, contact_id: int, **_payload) -> None:
    """An agent answered (reply or call): the case's open requests for a person are answered."""
    contact = Contact.objects.filter(pk=contact_id).only("kind", "created_at").first()
    if contact is None or contact.kind not in AGENT_RESPONSE_KINDS:
        return
    HumanRequest.objects.filter(
        case_id=case_id, handled_at__isnull=True, requested_at__lte=contact.created_at
    ).update(handled_at=contact.created_at)
