"""Advisors (référents): who a customer's advisor and deputy are, the rules that give customers
one with the load balanced across a team, and the bulk reassignment when someone leaves."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import Team, User
from guichet.cases.choices import ACTIVE_STATUSES
from guichet.cases.models import Case
from guichet.cases.services import case_assign
from guichet.core.errors import ValidationFailed
from guichet.customers.models import Customer, Organisation
from guichet.proximity.access import overseer_required
from guichet.proximity.choices import RoutingReason, RuleKind
from guichet.proximity.models import ReferentAssignment, ReferentRule

logger = logging.getLogger(__name__)
STAFF_ROLES = ("agent", "supervisor", "administrator")


def _field_error(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field_name, "message": message}])


# --- Purchase value: a documented hook --------------------------------------------------------
# Guichet has no purchases yet. An app that knows them (an import, a shop connector) registers
# `fn(customer) -> Decimal | None` here; "customers above a purchase value" rules then match.
# With no provider registered those rules match nobody (and say so in the admin help).
_purchase_value_providers: list[Callable[[Customer], Decimal | None]] = []


def purchase_value_register(provider: Callable[[Customer], Decimal | None]) -> None:
    if provider not in _purchase_value_providers:
        _purchase_value_providers.append(provider)


def purchase_value_unregister(provider: Callable[[Customer], Decimal | None]) -> None:
    if provider in _purchase_value_providers:
        _purchase_value_providers.remove(provider)


def customer_purchase_value(customer: Customer) -> Decimal | None:
    values = [v for v in (p(customer) for p in _purchase_value_providers) if v is not None]
    return max(values) if values else None


# --- Reading the current advisor -------------------------------------------------------------


def assignment_current(customer: Customer) -> ReferentAssignment | None:
    """The customer's own advisor, else their organisation's."""
    from guichet.proximity.services.batch import batch_reads

    reads = batch_reads()
    if reads is not None and reads.covers(customer):
        return reads.assignment(customer)
    own = (
        ReferentAssignment.objects.select_related("referent", "deputy", "team")
        .filter(customer=customer, ended_at__isnull=True)
        .first()
    )
    if own is not None or customer.organisation_id is None:
        return own
    return (
        ReferentAssignment.objects.select_related("referent", "deputy", "team")
        .filter(organisation_id=customer.organisation_id, ended_at__isnull=True)
        .first()
    )


# --- Rules -------------------------------------------------------------------------------------


def _had_complaint(customer: Customer) -> bool:
    if not apps.is_installed("guichet.quality"):
        return False
    complaint = apps.get_model("quality", "Complaint")
    return complaint.objects.filter(case__customer=customer).exists()


def rule_matches(rule: ReferentRule, customer: Customer) -> bool:
    if rule.kind == RuleKind.ALL:
        return True
    if rule.kind == RuleKind.ORGANISATION:
        return customer.organisation_id is not None and customer.organisation_id == (
            rule.organisation_id
        )
    if rule.kind == RuleKind.SEGMENT:
        segments = {customer.segment}
        if customer.organisation_id:
            segments.add(customer.organisation.segment)
        return rule.segment in segments - {""}
    if rule.kind == RuleKind.AFTER_COMPLAINT:
        return _had_complaint(customer)
    if rule.kind == RuleKind.PURCHASE_VALUE:
        value = customer_purchase_value(customer)
        return (
            value is not None
            and rule.min_purchase_value is not None
            and (value >= rule.min_purchase_value)
        )
    return False


def rule_for_customer(customer: Customer) -> ReferentRule | None:
    from guichet.proximity.services.batch import batch_reads

    reads = batch_reads()
    rules = (
        reads.rules
        if reads is not None
        else ReferentRule.objects.filter(is_active=True).select_related("team")
    )
    for rule in rules:
        if rule_matches(rule, customer):
            return rule
    return None


def _candidates(team: Team, exclude_ids: set[int]) -> list[User]:
    """Active team members by how many customers they are advisor of (fewest first): the load
    balance. Organisation-wide assignments count once."""
    return list(
        team.members.filter(is_active=True, role__in=STAFF_ROLES)
        .exclude(pk__in=exclude_ids)
        .annotate(
            load=Count(
                "advised_assignments",
                filter=Q(advised_assignments__ended_at__isnull=True),
                distinct=True,
            )
        )
        .order_by("load", "id")
    )


def balanced_pair(
    team: Team, *, exclude_ids: set[int] | None = None, with_deputy: bool = True
) -> tuple[User | None, User | None]:
    """The least-loaded member as advisor and the next one as deputy."""
    people = _candidates(team, set(exclude_ids or ()))
    referent = people[0] if people else None
    deputy = people[1] if with_deputy and len(people) > 1 else None
    return referent, deputy


# --- Writing assignments ----------------------------------------------------------------------


def _check_agent(user: User | None, field_name: str) -> None:
    if user is not None and not user.is_agent:
        raise _field_error(field_name, _("An advisor must be an active agent."))


def _end_current(*, customer: Customer | None, organisation: Organisation | None, at, reason):
    ReferentAssignment.objects.filter(
        customer=customer, organisation=organisation, ended_at__isnull=True
    ).update(ended_at=at, end_reason=reason[:200])


def _create(
    *,
    customer: Customer | None,
    organisation: Organisation | None,
    referent: User,
    deputy: User | None,
    team: Team | None,
    rule: ReferentRule | None,
    actor: User | None,
    at: datetime,
) -> ReferentAssignment:
    return ReferentAssignment.objects.create(
        customer=customer,
        organisation=organisation,
        referent=referent,
        deputy=deputy,
        team=team or referent.teams.first(),
        rule=rule,
        assigned_by=actor,
        assigned_at=at,
    )


@transaction.atomic
def referent_assign(
    *,
    actor: User,
    referent: User,
    customer: Customer | None = None,
    organisation: Organisation | None = None,
    deputy: User | None = None,
    team: Team | None = None,
    at: datetime | None = None,
) -> ReferentAssignment:
    """Name a customer's (or an organisation's) advisor and deputy; the previous ones end."""
    overseer_required(actor)
    at = at or timezone.now()
    if (customer is None) == (organisation is None):
        raise _field_error("customer", _("Name either a customer or an organisation."))
    _check_agent(referent, "referent")
    _check_agent(deputy, "deputy")
    if deputy is not None and deputy.pk == referent.pk:
        raise _field_error("deputy", _("The deputy must be someone else than the advisor."))
    _end_current(customer=customer, organisation=organisation, at=at, reason="replaced")
    return _create(
        customer=customer,
        organisation=organisation,
        referent=referent,
        deputy=deputy,
        team=team,
        rule=None,
        actor=actor,
        at=at,
    )


@transaction.atomic
def referent_end(
    *,
    actor: User,
    customer: Customer | None = None,
    organisation: Organisation | None = None,
    at: datetime | None = None,
) -> int:
    overseer_required(actor)
    at = at or timezone.now()
    return ReferentAssignment.objects.filter(
        customer=customer, organisation=organisation, ended_at__isnull=True
    ).update(ended_at=at, end_reason="ended")


def referent_assign_by_rules(
    *, customer: Customer, at: datetime, actor: User | None = None
) -> ReferentAssignment | None:
    """Give the customer an advisor if a rule says so and they have none yet."""
    if assignment_current(customer) is not None:
        return None
    rule = rule_for_customer(customer)
    if rule is None:
        return None
    referent, deputy = balanced_pair(rule.team, with_deputy=rule.with_deputy)
    if referent is None:
        return None
    with transaction.atomic():
        created = _create(
            customer=customer,
            organisation=None,
            referent=referent,
            deputy=deputy,
            team=rule.team,
            rule=rule,
            actor=actor,
            at=at,
        )
    from guichet.proximity.services.batch import batch_reads

    reads = batch_reads()
    if reads is not None and reads.covers(customer):
        reads.own[customer.pk] = created  # the customer's next case in the batch sees it
    return created


@dataclass
class RulesOutcome:
    assigned: int = 0
    ended: int = 0


@transaction.atomic
def referent_rules_apply(
    *, actor: User, end_unmatched: bool = True, at: datetime | None = None
) -> RulesOutcome:
    """Run the rules over every customer: those who match and have no advisor get one (load
    balanced); with `end_unmatched`, advisors given by a rule end for customers no rule matches
    any more. Advisors named by hand are never touched."""
    overseer_required(actor)
    at = at or timezone.now()
    outcome = RulesOutcome()
    if end_unmatched:
        made_by_rules = ReferentAssignment.objects.filter(
            ended_at__isnull=True, rule__isnull=False, customer__isnull=False
        ).select_related("customer__organisation")
        for assignment in made_by_rules:
            if rule_for_customer(assignment.customer) is None:
                assignment.ended_at = at
                assignment.end_reason = "no rule matches"
                assignment.save(update_fields=["ended_at", "end_reason"])
                outcome.ended += 1
    covered = ReferentAssignment.objects.filter(ended_at__isnull=True)
    without = Customer.objects.select_related("organisation").exclude(
        Q(pk__in=covered.filter(customer__isnull=False).values("customer_id"))
        | Q(organisation_id__in=covered.filter(organisation__isnull=False).values("organisation"))
    )
    for customer in without.order_by("id").iterator(chunk_size=500):
        if referent_assign_by_rules(customer=customer, at=at, actor=actor) is not None:
            outcome.assigned += 1
    return outcome


def on_complaint_opened(*, complaint_id: int, **_payload) -> None:
    """After commit of a new complaint: "customers after a complaint" rules apply at once."""
    complaint = apps.get_model("quality", "Complaint")
    row = complaint.objects.select_related("case__customer__organisation").filter(pk=complaint_id)
    found = row.first()
    if found is not None:
        referent_assign_by_rules(customer=found.case.customer, at=timezone.now())


# --- Someone leaves ---------------------------------------------------------------------------


@dataclass
class ReassignOutcome:
    referents_changed: int = 0
    deputies_changed: int = 0
    customers_told: int = 0
    cases_moved: int = 0
    unassigned: list[int] = field(default_factory=list)


def _customers_of(assignment: ReferentAssignment) -> list[Customer]:
    if assignment.customer_id:
        return [assignment.customer]
    covered_alone = ReferentAssignment.objects.filter(
        ended_at__isnull=True, customer__isnull=False
    ).values("customer_id")
    return list(
        Customer.objects.filter(organisation_id=assignment.organisation_id).exclude(
            pk__in=covered_alone
        )
    )


def _tell_customer(customer: Customer, *, referent: User, message: str) -> bool:
    if not customer.email:
        return False

    def send() -> None:
        from guichet.proximity.selectors import advisor_card

        with translation.override(customer.language or settings.LANGUAGE_CODE):
            context = {
                "customer": customer,
                "advisor": advisor_card(referent),
                "message": message,
                "base_url": settings.GUICHET_BASE_URL,
            }
            subject = render_to_string("proximity/email/advisor_changed_subject.txt", context)
            body = render_to_string("proximity/email/advisor_changed.txt", context)
        EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[customer.email],
            reply_to=[settings.GUICHET_SUPPORT_EMAIL],
        ).send()

    transaction.on_commit(send, robust=True)
    return True


@transaction.atomic
def referents_reassign(
    *,
    actor: User,
    leaving: User,
    to: User | None = None,
    message: str = "",
    move_cases: bool = True,
    at: datetime | None = None,
) -> ReassignOutcome:
    """Someone leaves (or changes job): each customer they advise gets a new advisor — `to`,
    or the least-loaded colleague of the assignment's team — and a message saying so; where
    they were deputy, a new deputy is named. With `move_cases`, their open cases follow."""
    overseer_required(actor)
    at = at or timezone.now()
    _check_agent(to, "to")
    if to is not None and to.pk == leaving.pk:
        raise _field_error("to", _("Choose someone else than the person leaving."))
    message = (message or "").strip()
    if len(message) > 2000:
        raise _field_error("message", _("At most 2,000 characters."))
    outcome = ReassignOutcome()
    new_referent_of: dict[int, User] = {}
    current = ReferentAssignment.objects.filter(ended_at__isnull=True).select_related(
        "customer", "organisation", "referent", "deputy", "team", "rule"
    )
    for old in current.filter(Q(referent=leaving) | Q(deputy=leaving)).order_by("id"):
        team = old.team or (old.rule.team if old.rule else None) or leaving.teams.first()
        referent, deputy = old.referent, old.deputy
        if old.referent_id == leaving.pk:
            referent = to
            if referent is None and team is not None:
                referent, _unused = balanced_pair(team, exclude_ids={leaving.pk}, with_deputy=False)
            if referent is None:
                outcome.unassigned.append(old.pk)
                continue
            if deputy is not None and deputy.pk in (referent.pk, leaving.pk):
                deputy = None
        if deputy is None or deputy.pk == leaving.pk:
            deputy = None
            if team is not None:
                others = _candidates(team, {leaving.pk, referent.pk})
                deputy = others[0] if others else None
        old.ended_at = at
        old.end_reason = RoutingReason.ADVISOR_LEFT.value
        old.save(update_fields=["ended_at", "end_reason"])
        new = _create(
            customer=old.customer,
            organisation=old.organisation,
            referent=referent,
            deputy=deputy,
            team=team,
            rule=old.rule,
            actor=actor,
            at=at,
        )
        if old.referent_id == leaving.pk:
            outcome.referents_changed += 1
            for customer in _customers_of(new):
                new_referent_of[customer.pk] = referent
                outcome.customers_told += int(
                    _tell_customer(customer, referent=referent, message=message)
                )
        else:
            outcome.deputies_changed += 1
    if move_cases:
        cases = Case.objects.select_related("team", "customer").filter(
            owner=leaving, status__in=ACTIVE_STATUSES, merged_into__isnull=True
        )
        for case in cases.order_by("id"):
            owner = new_referent_of.get(case.customer_id) or to
            if owner is None and case.team is not None:
                owner, _unused = balanced_pair(case.team, exclude_ids={leaving.pk})
            if owner is None:
                continue
            case_assign(
                actor=actor,
                case=case,
                owner=owner,
                reason=_("Advisor left: %(name)s") % {"name": leaving.display_name},
                at=at,
            )
            outcome.cases_moved += 1
    return outcome
