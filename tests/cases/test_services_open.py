"""case_open: numbering, routing, who may open for whom, sanitising, attachments, idempotency."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from guichet.accounts.choices import Role
from guichet.accounts.models import Team
from guichet.accounts.services import team_create, user_create
from guichet.cases import services
from guichet.cases.choices import CaseStatus, ContactKind, Direction, EventKind
from guichet.cases.models import Attachment, Case, CaseEvent, Category, Contact
from guichet.cases.services import NewAttachment
from guichet.core.errors import Conflict, ValidationFailed
from guichet.customers.services import customer_create
from tests.cases.conftest import case_new, counts, event_kinds

pytestmark = pytest.mark.django_db


# --- numbering -----------------------------------------------------------------------------


def test_references_are_sequential_from_one(customer, agent):
    # given no case yet, when three cases are opened
    refs = [case_new(customer=customer).reference for _ in range(3)]
    # then they are numbered G-000001, G-000002, G-000003
    assert refs == ["G-000001", "G-000002", "G-000003"]


def test_reference_matches_number(customer, agent):
    case = case_new(customer=customer)
    assert (case.number, case.reference) == (1, "G-000001")


def test_a_deleted_case_number_is_never_reused(customer, agent):
    # given two cases, the last one deleted (e.g. spam purged by an administrator)
    case_new(customer=customer)
    case_new(customer=customer).delete()
    # when another case is opened
    case = case_new(customer=customer)
    # then it gets a fresh number, not the deleted one
    assert case.reference == "G-000003"


def test_a_failed_open_does_not_consume_a_number(customer, agent):
    # given a first case, and an attempt that fails validation
    case_new(customer=customer)
    with pytest.raises(ValidationFailed):
        case_new(customer=customer, subject="   ")
    # when the next case is opened, then the numbering has no hole
    assert case_new(customer=customer).reference == "G-000002"


def test_reference_prefix_comes_from_settings(settings, customer, agent):
    settings.GUICHET_CASE_PREFIX = "SAV"
    assert case_new(customer=customer).reference == "SAV-000001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_get_distinct_consecutive_numbers(customer, agent):
    if connection.vendor != "postgresql":
        pytest.skip("row locks matter on PostgreSQL; SQLite serialises writers (IMMEDIATE)")
    # given eight clients opening a case at the same instant
    workers = 8
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait(timeout=10)
            case_new(customer=customer, subject="En même temps")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_one) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then none failed and the numbers are exactly 1..8, no duplicate, no hole
    assert errors == []
    assert sorted(Case.objects.values_list("number", flat=True)) == list(range(1, workers + 1))


# --- routing -------------------------------------------------------------------------------


def test_least_loaded_team_member_becomes_owner(customer, team, agent, other_agent):
    # given two agents in the default team, the first already with two active cases
    case_new(customer=customer, owner=agent)
    case_new(customer=customer, owner=agent)
    # when a new case arrives with no owner chosen
    case = case_new(customer=customer)
    # then it goes to the colleague with fewer active cases
    assert case.owner == other_agent
    assert case.team == team


def test_finished_cases_do_not_count_in_the_load(customer, agent, other_agent):
    # given the first agent's two cases are resolved, the second agent has one active case
    for _ in range(2):
        done = case_new(customer=customer, owner=agent)
        services.case_change_status(actor=agent, case=done, status=CaseStatus.RESOLVED)
    case_new(customer=customer, owner=other_agent)
    # when a new case arrives, then the first agent (zero active) gets it
    assert case_new(customer=customer).owner == agent


def test_routing_tie_goes_to_the_earliest_member(customer, agent, other_agent):
    assert case_new(customer=customer).owner == agent


def test_inactive_member_is_never_routed_to(customer, agent, other_agent):
    # given the least-loaded agent has left
    case_new(customer=customer, owner=agent)
    other_agent.is_active = False
    other_agent.save()
    # then new cases go to the remaining active agent
    assert case_new(customer=customer).owner == agent


def test_category_team_receives_the_case(customer, agent, billing_agent, other_team):
    # given a category routed to the billing team
    billing = Category.objects.create(name="Facturation", slug="facturation", team=other_team)
    # when a case of that category arrives
    case = case_new(customer=customer, category=billing)
    # then it goes to that team and one of its members
    assert case.team == other_team
    assert case.owner == billing_agent


def test_category_without_team_falls_back_to_default_team(customer, team, agent):
    misc = Category.objects.create(name="Divers", slug="divers")
    case = case_new(customer=customer, category=misc)
    assert (case.team, case.owner) == (team, agent)


def test_no_default_team_leaves_case_unrouted(db):
    # given no team at all
    someone = customer_create(name="Paul Petit", email="paul@example.test")
    # when a case arrives, then it has neither team nor owner, and no "assigned" event
    case = case_new(customer=someone)
    assert (case.team, case.owner) == (None, None)
    assert event_kinds(case) == [EventKind.CREATED, EventKind.CONTACT_ADDED]


def test_auto_assign_off_leaves_owner_empty(settings, customer, team, agent):
    settings.GUICHET_AUTO_ASSIGN = False
    case = case_new(customer=customer)
    assert case.team == team
    assert case.owner is None


def test_routing_records_an_assigned_event(customer, agent, team):
    case = case_new(customer=customer)
    event = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED)
    assert event.actor is None
    assert event.data == {"owner_id": agent.pk, "team_id": team.pk, "reason": "routing"}


def test_team_without_active_member_gets_no_owner(customer, agent, other_team):
    case = case_new(customer=customer, actor=agent, team=other_team)
    assert (case.team, case.owner) == (other_team, None)


# --- who opens for whom --------------------------------------------------------------------


def test_customer_opens_a_case_for_itself(customer, agent):
    case = case_new(customer=customer, actor=customer.user)
    assert case.customer == customer
    assert CaseEvent.objects.get(case=case, kind=EventKind.CREATED).actor == customer.user


def test_customer_cannot_open_a_case_for_someone_else(customer, other_customer, agent):
    # when a customer tries to open a case in another customer's name
    with pytest.raises(ValidationFailed) as caught:
        case_new(customer=other_customer, actor=customer.user)
    # then it is refused on the customer field and nothing is written
    assert caught.value.details[0]["field"] == "customer"
    assert counts() == (0, 0, 0)


def test_customer_cannot_choose_the_owner(customer, agent, other_agent):
    # given the first agent already has a case, so routing would pick the other one
    case_new(customer=customer, owner=agent)
    # when a customer asks for the busy agent by name
    case = case_new(customer=customer, actor=customer.user, owner=agent)
    # then routing decides, not the customer
    assert case.owner == other_agent
    assert CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED).data["reason"] == "routing"


def test_customer_cannot_choose_the_team(customer, team, agent, other_team, billing_agent):
    case = case_new(customer=customer, actor=customer.user, team=other_team)
    assert case.team == team


def test_agent_chooses_an_owner_of_the_team(customer, agent, other_agent, team):
    # when an agent taking a phone call gives the case to a colleague
    case = case_new(customer=customer, actor=agent, owner=other_agent, channel="phone")
    # then the colleague owns it and the event says it was chosen, by whom
    assert case.owner == other_agent
    event = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED)
    assert (event.actor, event.data["reason"]) == (agent, "chosen")


def test_agent_cannot_give_a_case_to_someone_outside_the_team(customer, agent, team, billing_agent):
    with pytest.raises(ValidationFailed) as caught:
        case_new(customer=customer, actor=agent, owner=billing_agent, team=team)
    assert caught.value.details[0]["field"] == "owner"
    assert counts() == (0, 0, 0)


def test_a_customer_account_cannot_own_a_case(customer, agent):
    with pytest.raises(ValidationFailed) as caught:
        case_new(customer=customer, actor=agent, owner=customer.user)
    assert caught.value.details[0]["field"] == "owner"


def test_chosen_owner_brings_their_team(customer, agent, billing_agent, other_team):
    case = case_new(customer=customer, actor=agent, owner=billing_agent)
    assert (case.team, case.owner) == (other_team, billing_agent)


def test_open_writes_created_event_first_contact_and_timestamps(customer, agent):
    at = timezone.now() - timedelta(days=3)
    case = case_new(customer=customer, at=at, channel="email", priority="high")
    contact = Contact.objects.get(case=case)
    # then one inbound customer message at that time, and the case timestamps are that time
    assert (contact.kind, contact.direction, contact.channel) == (
        ContactKind.CUSTOMER_MESSAGE,
        Direction.INBOUND,
        "email",
    )
    assert contact.author_customer == customer
    assert contact.created_at == at == case.created_at == case.updated_at
    assert case.status == CaseStatus.NEW
    assert case.first_response_at is None
    assert event_kinds(case) == [EventKind.CREATED, EventKind.ASSIGNED, EventKind.CONTACT_ADDED]
    created = CaseEvent.objects.get(case=case, kind=EventKind.CREATED)
    assert created.data == {"channel": "email", "priority": "high", "category": None}


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("subject", {"subject": ""}),
        ("subject", {"subject": "x" * 251}),
        ("body", {"body": "  "}),
        ("channel", {"channel": "fax"}),
        ("priority", {"priority": "asap"}),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_written(customer, agent, field, kwargs):
    with pytest.raises(ValidationFailed) as caught:
        case_new(customer=customer, **kwargs)
    assert caught.value.details[0]["field"] == field
    assert counts() == (0, 0, 0)


def test_subject_whitespace_is_collapsed(customer, agent):
    case = case_new(customer=customer, subject="  Colis \n  abîmé  ")
    assert case.subject == "Colis abîmé"


def test_tags_are_normalised(customer, agent):
    case = case_new(customer=customer, actor=agent, tags=["  Urgent ", "urgent", "VIP", ""])
    assert sorted(case.tags.values_list("name", flat=True)) == ["urgent", "vip"]


# --- HTML ----------------------------------------------------------------------------------


def test_html_is_sanitised_before_it_is_stored(customer, agent):
    # given HTML from outside with a script, an event handler and a javascript: link
    dirty = (
        '<p onclick="steal()">Bonjour</p><script>alert("x")</script>'
        '<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">lien</a>'
    )
    # when it is the body of a new case
    case = services.case_open(actor=None, customer=customer, subject="Test", body_html=dirty)
    contact = Contact.objects.get(case=case)
    # then nothing executable is kept, the words are
    html = contact.body_html.lower()
    for needle in ("<script", "alert(", "onerror", "onclick", "javascript:"):
        assert needle not in html
    assert "Bonjour" in contact.body_html
    assert contact.body_text.startswith("Bonjour")


def test_plain_text_is_escaped_into_html(customer, agent):
    case = case_new(customer=customer, body="<b>gras</b> & co\n\nsuite")
    contact = Contact.objects.get(case=case)
    assert contact.body_text == "<b>gras</b> & co\n\nsuite"
    assert contact.body_html == "<p>&lt;b&gt;gras&lt;/b&gt; &amp; co</p><p>suite</p>"


def test_html_with_only_a_script_is_an_empty_message(customer, agent):
    with pytest.raises(ValidationFailed) as caught:
        services.case_open(
            actor=None, customer=customer, subject="x", body_html="<script>alert(1)</script>"
        )
    assert caught.value.details[0]["field"] == "body"


# --- attachments ---------------------------------------------------------------------------


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_attachment_is_stored_by_its_hash(customer, agent, settings):
    content = b"%PDF-1.4 facture"
    case = case_new(
        customer=customer,
        attachments=[NewAttachment("facture.pdf", content, "application/pdf")],
    )
    attachment = Attachment.objects.get(contact__case=case)
    digest = hashlib.sha256(content).hexdigest()
    assert attachment.sha256 == digest
    assert attachment.file.name == f"attachments/{digest[:2]}/{digest}"
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "facture.pdf",
        "application/pdf",
        len(content),
    )
    with attachment.file.open("rb") as stored:
        assert stored.read() == content


def test_same_content_is_stored_once(customer, agent, settings):
    # given the same file sent twice, on two cases
    first = case_new(customer=customer, attachments=[NewAttachment("a.txt", b"same bytes")])
    second = case_new(customer=customer, attachments=[NewAttachment("b.txt", b"same bytes")])
    a = Attachment.objects.get(contact__case=first)
    b = Attachment.objects.get(contact__case=second)
    # then both rows point to one stored file
    assert a.file.name == b.file.name
    assert len(_media_files(settings)) == 1


def test_oversized_attachment_on_open_writes_nothing(customer, agent, settings, monkeypatch):
    # given a 10-byte limit and a valid file followed by an oversized one
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 10)
    attachments = [NewAttachment("ok.txt", b"small"), NewAttachment("big.bin", b"x" * 11)]
    # when a case is opened with them
    with pytest.raises(ValidationFailed) as caught:
        case_new(customer=customer, attachments=attachments)
    # then 422 on attachments, and no case, no contact, no event, no attachment, no file
    assert caught.value.status == 422
    assert caught.value.details[0]["field"] == "attachments"
    assert counts() == (0, 0, 0)
    assert Attachment.objects.count() == 0
    assert _media_files(settings) == []


def test_attachment_at_the_limit_is_accepted(customer, agent, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 10)
    case = case_new(customer=customer, attachments=[NewAttachment("ok.bin", b"x" * 10)])
    assert Attachment.objects.get(contact__case=case).size == 10


# --- idempotency ---------------------------------------------------------------------------


def test_duplicate_external_id_is_a_conflict_and_writes_nothing(customer, agent):
    # given a case opened from an email with its Message-ID
    case_new(customer=customer, channel="email", external_id="<abc@mail.example>")
    before = counts()
    # when the same email is delivered again
    with pytest.raises(Conflict) as caught:
        case_new(customer=customer, channel="email", external_id="<abc@mail.example>")
    # then 409 and nothing more is written
    assert caught.value.status == 409
    assert caught.value.code == "duplicate_contact"
    assert counts() == before
    # and the numbering has no hole
    assert case_new(customer=customer).reference == "G-000002"


def test_same_external_id_on_another_channel_is_not_a_duplicate(customer, agent):
    case_new(customer=customer, channel="email", external_id="42")
    case_new(customer=customer, channel="chat", external_id="42")
    assert Case.objects.count() == 2


def test_supervisor_without_team_can_open_and_own(customer, supervisor, team, agent):
    case = case_new(customer=customer, actor=supervisor, owner=supervisor)
    assert case.owner == supervisor
    assert case.team == team


def test_team_member_who_is_a_customer_is_not_routed_to(db):
    # given a default team whose only "member" is a customer account (bad data)
    team = team_create(name="Accueil", is_default=True)
    stray = user_create(email="client@example.test", role=Role.CUSTOMER)
    Team.members.through.objects.create(team=team, user=stray)
    someone = customer_create(name="Paul", email="paul@example.test")
    # then routing gives the case no owner rather than a customer
    assert case_new(customer=someone).owner is None


def test_nul_characters_are_dropped_from_subject_and_body(customer, agent):
    # given text from a mailer that leaves NUL characters (PostgreSQL refuses them)
    case = services.case_open(
        actor=None, customer=customer, subject="Co\x00lis", body_text="Bon\x00jour", body_html=""
    )
    contact = Contact.objects.get(case=case)
    # then they are dropped, not a database error
    assert (case.subject, contact.body_text) == ("Colis", "Bonjour")
