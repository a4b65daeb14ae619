from __future__ import annotations

from django.db.models import Q, QuerySet

from guichet.accounts.models import User
from guichet.core.errors import NotFound
from guichet.customers.models import Customer


def customer_list_for_user(*, user: User, search: str = "") -> QuerySet[Customer]:
    """Agents see every customer (they may be asked about anyone); a customer sees only itself."""
    qs = Customer.objects.select_related("organisation")
    if not user.is_agent:
        qs = qs.filter(user=user)
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(emails__address__icontains=search)
            | Q(organisation__name__icontains=search)
        ).distinct()
    return qs


def customer_get_for_user(*, user: User, customer_id: int) -> Customer:
    customer = customer_list_for_user(user=user).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def customer_for_user(*, user: User) -> Customer | None:
    """The customer record behind a portal account."""
    return Customer.objects.filter(user=user).first()
