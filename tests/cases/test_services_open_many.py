"""case_open_many: what case_open (then contact_add) for each request would write, at once."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.cases.choices import Channel, ContactKind
from guichet.cases.models import Case, CaseEvent, Contact
from guichet.cases.services import (
    CaseRequest,
    FollowingMessage,
    case_open,
    case_open_many,
    contact_add,
)
from guichet.core.errors import Conflict, ValidationFailed
from guichet.core.hooks import hooks_captured
from guichet.customers.services import customer_create

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _written() -> list[tuple]:
    """Every case with its owner, team, contacts and events, ids left out."""
    out = []
    for case in Case.objects.order_by("number"):
        events = [
            (e.kind, {k: v for k, v in e.data.items() if k != "contact_id"})
            for e in CaseEvent.objects.filter(case=case).order_by("id")
        ]
        contacts = list(
            Contact.objects.filter(case=case)
            .order_by("id")
            .values_list("kind", "direction", "body_text", "external_id", "author_customer_id")
        )
        row = (case.reference, case.subject, case.owner_id, case.team_id, case.status)
        out.append((*row, tuple(contacts), tuple(events), case.updated_at))
    return out


def _requests(customers, at):
    return [
        CaseRequest(
            customer=customers[i % len(customers)],
            subject=f"Commande {i}",
            body_text=f"Bonjour, commande {i}.",
            channel=Channel.EMAIL,
            external_id=f"<m{i}@example.test>",
            at=at,
            following=(
                [FollowingMessage(body_text="Et aussi…", external_id=f"<f{i}@example.test>", at=at)]
                if i == 2
                else []
            ),
        )
        for i in range(5)
    ]


def test_writes_what_case_open_then_contact_add_would(customer, other_customer, agent, other_agent):
    # Given five requests (the third with a further message), and one agent already loaded
    case_open(actor=None, customer=customer, subject="Avant", body_text="x", owner=agent)
    at = timezone.now()
    requests = _requests([customer, other_customer], at)
    # When they are opened one by one (then undone) and together
    with pytest.raises(_Undo), transaction.atomic():
        with hooks_captured() as one_by_one_events:
            for request in requests:
                case = case_open(
                    actor=None,
                    customer=request.customer,
                    subject=request.subject,
                    body_text=request.body_text,
                    channel=request.channel,
                    external_id=request.external_id,
                    at=request.at,
                )
                for message in request.following:
                    contact_add(
                        actor=None,
                        case=case,
                        kind=ContactKind.CUSTOMER_MESSAGE,
                        channel=Channel.EMAIL,
                        body_text=message.body_text,
                        external_id=message.external_id,
                        at=message.at,
                    )
        one_by_one = _written()
        raise _Undo
    with hooks_captured() as together_events:
        opened = case_open_many(requests=requests)
    # Then the same cases, numbers, owners (least-loaded, counting the batch's own cases),
    # contacts and events are written, and the same hooks are emitted in the same order
    assert _written() == one_by_one
    assert [len(o.contacts) for o in opened] == [1, 1, 2, 1, 1]
    assert [e for e, _p in together_events] == [e for e, _p in one_by_one_events]
    owners = [o.case.owner_id for o in opened]
    assert owners.count(agent.pk) == 2 and owners.count(other_agent.pk) == 3


def test_a_duplicate_external_id_writes_nothing_and_uses_no_number(customer, agent):
    case_open(actor=None, customer=customer, subject="Un", body_text="x", external_id="<dup@x>")
    requests = [
        CaseRequest(customer=customer, subject="Deux", body_text="y", external_id="<new@x>"),
        CaseRequest(customer=customer, subject="Trois", body_text="z", external_id="<dup@x>"),
    ]
    with pytest.raises(Conflict):
        case_open_many(requests=requests)
    assert Case.objects.count() == 1
    assert case_open(actor=None, customer=customer, subject="Quatre", body_text="w").number == 2


def test_an_invalid_request_raises_before_anything_is_written(customer, agent):
    with pytest.raises(ValidationFailed):
        case_open_many(
            requests=[
                CaseRequest(customer=customer, subject="Bon", body_text="x"),
                CaseRequest(customer=customer, subject="   ", body_text="x"),
            ]
        )
    assert Case.objects.count() == 0


def test_queries_do_not_grow_with_the_number_of_cases(customer, agent, other_agent):
    def cost(n: int) -> int:
        customers = [customer_create(name=f"C{n}-{i}", email=f"c{n}-{i}@x.test") for i in range(n)]
        requests = [
            CaseRequest(customer=c, subject="Colis", body_text="Où est-il ?", at=timezone.now())
            for c in customers
        ]
        with CaptureQueriesContext(connection) as queries:
            case_open_many(requests=requests)
        return len(queries)

    cost(1)  # the sequence row exists from now on
    assert cost(20) == cost(5)
