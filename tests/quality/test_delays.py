"""Deadlines of the regulatory profiles (REQ-LEG-06, REQ-LEG-07, REQ-CAL-03)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from guichet.quality import services
from guichet.quality.choices import RegulatoryProfile
from guichet.quality.delays import months_due, targets_for
from tests.quality.conftest import MONDAY, case_new, complaint_new

pytestmark = pytest.mark.django_db


def local_day(value: datetime) -> date:
    return timezone.localtime(value).date()


def test_acpr_acknowledges_within_ten_working_days_mon_to_sat(policy, customer, agent):
    # given the banking/insurance profile (ACPR 2022-R-01, jours ouvrables)
    policy.regulatory_profile = RegulatoryProfile.ACPR
    policy.save()
    # when a complaint is received on Monday 2 March 2026
    complaint = complaint_new(case_new(customer), agent)
    # then the acknowledgement is due on the 10th day counting Saturdays: Friday 13 March,
    # and the final answer two months after receipt
    assert local_day(complaint.acknowledge_due_at) == date(2026, 3, 13)
    assert local_day(complaint.answer_due_at) == date(2026, 5, 2)


def test_acpr_count_skips_sundays_and_public_holidays(policy, customer, agent):
    policy.regulatory_profile = RegulatoryProfile.ACPR
    policy.save()
    # received Thursday 30 April 2026: 1 May, 8 May and Ascension (14 May) do not count
    received = datetime(2026, 4, 30, 8, 0, tzinfo=UTC)
    complaint = complaint_new(case_new(customer, at=received), agent)
    assert local_day(complaint.acknowledge_due_at) == date(2026, 5, 15)


def test_payment_services_answer_within_fifteen_working_days(policy, customer, agent):
    # given the payment-services profile (CMF L133-45)
    policy.regulatory_profile = RegulatoryProfile.PAYMENT
    policy.save()
    complaint = complaint_new(case_new(customer), agent)
    # then the answer is due 15 working days (Monday to Friday) after receipt
    assert local_day(complaint.answer_due_at) == date(2026, 3, 23)


def test_payment_services_holding_reply_extends_to_35_working_days(policy, customer, agent):
    policy.regulatory_profile = RegulatoryProfile.PAYMENT
    policy.save()
    complaint = complaint_new(case_new(customer), agent)
    complaint = services.complaint_acknowledge(actor=agent, complaint=complaint, at=MONDAY)
    # when a holding reply with reasons is sent
    complaint = services.complaint_holding_reply(
        actor=agent, complaint=complaint, message="Nous attendons la réponse de notre banque."
    )
    # then the answer is due 35 working days after receipt (Easter Monday 6 April skipped)
    assert local_day(complaint.answer_due_at) == date(2026, 4, 21)
    assert complaint.steps.filter(kind="holding_reply").count() == 1


def test_no_profile_uses_the_firms_own_targets(policy, customer, agent):
    complaint = complaint_new(case_new(customer), agent)
    assert local_day(complaint.acknowledge_due_at) == date(2026, 3, 4)
    assert local_day(complaint.answer_due_at) == date(2026, 4, 2)


def test_override_wins_over_the_profile(policy):
    policy.regulatory_profile = RegulatoryProfile.ACPR
    policy.acknowledge_days = 3
    policy.answer_days = 20
    targets = targets_for(policy)
    assert (targets.acknowledge_days, targets.answer_days, targets.answer_months) == (3, 20, None)
    assert targets.counting_mode == "ouvrables"


def test_the_clock_starts_at_receipt_not_at_triage(policy, customer, agent):
    # REQ-LEG-07: marked as a complaint a week later, the deadlines still count from receipt
    case = case_new(customer)
    later = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    complaint = services.complaint_open(
        actor=agent, case=case, remedy_sought="Rembourser", at=later
    )
    assert complaint.received_at == case.created_at
    assert local_day(complaint.acknowledge_due_at) == date(2026, 3, 4)


def test_months_are_clamped_to_the_end_of_a_short_month():
    due = months_due(datetime(2026, 12, 31, 10, 0, tzinfo=UTC), 2)
    assert local_day(due) == date(2027, 2, 28)
