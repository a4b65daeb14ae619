"""Normal mode: every case is written through the cases services, back-dated with `at=`, so the
contacts and the event log are exactly what the application itself would have recorded."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from guichet.accounts.choices import Role
from guichet.accounts.models import Team, User
from guichet.accounts.services import user_create
from guichet.cases.models import Case, Category
from guichet.cases.services import (
    case_assign,
    case_change_status,
    case_open,
    case_update,
    contact_add,
)
from guichet.customers.models import Customer, CustomerEmail, Organisation
from guichet.customers.services import customer_create
from guichet.demo.hours import to_datetime
from guichet.demo.plans import CUSTOMER, AddContact, Assign, CasePlan, ChangeStatus, Open, Update
from guichet.demo.population import PROFESSIONNEL, CustomerSpec


class ServiceWriter:
    def __init__(self, *, staff_ids: Iterable[int]) -> None:
        self.users = {u.pk: u for u in User.objects.filter(pk__in=list(staff_ids))}
        self.teams = {t.pk: t for t in Team.objects.all()}
        self.categories = {c.pk: c for c in Category.objects.all()}
        self.customers: list[Customer] = []
        self.first_case_id: int | None = None
        self.last_case_id: int | None = None

    # -- customers ---------------------------------------------------------------------------

    def customers_write(self, specs: list[CustomerSpec]) -> None:
        """Through customer_create (and user_create for portal accounts); an address that is
        already known keeps its customer. Dates are then set to when each one joined."""
        known = {
            e.address: e.customer
            for e in CustomerEmail.objects.select_related("customer__user").filter(
                address__in=[s.email for s in specs]
            )
        }
        joined: list[Customer] = []
        with transaction.atomic():
            for spec in specs:
                customer = known.get(spec.email)
                if customer is None:
                    user = None
                    if spec.portal:
                        user = User.objects.filter(email__iexact=spec.email).first() or user_create(
                            email=spec.email,
                            role=Role.CUSTOMER,
                            first_name=spec.first_name,
                            last_name=spec.last_name,
                        )
                    customer = customer_create(
                        name=f"{spec.first_name} {spec.last_name}",
                        email=spec.email,
                        phone=spec.phone,
                        organisation_name=spec.organisation,
                        segment=spec.segment,
                        user=user,
                    )
                    customer.created_at = to_datetime(spec.created_ts)
                    joined.append(customer)
                    if user is not None:
                        User.objects.filter(pk=user.pk).update(date_joined=customer.created_at)
                self.customers.append(customer)
            Customer.objects.bulk_update(joined, ["created_at"], batch_size=500)
            names = {s.organisation for s in specs if s.segment == PROFESSIONNEL}
            Organisation.objects.filter(name__in=names, segment="").update(segment=PROFESSIONNEL)

    # -- cases -------------------------------------------------------------------------------

    def _actor(self, actor: int | None, customer: Customer) -> User | None:
        if actor is None:
            return None
        if actor == CUSTOMER:
            return customer.user
        return self.users[actor]

    def case_write(self, plan: CasePlan) -> Case:
        customer = self.customers[plan.customer]
        case: Case | None = None
        for op in plan.ops:
            actor = self._actor(op.actor, customer)
            at = to_datetime(op.at)
            if isinstance(op, Open):
                case = case_open(
                    actor=actor,
                    customer=customer,
                    subject=op.subject,
                    body_text=op.body,
                    channel=op.channel,
                    priority=op.priority,
                    category=self.categories[op.category],
                    team=self.teams[op.team],
                    owner=self.users[op.owner],
                    tags=list(op.tags),
                    at=at,
                )
                continue
            assert case is not None
            if isinstance(op, AddContact):
                contact_add(
                    actor=actor,
                    case=case,
                    kind=op.kind,
                    body_text=op.body,
                    channel=op.channel,
                    duration_seconds=op.duration,
                    direction=op.direction,
                    at=at,
                )
            elif isinstance(op, ChangeStatus):
                case_change_status(
                    actor=actor, case=case, status=op.status, reason=op.reason, at=at
                )
            elif isinstance(op, Assign):
                case_assign(
                    actor=actor,
                    case=case,
                    owner=self.users[op.owner],
                    team=self.teams[op.team],
                    reason=op.reason,
                    at=at,
                )
            elif isinstance(op, Update):
                case_update(
                    actor=actor,
                    case=case,
                    priority=op.priority or None,
                    **({"category": self.categories[op.category]} if op.category else {}),
                    at=at,
                )
        assert case is not None
        if self.first_case_id is None:
            self.first_case_id = case.pk
        self.last_case_id = case.pk
        return case
