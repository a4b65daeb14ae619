"""The administrators' side: mailbox secrets are write-only, the quarantine can be retried or
turned into cases from the admin, and `guichet mail retry` does the same from the shell."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from guichet.accounts.choices import Role
from guichet.accounts.services import user_create
from guichet.cases.models import Case
from guichet.channels.email.choices import InboundState
from guichet.channels.email.models import InboundMessage, Mailbox
from guichet.channels.email.services import inbound as inbound_module
from guichet.channels.email.services import inbound_process
from tests.email_channel.conftest import deliver, message_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db) -> Client:
    user = user_create(email="admin@guichet.test", first_name="Alice", role=Role.ADMINISTRATOR)
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def quarantined(mailbox, monkeypatch) -> InboundMessage:
    real = inbound_module.message_parse
    monkeypatch.setattr(inbound_module, "message_parse", lambda raw: 1 / 0)
    inbound = deliver(message_build(message_id="<q@example.test>"), mailbox)
    monkeypatch.setattr(inbound_module, "message_parse", real)
    assert inbound.state == InboundState.QUARANTINED
    return inbound


def test_mailbox_form_never_shows_the_imap_password(admin_client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="tres-secret-42")
    page = admin_client.get(reverse("admin:email_channel_mailbox_change", args=[mailbox.pk]))
    assert page.status_code == 200
    assert b"tres-secret-42" not in page.content


def _mailbox_post(mailbox: Mailbox, **overrides) -> dict:
    data = {
        "address": mailbox.address,
        "display_name": "Service client",
        "team": mailbox.team_id or "",
        "default_category": "",
        "enabled": "on",
        "imap_host": "imap.example.test",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_username": "support",
        "imap_password": "",
        "imap_folder": "INBOX",
        "imap_archive_folder": "",
    }
    data.update(overrides)
    return data


def test_saving_with_an_empty_password_keeps_the_stored_one(admin_client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="tres-secret-42")
    url = reverse("admin:email_channel_mailbox_change", args=[mailbox.pk])
    response = admin_client.post(url, _mailbox_post(mailbox))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "tres-secret-42"
    assert mailbox.imap_host == "imap.example.test"


def test_a_new_password_replaces_the_stored_one(admin_client, mailbox):
    url = reverse("admin:email_channel_mailbox_change", args=[mailbox.pk])
    admin_client.post(url, _mailbox_post(mailbox, imap_password="nouveau"))
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "nouveau"


def test_quarantine_lists_the_error(admin_client, quarantined):
    page = admin_client.get(
        reverse("admin:email_channel_inboundmessage_changelist") + "?state__exact=quarantined"
    )
    assert page.status_code == 200
    detail = admin_client.get(
        reverse("admin:email_channel_inboundmessage_change", args=[quarantined.pk])
    )
    assert b"ZeroDivisionError" in detail.content


def test_admin_retry_action_processes_the_message(admin_client, quarantined):
    response = admin_client.post(
        reverse("admin:email_channel_inboundmessage_changelist"),
        {"action": "retry", "_selected_action": [quarantined.pk]},
    )
    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.state == InboundState.PROCESSED


def test_admin_turns_a_quarantined_message_into_a_case(admin_client, quarantined):
    admin_client.post(
        reverse("admin:email_channel_inboundmessage_changelist"),
        {"action": "turn_into_case", "_selected_action": [quarantined.pk]},
    )
    quarantined.refresh_from_db()
    assert quarantined.state == InboundState.PROCESSED
    assert quarantined.case.subject == "Colis non reçu"


def test_agents_without_staff_rights_cannot_see_the_quarantine(agent, quarantined):
    client = Client()
    client.force_login(agent)
    page = client.get(reverse("admin:email_channel_inboundmessage_changelist"))
    assert page.status_code == 302  # to the admin login


def test_retry_command_processes_the_quarantine(quarantined, capsys):
    call_command("mail", "retry")
    quarantined.refresh_from_db()
    assert quarantined.state == InboundState.PROCESSED
    assert "retried 1" in capsys.readouterr().out


def test_retry_command_with_an_unknown_id_is_a_clear_error():
    with pytest.raises(CommandError, match="no inbound message 999"):
        call_command("mail", "retry", "999")


def test_retry_command_fails_when_a_message_stays_quarantined(mailbox):
    inbound = deliver(message_build(sender="pas une adresse"), mailbox)
    assert inbound.state == InboundState.QUARANTINED
    with pytest.raises(CommandError, match="still quarantined"):
        call_command("mail", "retry", str(inbound.pk))


def test_processing_an_already_processed_message_changes_nothing(mailbox):
    inbound = deliver(message_build(), mailbox)
    again = inbound_process(inbound_id=inbound.pk)
    assert again.state == InboundState.PROCESSED
    assert Case.objects.count() == 1


def test_serve_command_rejects_a_bad_port():
    with pytest.raises(CommandError, match="--port"):
        call_command("mail", "serve", "--port", "70000")


def test_poll_schedule_enqueues_one_recurring_poll(settings, capsys):
    from django_tasks_db.models import DBTaskResult

    from guichet.channels.email.tasks import mailboxes_poll_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("mail", "poll", "--schedule")
    call_command("mail", "poll", "--schedule")
    out = capsys.readouterr().out
    assert "Recurring poll enqueued." in out
    assert "already queued" in out
    assert DBTaskResult.objects.filter(task_path=mailboxes_poll_task.module_path).count() == 1


def test_recurring_poll_task_reschedules_itself(settings):
    from django_tasks_db.models import DBTaskResult

    from guichet.channels.email.tasks import mailboxes_poll_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert mailboxes_poll_task.call(reschedule=True) == 0  # no IMAP mailbox: nothing stored
    waiting = DBTaskResult.objects.get(task_path=mailboxes_poll_task.module_path)
    assert waiting.status == "READY"
