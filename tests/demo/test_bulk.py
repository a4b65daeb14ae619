"""Bulk mode writes what the services would have written."""

import pytest
from django.db import connection

from guichet.accounts.models import Team, User
from guichet.cases.models import Case, CaseEvent, Contact
from guichet.cases.services import case_open
from guichet.customers.models import Customer
from guichet.demo.run import demo_generate
from tests.demo.support import END_TS, demo_wipe

pytestmark = pytest.mark.django_db


def _rows() -> dict:
    """Every demo row, with ids replaced by what they stand for (ids differ between runs)."""
    email = dict(User.objects.values_list("id", "email"))
    team = dict(Team.objects.values_list("id", "slug"))
    customers = [
        (c.name, c.email, c.phone, c.language, c.segment, c.created_at,
         c.organisation.name if c.organisation else None, c.user.email if c.user else None,
         c.user.date_joined if c.user else None)
        for c in Customer.objects.select_related("organisation", "user").order_by("email")
    ]  # fmt: skip
    cases = []
    for case in Case.objects.select_related("customer", "category").order_by("number"):
        contacts = list(Contact.objects.filter(case=case).order_by("created_at", "id"))
        position = {c.pk: i for i, c in enumerate(contacts)}
        events = []
        for e in CaseEvent.objects.filter(case=case).order_by("created_at", "id"):
            data = dict(e.data)
            if "contact_id" in data:
                data["contact_id"] = position[data["contact_id"]]
            for key in ("owner_id", "previous_owner_id"):
                if key in data:
                    data[key] = email.get(data[key])
            if "team_id" in data:
                data["team_id"] = team.get(data["team_id"])
            events.append((e.kind, email.get(e.actor_id), data, e.created_at))
        cases.append({
            "case": (case.number, case.reference, case.subject, case.customer.email,
                     email.get(case.owner_id), team.get(case.team_id), case.status,
                     case.priority, case.category.slug, case.channel, case.created_at,
                     case.updated_at, case.first_response_at, case.resolved_at, case.closed_at,
                     sorted(case.tags.values_list("name", flat=True))),
            "contacts": [(c.kind, c.channel, c.direction, email.get(c.author_user_id),
                          c.author_customer.email if c.author_customer else None, c.body_text,
                          c.body_html, c.external_id, c.duration_seconds, c.created_at)
                         for c in contacts],
            "events": events,
        })  # fmt: skip
    return {"customers": customers, "cases": cases}


def test_bulk_rows_equal_the_rows_the_services_write():
    # given the same stories written through the services, then in bulk into a fresh database
    demo_wipe()
    demo_generate(cases=120, seed=21, end_ts=END_TS, derived=False)
    through_services = _rows()
    demo_wipe()
    demo_generate(cases=120, seed=21, end_ts=END_TS, derived=False, bulk=True)
    in_bulk = _rows()
    # then every case, contact and event is the same, field by field
    assert len(in_bulk["cases"]) == 120
    assert in_bulk["customers"] == through_services["customers"]
    for mine, theirs in zip(in_bulk["cases"], through_services["cases"], strict=True):
        if mine != theirs:
            _debug_diff(mine, theirs)
        assert mine == theirs


def test_two_process_bulk_writes_the_same_rows():
    # given the same bulk load in one process, then with the stories built in a second one
    demo_wipe()
    demo_generate(cases=90, seed=8, end_ts=END_TS, derived=False, bulk=True, batch=25)
    one_process = _rows()
    demo_wipe()
    demo_generate(
        cases=90, seed=8, end_ts=END_TS, derived=False, bulk=True, batch=25, parallel=True
    )
    # then the rows are the same
    assert _rows() == one_process


def test_case_numbers_carry_on_after_a_bulk_load():
    # given a bulk load
    demo_wipe()
    demo_generate(cases=30, seed=2, end_ts=END_TS, derived=False, bulk=True)
    # when the application opens a case afterwards
    customer = Customer.objects.order_by("id").first()
    case = case_open(actor=None, customer=customer, subject="Encore moi", body_text="Bonjour")
    # then it gets the next number and a fresh id
    assert case.number == 31
    assert case.reference == "G-000031"
    assert case.pk > Case.objects.exclude(pk=case.pk).order_by("-pk").first().pk


def test_bulk_adds_to_existing_data_without_clashing():
    # given demo data already there (the same customers' addresses)
    demo_wipe()
    demo_generate(cases=20, seed=4, end_ts=END_TS, derived=False, bulk=True)
    customers = Customer.objects.count()
    # when the bulk load runs again with the same seed
    demo_generate(cases=20, seed=4, end_ts=END_TS, derived=False, bulk=True)
    # then the known customers are reused and the cases are new
    assert Customer.objects.count() == customers
    assert Case.objects.count() == 40
    assert sorted(Case.objects.values_list("number", flat=True)) == list(range(1, 41))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_indexes_and_triggers_are_back_after_a_bulk_load_into_empty_tables(
    django_db_blocker,
):
    from guichet.demo.bulk import deferred_indexes

    def schema() -> set:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN "
                "('cases_case', 'cases_contact', 'cases_caseevent') AND sql IS NOT NULL"
            )
            return set(cursor.fetchall())

    before = schema()
    atomic = connection.in_atomic_block
    connection.in_atomic_block = False  # the per-test transaction hides the real path
    try:
        with (
            pytest.raises(RuntimeError),
            deferred_indexes(["cases_case", "cases_contact", "cases_caseevent"]),
        ):
            assert schema() < before
            raise RuntimeError("load failed")
    finally:
        connection.in_atomic_block = atomic
    assert schema() == before


def _debug_diff(a, b):  # pragma: no cover
    for key in ("case", "contacts", "events"):
        if a[key] != b[key]:
            if key == "case":
                print("CASE", a[key], b[key], sep="\n")
                continue
            for i, (x, y) in enumerate(zip(a[key], b[key], strict=False)):
                if x != y:
                    print(key, i, x, y, sep="\n")
            print(len(a[key]), len(b[key]))
