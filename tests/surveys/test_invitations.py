"""Survey after resolution: delay, sampling, one per customer per period, never to an opted-out
or bounced customer; the email carries the first question's answers as signed links."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from guichet.surveys import services
from guichet.surveys.choices import InvitationStatus
from guichet.surveys.models import SurveyAnswer, SurveyInvitation
from tests.surveys.conftest import open_case, reply, resolve

pytestmark = pytest.mark.django_db


def _resolve_now(run_hooks, agent, customer, **kwargs):
    now = timezone.now()
    case = open_case(agent=agent, customer=customer, at=now - timedelta(hours=3), **kwargs)
    reply(agent=agent, case=case, at=now - timedelta(hours=2))
    return run_hooks(resolve, agent=agent, case=case, at=now - timedelta(hours=1))


def test_resolving_a_case_schedules_a_survey_after_the_delay(run_hooks, config, agent, customer):
    # given a delay of 24 hours
    config.delay_hours = 24
    config.save()
    # when a case is resolved (its after-commit hook runs)
    case = _resolve_now(run_hooks, agent, customer)
    # then one invitation waits for 24 hours; nothing is sent yet
    invitation = SurveyInvitation.objects.get(case=case)
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.send_after - invitation.created_at == timedelta(hours=24)
    assert services.invitation_send(invitation_id=invitation.pk) is False
    assert mail.outbox == []


def test_due_invitation_is_sent_with_one_click_links(run_hooks, config, agent, customer):
    case = _resolve_now(run_hooks, agent, customer)
    invitation = SurveyInvitation.objects.get(case=case)
    # when it is due and sent
    assert services.invitation_send(invitation_id=invitation.pk) is True
    # then the email holds a yes and a no link to the survey page, and an unsubscribe header
    message = mail.outbox[-1]
    assert message.to == [customer.email]
    assert "?expectations_met=yes" in message.body
    assert "?expectations_met=no" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    # and sending again does nothing
    assert services.invitation_send(invitation_id=invitation.pk) is False
    assert len([m for m in mail.outbox if "expectations_met" in m.body]) == 1


def test_opted_out_customer_gets_no_survey(run_hooks, config, agent, customer):
    services.survey_opt_out(customer=customer)
    case = _resolve_now(run_hooks, agent, customer)
    assert not SurveyInvitation.objects.filter(case=case).exists()


def test_opting_out_cancels_a_survey_not_yet_sent(run_hooks, config, agent, customer):
    config.delay_hours = 24
    config.save()
    case = _resolve_now(run_hooks, agent, customer)
    services.survey_opt_out(customer=customer)
    invitation = SurveyInvitation.objects.get(case=case)
    assert invitation.status == InvitationStatus.CANCELLED
    assert services.invitation_send(invitation_id=invitation.pk) is False


def test_at_most_one_survey_per_customer_per_period(run_hooks, config, agent, customer):
    first = _resolve_now(run_hooks, agent, customer)
    second = _resolve_now(run_hooks, agent, customer)
    assert SurveyInvitation.objects.filter(case=first).exists()
    assert not SurveyInvitation.objects.filter(case=second).exists()


def test_after_the_period_the_customer_is_asked_again(config, agent, customer):
    # given an invitation made 31 days ago with a 30-day period
    now = timezone.now()
    old = open_case(agent=agent, customer=customer, at=now - timedelta(days=40))
    resolve(agent=agent, case=old, at=now - timedelta(days=31))
    services.invitation_schedule(case_id=old.pk, now=now - timedelta(days=31))
    case = open_case(agent=agent, customer=customer, at=now - timedelta(hours=2))
    resolve(agent=agent, case=case, at=now - timedelta(hours=1))
    invitation, reason = services.invitation_schedule(case_id=case.pk, now=now)
    assert reason == ""
    assert invitation is not None


def test_sampling_zero_percent_sends_nothing(config, agent, customer):
    config.sample_percent = 0
    config.save()
    case = open_case(agent=agent, customer=customer)
    resolve(agent=agent, case=case, at=timezone.now())
    assert services.invitation_schedule(case_id=case.pk) == (None, "not_sampled")


def test_sampling_is_deterministic_per_case():
    picks = [services._sampled(case_id, 50) for case_id in range(1, 201)]
    assert picks == [services._sampled(case_id, 50) for case_id in range(1, 201)]
    assert 60 < sum(picks) < 140


def test_channel_outside_the_survey_scope_is_not_surveyed(config, agent, customer):
    config.channels = ["portal"]
    config.save()
    case = open_case(agent=agent, customer=customer, channel="email")
    resolve(agent=agent, case=case, at=timezone.now())
    assert services.invitation_schedule(case_id=case.pk) == (None, "channel_not_surveyed")


def test_bounced_address_is_skipped_when_the_flag_exists(config, agent, customer, monkeypatch):
    # given the email channel marked the address as bouncing (the attribute may not exist yet)
    case = open_case(agent=agent, customer=customer)
    resolve(agent=agent, case=case, at=timezone.now())
    monkeypatch.setattr(type(customer), "email_bounced", True, raising=False)
    assert services.invitation_schedule(case_id=case.pk) == (None, "bounced")


def test_without_a_bounce_flag_the_customer_is_surveyed(config, agent, customer):
    assert services.customer_bounced(customer) is False


def test_surveys_switched_off_send_nothing(config, agent, customer):
    config.is_active = False
    config.save()
    case = open_case(agent=agent, customer=customer)
    resolve(agent=agent, case=case, at=timezone.now())
    assert services.invitation_schedule(case_id=case.pk) == (None, "surveys_off")


def test_case_reopened_before_sending_cancels_the_survey(run_hooks, config, agent, customer):
    from guichet.cases.services import case_change_status

    config.delay_hours = 1
    config.save()
    case = _resolve_now(run_hooks, agent, customer)
    case_change_status(actor=agent, case=case, status="open", reason="not fixed")
    invitation = SurveyInvitation.objects.get(case=case)
    later = timezone.now() + timedelta(hours=2)
    assert services.invitation_send(invitation_id=invitation.pk, now=later) is False
    invitation.refresh_from_db()
    assert invitation.cancel_reason == "reopened"


def test_low_answer_opens_a_follow_up_for_the_team_supervisor(
    run_hooks, config, agent, customer, supervisor, team
):
    team.supervisor = supervisor
    team.save()
    case = _resolve_now(run_hooks, agent, customer)
    invitation = SurveyInvitation.objects.get(case=case)
    answer = services.answer_record(invitation=invitation, raw={"expectations_met": "no"})
    task = answer.follow_up
    assert task.assignee == supervisor
    assert "expectations not met" in task.reason


def test_good_answer_opens_no_follow_up(run_hooks, config, agent, customer):
    case = _resolve_now(run_hooks, agent, customer)
    invitation = SurveyInvitation.objects.get(case=case)
    answer = services.answer_record(
        invitation=invitation, raw={"expectations_met": "yes", "csat": "4"}
    )
    assert not hasattr(answer, "follow_up") or answer.follow_up is None


def test_csat_of_2_opens_a_follow_up(run_hooks, config, agent, customer):
    case = _resolve_now(run_hooks, agent, customer)
    invitation = SurveyInvitation.objects.get(case=case)
    answer = services.answer_record(invitation=invitation, raw={"csat": "2"})
    assert SurveyAnswer.objects.get(pk=answer.pk).follow_up.reason == "CSAT 2/5"


@pytest.mark.parametrize(
    "raw", [{"csat": "6"}, {"csat": "0"}, {"nps": "11"}, {"ces": "x"}, {"fcr": "maybe"}, {}]
)
def test_out_of_range_answers_are_refused(run_hooks, config, agent, customer, raw):
    from guichet.core.errors import ValidationFailed

    case = _resolve_now(run_hooks, agent, customer)
    invitation = SurveyInvitation.objects.get(case=case)
    with pytest.raises(ValidationFailed):
        services.answer_record(invitation=invitation, raw=raw)
