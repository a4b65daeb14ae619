"""Operational metrics of one case on hand-built histories with known answers (BRIEF "Metrics",
REQ-MET-01): FCR within a 7-day window, reopenings, merges, notes, channel switches."""

from datetime import datetime, timedelta

import pytest

from guichet.surveys.metrics import (
    CaseHistory,
    ContactRow,
    EventRow,
    OtherCase,
    case_facts,
    waiting_seconds,
)

T0 = datetime(2026, 3, 2, 9, 0)
RESOLVED = T0 + timedelta(hours=2)
LATER = T0 + timedelta(days=60)


def resolved(status_from="open"):
    return EventRow(RESOLVED, "status_changed", {"old": status_from, "new": "resolved"})


def history(*contacts, events=(), category_id=1, merged=False, case_id=1):
    return CaseHistory(
        case_id=case_id,
        created_at=T0,
        category_id=category_id,
        merged=merged,
        contacts=[ContactRow(T0, "customer_message", "inbound"), *contacts],
        events=list(events),
    )


ONE_REPLY = ContactRow(T0 + timedelta(hours=1), "reply", "outbound")


def test_one_reply_and_silence_is_first_contact_resolution():
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=LATER)
    assert facts.fcr is True
    assert facts.first_response_seconds == 3600
    assert facts.resolution_seconds == 7200


def test_customer_writing_again_after_6_days_is_not_fcr():
    # given a resolved case and a customer message 6 days after resolution (inside 7 days)
    again = ContactRow(RESOLVED + timedelta(days=6), "customer_message", "inbound")
    facts = case_facts(history(ONE_REPLY, again, events=[resolved()]), now=LATER)
    # then it is a repeat contact: not resolved at the first contact
    assert facts.repeat_contact is True
    assert facts.fcr is False


def test_customer_writing_again_after_8_days_is_still_fcr():
    again = ContactRow(RESOLVED + timedelta(days=8), "customer_message", "inbound")
    facts = case_facts(history(ONE_REPLY, again, events=[resolved()]), now=LATER)
    assert facts.repeat_contact is False
    assert facts.fcr is True


def test_window_is_configurable():
    again = ContactRow(RESOLVED + timedelta(days=8), "customer_message", "inbound")
    facts = case_facts(
        history(ONE_REPLY, again, events=[resolved()]), now=LATER, fcr_window=timedelta(days=10)
    )
    assert facts.fcr is False


def test_reopened_case_is_not_fcr_and_counts_as_reopened():
    # given a case reopened three days after its resolution (by an agent, no new message)
    reopening = EventRow(
        RESOLVED + timedelta(days=3), "reopened", {"old": "resolved", "new": "open"}
    )
    facts = case_facts(history(ONE_REPLY, events=[resolved(), reopening]), now=LATER)
    assert facts.fcr is False
    assert facts.reopened is True


def test_merged_duplicate_is_left_out():
    # given a duplicate case merged into another (its contacts moved away)
    facts = case_facts(history(events=[resolved()], merged=True), now=LATER)
    assert facts.resolved_at is None
    assert facts.fcr is None


def test_case_that_received_a_merged_duplicate_after_resolution_is_not_fcr():
    # given the duplicate's message (sent 2 days after resolution) moved into this case
    moved = ContactRow(RESOLVED + timedelta(days=2), "customer_message", "inbound")
    facts = case_facts(history(ONE_REPLY, moved, events=[resolved()]), now=LATER)
    assert facts.fcr is False


def test_case_resolved_by_a_note_only_is_resolved_but_not_fcr():
    # given no public reply nor call, only an internal note, then resolution
    note = ContactRow(T0 + timedelta(hours=1), "note", "internal")
    facts = case_facts(history(note, events=[resolved()]), now=LATER)
    assert facts.agent_responses == 0
    assert facts.first_response_at is None
    assert facts.fcr is False


def test_two_replies_is_not_fcr():
    second = ContactRow(T0 + timedelta(minutes=90), "reply", "outbound")
    facts = case_facts(history(ONE_REPLY, second, events=[resolved()]), now=LATER)
    assert facts.agent_responses == 2
    assert facts.fcr is False


def test_customer_coming_back_before_resolution_is_not_fcr():
    again = ContactRow(T0 + timedelta(minutes=70), "customer_message", "inbound")
    facts = case_facts(history(ONE_REPLY, again, events=[resolved()]), now=LATER)
    assert facts.fcr is False


def test_one_call_is_an_agent_response():
    call = ContactRow(T0 + timedelta(hours=1), "call", "outbound")
    assert case_facts(history(call, events=[resolved()]), now=LATER).fcr is True


def test_inbound_call_after_resolution_is_a_repeat_contact():
    call = ContactRow(RESOLVED + timedelta(days=1), "call", "inbound")
    assert case_facts(history(ONE_REPLY, call, events=[resolved()]), now=LATER).fcr is False


def test_channel_switch_new_case_same_category_within_window_is_a_repeat():
    # given the customer phones 3 days after an email case was resolved, same category
    phone_case = OtherCase(case_id=2, created_at=RESOLVED + timedelta(days=3), category_id=1)
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=LATER, other_cases=[phone_case])
    assert facts.repeat_contact is True
    assert facts.fcr is False


def test_new_case_of_another_category_is_not_a_repeat():
    other = OtherCase(case_id=2, created_at=RESOLVED + timedelta(days=3), category_id=2)
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=LATER, other_cases=[other])
    assert facts.fcr is True


def test_new_case_without_category_counts_as_a_repeat():
    other = OtherCase(case_id=2, created_at=RESOLVED + timedelta(days=3), category_id=None)
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=LATER, other_cases=[other])
    assert facts.fcr is False


def test_new_case_after_the_window_is_not_a_repeat():
    other = OtherCase(case_id=2, created_at=RESOLVED + timedelta(days=8), category_id=1)
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=LATER, other_cases=[other])
    assert facts.fcr is True


def test_case_resolved_less_than_7_days_ago_is_not_counted_yet():
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=RESOLVED + timedelta(days=6))
    assert facts.fcr is None
    assert facts.repeat_contact is None


@pytest.mark.parametrize(("days", "counted"), [(7, True), (6.99, False)])
def test_case_is_counted_once_the_full_window_has_passed(days, counted):
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=RESOLVED + timedelta(days=days))
    assert (facts.fcr is not None) is counted


def test_only_the_first_resolution_counts():
    reopening = EventRow(
        RESOLVED + timedelta(days=1), "reopened", {"old": "resolved", "new": "open"}
    )
    again = EventRow(
        RESOLVED + timedelta(days=2), "status_changed", {"old": "open", "new": "resolved"}
    )
    facts = case_facts(history(ONE_REPLY, events=[resolved(), reopening, again]), now=LATER)
    assert facts.resolved_at == RESOLVED


def test_closing_without_resolution_is_not_a_resolution():
    closed = EventRow(RESOLVED, "status_changed", {"old": "open", "new": "closed"})
    facts = case_facts(history(ONE_REPLY, events=[closed]), now=LATER)
    assert facts.resolved_at is None
    assert facts.fcr is None


def test_time_waiting_on_the_customer_is_left_out_of_resolution_time():
    # given the case waited on the customer for 30 minutes before resolution
    wait = EventRow(
        T0 + timedelta(minutes=70), "status_changed", {"old": "open", "new": "waiting_customer"}
    )
    back = EventRow(
        T0 + timedelta(minutes=100), "status_changed", {"old": "waiting_customer", "new": "open"}
    )
    facts = case_facts(history(ONE_REPLY, events=[wait, back, resolved()]), now=LATER)
    assert facts.resolution_seconds == 7200 - 1800


def test_waiting_until_resolution_counts_up_to_resolution():
    wait = EventRow(
        T0 + timedelta(minutes=90), "status_changed", {"old": "open", "new": "waiting_customer"}
    )
    done = EventRow(RESOLVED, "status_changed", {"old": "waiting_customer", "new": "resolved"})
    assert waiting_seconds([wait, done], start=T0, end=RESOLVED) == 1800


def test_transfers_are_counted():
    moves = [EventRow(T0 + timedelta(minutes=i), "transferred", {}) for i in (5, 10)]
    assert case_facts(history(ONE_REPLY, events=moves), now=LATER).transfers == 2


def test_business_time_is_measured_with_the_given_calendar_and_leaves_waiting_out():
    # given a calendar where only half of any stretch is business time (a stand-in)
    def half(a, b):
        return (b - a).total_seconds() / 2

    wait = EventRow(
        T0 + timedelta(minutes=70), "status_changed", {"old": "open", "new": "waiting_customer"}
    )
    back = EventRow(
        T0 + timedelta(minutes=100), "status_changed", {"old": "waiting_customer", "new": "open"}
    )
    facts = case_facts(
        history(ONE_REPLY, events=[wait, back, resolved()]), now=LATER, business_seconds=half
    )
    assert facts.first_response_business_seconds == 1800
    assert facts.resolution_business_seconds == (7200 - 1800) / 2


def test_without_a_calendar_business_time_is_absent():
    facts = case_facts(history(ONE_REPLY, events=[resolved()]), now=LATER)
    assert facts.first_response_business_seconds is None


# --- customer effort and contacts per resolved request (REQ-MET-02) ---------------------------


def _inbound(hours, channel):
    return ContactRow(T0 + timedelta(hours=hours), "customer_message", "inbound", channel)


def test_inbound_contacts_and_channel_switches_follow_the_customer_only():
    # given email, then portal, a reply (outbound, not counted), portal again, then a phone call
    case = history(
        _inbound(1, "portal"),
        ContactRow(T0 + timedelta(hours=2), "reply", "outbound", "email"),
        _inbound(3, "portal"),
        ContactRow(T0 + timedelta(hours=4), "call", "inbound", "phone"),
    )
    case.contacts[0] = ContactRow(T0, "customer_message", "inbound", "email")
    facts = case_facts(case, now=LATER)
    # then 4 inbound contacts and 2 switches (email→portal, portal→phone)
    assert facts.inbound_contacts == 4
    assert facts.channel_switches == 2


def test_time_to_owner_is_from_the_first_contact_to_the_first_named_owner():
    unowned = EventRow(T0 + timedelta(hours=1), "transferred", {"owner_id": None, "team_id": 3})
    owned = EventRow(T0 + timedelta(hours=3), "assigned", {"owner_id": 7})
    later = EventRow(T0 + timedelta(hours=5), "transferred", {"owner_id": 8})
    facts = case_facts(history(ONE_REPLY, events=[later, unowned, owned]), now=LATER)
    assert facts.owner_wait_seconds == 3 * 3600


def test_owner_named_before_the_first_customer_contact_waited_zero():
    early = EventRow(T0 - timedelta(minutes=5), "assigned", {"owner_id": 7})
    assert case_facts(history(events=[early]), now=LATER).owner_wait_seconds == 0


def test_a_case_never_owned_has_no_wait():
    assert case_facts(history(ONE_REPLY), now=LATER).owner_wait_seconds is None


def test_contacts_to_resolution_count_the_customers_contacts_up_to_resolution():
    # given the opening message, a second message before resolution and one after it
    case = history(
        ONE_REPLY,
        ContactRow(T0 + timedelta(minutes=90), "customer_message", "inbound"),
        ContactRow(RESOLVED + timedelta(days=1), "customer_message", "inbound"),
        events=[resolved()],
    )
    assert case_facts(case, now=LATER).contacts_to_resolution == 2


def test_a_case_opened_by_the_agent_counts_one_contact():
    case = CaseHistory(
        case_id=1,
        created_at=T0,
        contacts=[ContactRow(T0, "call", "outbound")],
        events=[resolved()],
    )
    assert case_facts(case, now=LATER).contacts_to_resolution == 1


def test_an_unresolved_case_has_no_contacts_to_resolution():
    assert case_facts(history(ONE_REPLY), now=LATER).contacts_to_resolution == 0
