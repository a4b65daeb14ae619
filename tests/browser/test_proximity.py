"""A callback booked in the portal (Chromium), shown in the agent's day plan, then reminded and
escalated with the clock moved forward (the services take `now=`; no sleeps)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from guichet.accounts.choices import Role
from guichet.accounts.services import user_create
from guichet.proximity.models import AdvisorProfile, Callback
from guichet.proximity.services.callbacks import callback_escalate, callback_remind
from guichet.proximity.services.referents import referent_assign

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _live_settings(settings, live_server):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.GUICHET_BASE_URL = live_server.url
    mail.outbox = []


def test_a_callback_booked_in_the_portal_reaches_the_day_plan(
    page_as, url, customer, agent, supervisor, team, artifacts_dir
):
    # given Marie Dupont, whose advisor is Camille (Nadia supervises the team)
    nadia = user_create(email="nadia@guichet.test", first_name="Nadia", role=Role.SUPERVISOR)
    team.supervisor = nadia
    team.save(update_fields=["supervisor"])
    AdvisorProfile.objects.create(user=agent, working_hours="Monday to Friday, 9:00–17:00")
    referent_assign(actor=supervisor, customer=customer, referent=agent, team=team)
    # when Marie asks to be called back from the portal
    page = page_as(customer.user)
    page.goto(url("/portal/requests/"))
    page.get_by_role("link", name="Be called back").first.click()
    page.wait_for_url(url("/portal/callback/"))
    assert page.locator("#advisor-name").inner_text() == "Camille"
    page.get_by_label("What is it about?").fill("My invoice")
    page.get_by_label("When should we call you?").select_option(index=2)
    page.get_by_label("Your phone number").fill("06 12 34 56 78")
    page.get_by_role("button", name="Book this call").click()
    # then the portal confirms who calls, when, on which number — and nothing private
    page.wait_for_selector("#callback-booked")
    text = page.locator("#callback-booked").inner_text()
    assert "Camille will call you on 06 12 34 56 78" in text
    assert agent.last_name not in page.content() and agent.email not in page.content()
    page.screenshot(path=str(artifacts_dir / "proximity-callback-booked-en.png"), full_page=True)
    callback = Callback.objects.get()
    assert callback.owner == agent
    # when Camille opens her day plan
    desk = page_as(agent)
    desk.goto(url("/proximity/"))
    row = desk.locator(f"#callback-{callback.pk}")
    # then the callback is there with the customer, the number and the topic
    assert "Marie Dupont" in row.inner_text()
    assert "06 12 34 56 78" in row.inner_text()
    assert "My invoice" in row.inner_text()
    desk.screenshot(path=str(artifacts_dir / "proximity-day-plan-en.png"), full_page=True)
    # when the clock reaches 15 minutes before the slot, Camille is reminded
    mail.outbox.clear()
    before = callback.slot_start - timedelta(minutes=15)
    assert callback_remind(callback_id=callback.pk, expected_slot=callback.slot_start, now=before)
    assert agent.email in [m.to[0] for m in mail.outbox]
    # when the slot passes with no call, Nadia hears of it and the day plan says "escalated"
    after = callback.slot_end + timedelta(minutes=1)
    assert callback_escalate(callback_id=callback.pk, expected_due=callback.due_at, now=after)
    assert nadia.email in [m.to[0] for m in mail.outbox]
    desk.reload()
    assert "escalated" in desk.locator(f"#callback-{callback.pk}").inner_text()
    # when Camille records that she reached Marie, the callback leaves the plan
    desk.locator(f"#callback-{callback.pk}").get_by_role("button", name="Record the call").click()
    desk.wait_for_selector(".message-success")
    callback.refresh_from_db()
    assert callback.status == "done"
    assert desk.locator(f"#callback-{callback.pk}").count() == 0
