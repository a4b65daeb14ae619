"""What the metrics rely on holds for demo data written through the services and in bulk alike
(the `demo` fixture runs each module once per mode)."""

from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise

import pytest
from django.db.models import Count, Min, Q

from guichet.cases.choices import AGENT_RESPONSE_KINDS, CaseStatus, ContactKind, EventKind
from guichet.cases.models import Case, CaseEvent, Contact
from guichet.demo.hours import PARIS, to_datetime
from tests.demo.support import END_TS

pytestmark = pytest.mark.django_db

STATUS_EVENTS = (EventKind.STATUS_CHANGED, EventKind.REOPENED)


def _events_by_case(*kinds):
    rows = defaultdict(list)
    for e in CaseEvent.objects.filter(kind__in=kinds).order_by("created_at", "id"):
        rows[e.case_id].append(e)
    return rows


def test_the_requested_number_of_cases_is_written(demo):
    assert Case.objects.count() == demo.cases


def test_every_case_has_one_created_event_first(demo):
    created = CaseEvent.objects.filter(kind=EventKind.CREATED)
    assert created.count() == Case.objects.count()
    assert not Case.objects.annotate(n=Count("events", filter=Q(events__kind="created"))).exclude(
        n=1
    )
    first = CaseEvent.objects.values("case").annotate(first=Min("created_at"))
    created_at = dict(created.values_list("case", "created_at"))
    assert all(row["first"] == created_at[row["case"]] for row in first)


def test_case_created_at_is_its_first_customer_contact(demo):
    first = dict(
        Contact.objects.values("case").annotate(t=Min("created_at")).values_list("case", "t")
    )
    for case_id, created_at in Case.objects.values_list("id", "created_at"):
        assert first[case_id] == created_at


def test_resolved_at_is_the_time_of_the_last_move_to_resolved(demo):
    status = _events_by_case(*STATUS_EVENTS)
    checked = 0
    for case in Case.objects.exclude(resolved_at=None):
        to_resolved = [e for e in status[case.pk] if e.data["new"] == CaseStatus.RESOLVED]
        assert to_resolved, case.reference
        assert to_resolved[-1].created_at == case.resolved_at
        checked += 1
    assert checked > demo.cases / 2  # most older cases are resolved or closed


def test_status_is_where_the_last_status_event_left_it(demo):
    status = _events_by_case(*STATUS_EVENTS)
    for case in Case.objects.all():
        events = status[case.pk]
        assert case.status == (events[-1].data["new"] if events else CaseStatus.NEW)
        assert (case.closed_at is not None) == (case.status == CaseStatus.CLOSED)
        assert (case.resolved_at is not None) == (
            case.status == CaseStatus.RESOLVED
            or (case.status == CaseStatus.CLOSED and events[-2:-1] != []
                and events[-2].data["new"] == CaseStatus.RESOLVED)
        )  # fmt: skip


def test_first_response_is_the_first_reply_or_call(demo):
    first = dict(
        Contact.objects.filter(kind__in=AGENT_RESPONSE_KINDS)
        .values("case")
        .annotate(t=Min("created_at"))
        .values_list("case", "t")
    )
    for case_id, first_response_at in Case.objects.values_list("id", "first_response_at"):
        assert first.get(case_id) == first_response_at


def test_every_contact_has_its_contact_added_event(demo):
    contacts = dict(Contact.objects.values_list("id", "created_at"))
    events = CaseEvent.objects.filter(kind=EventKind.CONTACT_ADDED)
    assert {e.data["contact_id"]: e.created_at for e in events} == contacts


def test_reopened_cases_have_a_reopened_event(demo):
    # given cases where the customer came back after a resolution
    reopened = set(CaseEvent.objects.filter(kind=EventKind.REOPENED).values_list("case", flat=True))
    assert reopened, "some cases are reopened"
    share = len(reopened) / Case.objects.exclude(first_response_at=None).count()
    assert 0.02 < share < 0.2
    for case_id, events in _events_by_case(*STATUS_EVENTS).items():
        for before, after in pairwise(events):
            if (
                before.data["new"] in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
                and after.data["new"] == CaseStatus.OPEN
            ):
                assert after.kind == EventKind.REOPENED
                assert case_id in reopened


def test_transfers_are_recorded_with_a_reason(demo):
    transfers = CaseEvent.objects.filter(kind=EventKind.TRANSFERRED)
    share = transfers.values("case").distinct().count() / demo.cases
    assert 0.03 < share < 0.2
    assert all(t.data["reason"] for t in transfers)


def test_repeat_contacts_come_back_within_seven_days_in_a_new_case(demo):
    # given resolved cases, then a new case of the same customer and category within 7 days
    cases = list(Case.objects.order_by("created_at").values(
        "id", "customer", "category", "created_at", "resolved_at"
    ))  # fmt: skip
    repeats = 0
    for case in cases:
        if case["resolved_at"] is None:
            continue
        repeats += any(
            other["customer"] == case["customer"]
            and other["category"] == case["category"]
            and case["resolved_at"] < other["created_at"] <= case["resolved_at"] + timedelta(days=7)
            for other in cases
        )
    assert repeats >= 5


def test_email_is_the_main_channel_and_every_channel_is_used(demo):
    channels = Counter(Case.objects.values_list("channel", flat=True))
    assert channels.most_common(1)[0][0] == "email"
    assert set(channels) == {"email", "phone", "portal", "chat", "api"}


def test_cases_arrive_mostly_in_french_business_hours(demo):
    times = [t.astimezone(PARIS) for t in Case.objects.values_list("created_at", flat=True)]
    in_hours = [t for t in times if t.weekday() < 5 and 9 <= t.hour < 18]
    assert len(in_hours) / len(times) > 0.7


def test_agents_answer_within_opening_hours(demo):
    replies = Contact.objects.filter(kind__in=(ContactKind.REPLY, ContactKind.NOTE))
    times = [t.astimezone(PARIS) for t in replies.values_list("created_at", flat=True)]
    in_hours = [t for t in times if t.weekday() < 5 and 9 <= t.hour < 18]
    assert len(in_hours) / len(times) > 0.95  # a chat or a call may run past closing time


def test_phone_calls_have_durations(demo):
    calls = Contact.objects.filter(kind=ContactKind.CALL)
    assert calls.exists()
    assert not calls.filter(duration_seconds=None).exists()
    assert calls.filter(direction="inbound").exists()
    assert calls.filter(direction="outbound").exists()


def test_internal_notes_and_waiting_on_customer_are_present(demo):
    assert Contact.objects.filter(kind=ContactKind.NOTE).exists()
    waiting = CaseEvent.objects.filter(kind=EventKind.STATUS_CHANGED, data__new="waiting_customer")
    assert waiting.exists()


def test_nothing_happens_after_now_and_recent_cases_are_still_open(demo):
    now = to_datetime(END_TS)
    assert not CaseEvent.objects.filter(created_at__gt=now).exists()
    assert not Contact.objects.filter(created_at__gt=now).exists()
    # cases are closed a week after their resolution: the last week's are mostly not yet
    recent = Case.objects.filter(created_at__gt=now - timedelta(days=7))
    assert recent.exists()
    assert recent.exclude(status="closed").count() > recent.count() / 2
    old = Case.objects.filter(created_at__lt=now - timedelta(days=30))
    finished = old.filter(status__in=("resolved", "closed")).count()
    assert finished / old.count() > 0.9


def test_texts_are_french_and_filled(demo):
    texts = list(Case.objects.values_list("subject", flat=True)) + list(
        Contact.objects.values_list("body_text", flat=True)
    )
    joined = " ".join(texts).lower()
    assert "lorem" not in joined
    assert "{" not in joined
    assert "bonjour" in joined
    assert len(set(Case.objects.values_list("subject", flat=True))) > demo.cases / 3


def test_customers_have_segments_and_some_belong_to_organisations(demo):
    from guichet.customers.models import Customer

    segments = set(Customer.objects.values_list("segment", flat=True))
    assert segments == {"particulier", "professionnel", "premium"}
    assert Customer.objects.exclude(organisation=None).exists()
    assert Customer.objects.exclude(user=None).exists()


def test_three_teams_with_a_supervisor_each(demo):
    from guichet.accounts.models import Team

    teams = Team.objects.exclude(supervisor=None)
    assert {t.name for t in teams} >= {"Service client", "Facturation", "Service après-vente"}
    assert all(t.supervisor.role == "supervisor" for t in teams)
    assert all(t.supervisor in t.members.all() for t in teams)
