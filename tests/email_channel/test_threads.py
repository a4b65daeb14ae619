"""Threading: headers first, then the reference in the subject, then (optionally) sender and
subject; a closed case is reopened or followed up by policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.cases.choices import CaseStatus, EventKind
from guichet.cases.models import Case, CaseEvent
from guichet.cases.services import case_merge
from guichet.channels.email.choices import OutboundKind
from guichet.channels.email.models import OutboundMessage
from guichet.channels.email.threads import subject_normalise
from tests.email_channel.conftest import deliver, message_build

pytestmark = pytest.mark.django_db


def outbound_for(case: Case, message_id: str) -> OutboundMessage:
    return OutboundMessage.objects.create(
        case=case,
        kind=OutboundKind.REPLY,
        message_id=message_id,
        from_address="support@guichet.test",
        reply_to="support@guichet.test",
        to_address=case.customer.email,
        subject=f"Re: {case.subject} [{case.reference}]",
        body_text="Votre colis part demain.",
        created_at=timezone.now(),
    )


@pytest.fixture
def first(mailbox):
    return deliver(message_build(message_id="<first@example.test>"), mailbox)


def test_reply_to_a_message_guichet_sent_joins_its_case(mailbox, first):
    outbound_for(first.case, "<g-000001.1@guichet.test>")
    reply = deliver(
        message_build(subject="Re: autre sujet", in_reply_to="<g-000001.1@guichet.test>"), mailbox
    )
    assert reply.case == first.case
    assert reply.threaded_by == "headers"
    assert first.case.contacts.count() == 2


def test_references_to_a_message_guichet_received_join_its_case(mailbox, first):
    reply = deliver(
        message_build(subject="Suite", references="<other@x.test> <first@example.test>"),
        mailbox,
    )
    assert reply.case == first.case


def test_the_nearest_reference_wins(mailbox, first):
    other = deliver(
        message_build(subject="Autre demande", message_id="<other@example.test>"), mailbox
    )
    reply = deliver(
        message_build(
            in_reply_to="<other@example.test>",
            references="<first@example.test> <other@example.test>",
        ),
        mailbox,
    )
    assert reply.case == other.case


def test_case_reference_in_the_subject_joins_the_customers_case(mailbox, first):
    reply = deliver(message_build(subject=f"Encore moi [{first.case.reference}]"), mailbox)
    assert reply.case == first.case
    assert reply.threaded_by == "reference"


def test_case_reference_from_someone_else_opens_a_new_case(mailbox, first):
    stranger = deliver(
        message_build(
            subject=f"Re: [{first.case.reference}] je m'invite",
            sender="Intrus <intrus@example.test>",
        ),
        mailbox,
    )
    assert stranger.case != first.case
    assert stranger.case.subject == "Re: je m'invite"  # the foreign reference is dropped
    assert first.case.contacts.count() == 1


def test_same_sender_and_subject_is_a_new_case_by_default(mailbox, first):
    again = deliver(message_build(subject="RE: Colis non reçu"), mailbox)
    assert again.case != first.case


def test_same_sender_and_subject_within_the_window_joins_when_enabled(mailbox, first, settings):
    settings.GUICHET_EMAIL_THREAD_SUBJECT_HOURS = 24
    again = deliver(message_build(subject="TR : RE: Colis non reçu"), mailbox)
    assert again.case == first.case
    assert again.threaded_by == "subject"


def test_same_subject_outside_the_window_opens_a_new_case(mailbox, first, settings):
    settings.GUICHET_EMAIL_THREAD_SUBJECT_HOURS = 24
    Case.objects.filter(pk=first.case.pk).update(updated_at=timezone.now() - timedelta(hours=25))
    again = deliver(message_build(subject="Re: Colis non reçu"), mailbox)
    assert again.case != first.case


def test_reply_to_a_closed_case_reopens_it_by_default(mailbox, first):
    Case.objects.filter(pk=first.case.pk).update(status=CaseStatus.CLOSED)
    reply = deliver(message_build(in_reply_to="<first@example.test>"), mailbox)
    reply.case.refresh_from_db()
    assert reply.case == first.case
    assert reply.case.status == CaseStatus.OPEN
    assert CaseEvent.objects.filter(case=first.case, kind=EventKind.REOPENED).exists()


def test_reply_to_a_closed_case_opens_a_linked_follow_up_when_so_configured(
    mailbox, first, settings
):
    settings.GUICHET_EMAIL_CLOSED_CASE_POLICY = "follow_up"
    Case.objects.filter(pk=first.case.pk).update(status=CaseStatus.CLOSED)
    reply = deliver(message_build(in_reply_to="<first@example.test>"), mailbox)
    assert reply.case != first.case
    assert reply.threaded_by == "follow_up"
    created = CaseEvent.objects.get(case=reply.case, kind=EventKind.CREATED)
    assert created.data["follow_up_of"] == first.case.reference
    first.case.refresh_from_db()
    assert first.case.status == CaseStatus.CLOSED


def test_reply_to_a_resolved_case_reopens_it_whatever_the_policy(mailbox, first, settings):
    settings.GUICHET_EMAIL_CLOSED_CASE_POLICY = "follow_up"
    Case.objects.filter(pk=first.case.pk).update(status=CaseStatus.RESOLVED)
    reply = deliver(message_build(in_reply_to="<first@example.test>"), mailbox)
    assert reply.case == first.case


def test_reply_to_a_merged_case_lands_on_the_case_that_carries_on(mailbox, first, agent):
    target = deliver(message_build(subject="Doublon"), mailbox).case
    case_merge(actor=agent, source=first.case, target=target)
    reply = deliver(message_build(in_reply_to="<first@example.test>"), mailbox)
    assert reply.case == target


def test_no_acknowledgement_when_a_message_joins_an_existing_case(mailbox, first):
    deliver(message_build(in_reply_to="<first@example.test>"), mailbox)
    assert OutboundMessage.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).count() == 1


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Fwd: TR : Colis", "colis"),
        ("RE: [G-000012] Colis", "colis"),
        ("AW: WG: Colis  perdu", "colis perdu"),
    ],
)
def test_subject_normalise(subject, expected):
    assert subject_normalise(subject) == expected
