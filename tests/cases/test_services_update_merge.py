"""case_update (each change in the timeline) and case_merge (same customer, contacts moved)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guichet.cases import services
from guichet.cases.choices import CaseStatus, ContactKind, EventKind
from guichet.cases.models import Case, CaseEvent, Category, Contact
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.cases.conftest import case_new, counts

pytestmark = pytest.mark.django_db

S = CaseStatus


def _events(case, kind) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=kind).order_by("id"))


# --- case_update --------------------------------------------------------------------------


def test_priority_change_is_recorded(case, agent):
    case = services.case_update(actor=agent, case=case, priority="urgent")
    assert case.priority == "urgent"
    [event] = _events(case, EventKind.PRIORITY_CHANGED)
    assert (event.actor, event.data) == (agent, {"old": "normal", "new": "urgent"})


def test_same_priority_records_nothing(case, agent):
    before = counts()
    services.case_update(actor=agent, case=case, priority="normal")
    assert counts() == before


def test_unknown_priority_is_refused(case, agent):
    with pytest.raises(ValidationFailed) as caught:
        services.case_update(actor=agent, case=case, priority="asap")
    assert caught.value.details[0]["field"] == "priority"
    assert not _events(case, EventKind.PRIORITY_CHANGED)


def test_category_change_is_recorded(case, agent, category):
    case = services.case_update(actor=agent, case=case, category=category)
    assert case.category == category
    [event] = _events(case, EventKind.CATEGORY_CHANGED)
    assert event.data == {"old": None, "new": "livraison"}


def test_category_can_be_cleared(customer, agent, category):
    case = case_new(customer=customer, category=category)
    case = services.case_update(actor=agent, case=case, category=None)
    assert Case.objects.get(pk=case.pk).category is None
    assert _events(case, EventKind.CATEGORY_CHANGED)[0].data == {"old": "livraison", "new": None}


def test_category_left_out_is_left_alone(customer, agent, category):
    case = case_new(customer=customer, category=category)
    services.case_update(actor=agent, case=case, priority="high")
    assert Case.objects.get(pk=case.pk).category == category


def test_tags_change_is_recorded_and_bumps_updated_at(case, agent):
    later = case.updated_at + timedelta(minutes=5)
    case = services.case_update(actor=agent, case=case, tags=["VIP", "colis"], at=later)
    [event] = _events(case, EventKind.TAGS_CHANGED)
    assert event.data == {"old": [], "new": ["colis", "vip"]}
    assert Case.objects.get(pk=case.pk).updated_at == later


def test_same_tags_record_nothing(case, agent):
    services.case_update(actor=agent, case=case, tags=["vip"])
    before = counts()
    services.case_update(actor=agent, case=case, tags=["VIP "])
    assert counts() == before


def test_subject_change_is_saved_cleaned(case, agent):
    services.case_update(actor=agent, case=case, subject="  Colis   abîmé ")
    assert Case.objects.get(pk=case.pk).subject == "Colis abîmé"


def test_subject_change_is_in_the_timeline(case, agent):
    old = case.subject
    services.case_update(actor=agent, case=case, subject="Colis abîmé")
    event = case.events.order_by("-created_at", "-id").first()
    assert event.kind == "subject_changed"
    assert event.data == {"old": old, "new": "Colis abîmé"}
    assert event.actor == agent


def test_blank_subject_is_refused(case, agent):
    with pytest.raises(ValidationFailed) as caught:
        services.case_update(actor=agent, case=case, subject="  ")
    assert caught.value.details[0]["field"] == "subject"


def test_a_failed_update_changes_nothing(case, agent):
    # when a valid priority comes with an invalid subject
    with pytest.raises(ValidationFailed):
        services.case_update(actor=agent, case=case, priority="urgent", subject="")
    # then not even the priority event is kept
    assert Case.objects.get(pk=case.pk).priority == "normal"
    assert not _events(case, EventKind.PRIORITY_CHANGED)


def test_customer_cannot_update(case, customer):
    with pytest.raises(PermissionDenied):
        services.case_update(actor=customer.user, case=case, priority="urgent")


def test_category_change_keeps_the_team(case, agent, other_team, team):
    billing = Category.objects.create(name="Facturation", slug="facturation", team=other_team)
    case = services.case_update(actor=agent, case=case, category=billing)
    # re-routing is an explicit transfer, never a side effect of a category edit
    assert Case.objects.get(pk=case.pk).team == team


# --- case_merge ---------------------------------------------------------------------------


@pytest.fixture
def duplicate_pair(customer, agent):
    target = case_new(customer=customer, subject="Colis non reçu")
    source = case_new(customer=customer, subject="Toujours pas de colis")
    services.contact_add(actor=agent, case=source, kind=ContactKind.NOTE, body_text="Doublon")
    return source, target


def test_merge_moves_contacts_and_closes_the_duplicate(duplicate_pair, agent):
    source, target = duplicate_pair
    source_contacts = set(Contact.objects.filter(case=source).values_list("id", flat=True))
    # when the duplicate is merged into the first case
    result = services.case_merge(actor=agent, source=source, target=target)
    source.refresh_from_db()
    # then its contacts are on the target, and it is closed and points to the target
    assert result == target
    assert source_contacts <= set(Contact.objects.filter(case=target).values_list("id", flat=True))
    assert not Contact.objects.filter(case=source).exists()
    assert (source.status, source.merged_into) == (S.CLOSED, target)
    assert source.closed_at is not None


def test_merge_is_recorded_on_both_cases(duplicate_pair, agent):
    source, target = duplicate_pair
    services.case_merge(actor=agent, source=source, target=target)
    [on_source] = _events(source, EventKind.MERGED)
    [on_target] = _events(target, EventKind.MERGED)
    assert on_source.data == {"into": target.reference}
    assert on_target.data == {"source": source.reference, "contacts_moved": 2}
    closed = _events(source, EventKind.STATUS_CHANGED)[-1]
    assert closed.data["new"] == S.CLOSED
    assert target.reference in closed.data["reason"]


def test_merge_keeps_the_earliest_first_response(customer, agent):
    target = case_new(customer=customer)
    source = case_new(customer=customer, at=target.created_at - timedelta(days=1))
    early = source.created_at + timedelta(minutes=10)
    services.contact_add(
        actor=agent, case=source, kind=ContactKind.REPLY, body_text="Oui", at=early
    )
    target = services.case_merge(actor=agent, source=source, target=target)
    assert target.first_response_at == early
    assert target.created_at == source.created_at


def test_merge_of_a_resolved_duplicate_closes_it(duplicate_pair, agent):
    source, target = duplicate_pair
    services.case_change_status(actor=agent, case=source, status=S.RESOLVED)
    services.case_merge(actor=agent, source=source, target=target)
    source.refresh_from_db()
    assert source.status == S.CLOSED


def test_merge_of_a_closed_duplicate_keeps_it_closed(duplicate_pair, agent):
    source, target = duplicate_pair
    services.case_change_status(actor=agent, case=source, status=S.CLOSED, reason="spam")
    services.case_merge(actor=agent, source=source, target=target)
    source.refresh_from_db()
    assert (source.status, source.merged_into) == (S.CLOSED, target)


def test_merge_across_customers_is_refused_and_changes_nothing(case, other_case, agent):
    before = counts()
    with pytest.raises(Conflict) as caught:
        services.case_merge(actor=agent, source=other_case, target=case)
    assert caught.value.code == "merge_other_customer"
    assert counts() == before
    other_case.refresh_from_db()
    assert (other_case.status, other_case.merged_into) == (S.NEW, None)


def test_merge_into_itself_is_refused(case, agent):
    with pytest.raises(Conflict) as caught:
        services.case_merge(actor=agent, source=case, target=case)
    assert caught.value.code == "merge_self"


def test_merging_twice_is_refused(duplicate_pair, agent, customer):
    source, target = duplicate_pair
    services.case_merge(actor=agent, source=source, target=target)
    third = case_new(customer=customer)
    with pytest.raises(Conflict) as caught:
        services.case_merge(actor=agent, source=source, target=third)
    assert caught.value.code == "already_merged"
    with pytest.raises(Conflict):
        services.case_merge(actor=agent, source=third, target=source)


def test_customer_cannot_merge(duplicate_pair, customer):
    source, target = duplicate_pair
    with pytest.raises(PermissionDenied):
        services.case_merge(actor=customer.user, source=source, target=target)


@pytest.mark.parametrize("status", [S.OPEN, S.RESOLVED])
def test_a_merged_case_cannot_change_status(duplicate_pair, agent, status):
    # given a duplicate merged (closed, pointing to the case that carries on)
    source, target = duplicate_pair
    services.case_merge(actor=agent, source=source, target=target)
    before = counts()
    # when someone tries to reopen or move it, then it is refused: work goes on the target
    with pytest.raises(Conflict) as caught:
        services.case_change_status(actor=agent, case=source, status=status, reason="x")
    assert caught.value.code == "case_merged"
    source.refresh_from_db()
    assert source.status == S.CLOSED
    assert counts() == before


@pytest.mark.django_db(transaction=True)
def test_crossed_merges_do_not_deadlock(customer, agent):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks matter on PostgreSQL; SQLite serialises writers (IMMEDIATE)")
    # given two duplicates merged into each other at the same instant, from two screens
    a, b = case_new(customer=customer), case_new(customer=customer)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def merge(source, target) -> None:
        try:
            barrier.wait(timeout=10)
            services.case_merge(actor=agent, source=source, target=target)
            outcomes.append("merged")
        except Conflict as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a deadlock would land here
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=merge, args=(a, b)),
        threading.Thread(target=merge, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then one merge wins and the other is told the case was already merged
    assert sorted(outcomes) == ["already_merged", "merged"]
