from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from guichet.core.errors import PermissionDenied
from guichet.core.pagination import keyset_page
from guichet.customers import selectors, services
from guichet.customers.schemas import CustomerIn, CustomerOut, CustomerPage

router = Router()


class CustomerQuery(Schema):
    search: str = ""
    cursor: str | None = None
    limit: int = 50


@router.get("", response=CustomerPage, summary="List customers (agents) or yourself (customer)")
def list_customers(request: HttpRequest, query: Query[CustomerQuery]):
    limit = max(1, min(query.limit, 200))
    qs = selectors.customer_list_for_user(user=request.auth, search=query.search.strip())
    items, next_cursor = keyset_page(qs, field="created_at", cursor=query.cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("", response={201: CustomerOut}, summary="Create a customer (agents)")
def create_customer(request: HttpRequest, payload: CustomerIn):
    if not request.auth.is_agent:
        raise PermissionDenied("Only agents can create customers.")
    customer = services.customer_create(
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        language=payload.language,
        organisation_name=payload.organisation,
        segment=payload.segment,
    )
    return Status(201, customer)


@router.get("/{int:customer_id}", response=CustomerOut, summary="One customer")
def get_customer(request: HttpRequest, customer_id: int):
    return selectors.customer_get_for_user(user=request.auth, customer_id=customer_id)
