"""Administration: calendars are checked (time zone, holidays subdivision, overlapping hours)."""

from __future__ import annotations

import pytest
from django.forms import inlineformset_factory
from django.test import Client

from guichet.accounts.choices import Role
from guichet.accounts.services import user_create
from guichet.sla.admin import CalendarForm, OpeningHoursFormSet
from guichet.sla.models import Calendar, OpeningHours

pytestmark = pytest.mark.django_db


def calendar_form(**changes) -> CalendarForm:
    data = {"name": "metz", "label": "", "time_zone": "Europe/Paris", "country": "FR"}
    data["subdivision"] = ""
    data.update(changes)
    return CalendarForm(data=data)


def test_alsace_moselle_codes_are_accepted():
    assert calendar_form(subdivision="57").is_valid()
    assert calendar_form(subdivision="6AE").is_valid()


@pytest.mark.parametrize("subdivision", ["GES", "Alsace-Moselle", "67"])
def test_deprecated_or_unknown_subdivisions_are_refused(subdivision):
    # REQ-CAL-01: "GES" returns no Alsace-Moselle holiday in recent `holidays` versions.
    form = calendar_form(subdivision=subdivision)
    assert not form.is_valid()
    assert "subdivision" in form.errors


def test_unknown_time_zone_and_country_are_refused():
    assert "time_zone" in calendar_form(time_zone="Europe/Atlantis").errors
    assert "country" in calendar_form(country="XX").errors


def test_overlapping_opening_hours_are_refused():
    calendar = Calendar.objects.create(name="metz")
    FormSet = inlineformset_factory(
        Calendar, OpeningHours, formset=OpeningHoursFormSet, fields="__all__", extra=0
    )
    data = {
        "opening_hours-TOTAL_FORMS": "2",
        "opening_hours-INITIAL_FORMS": "0",
        "opening_hours-0-weekday": "0",
        "opening_hours-0-start": "09:00",
        "opening_hours-0-end": "13:00",
        "opening_hours-1-weekday": "0",
        "opening_hours-1-start": "12:00",
        "opening_hours-1-end": "18:00",
    }
    formset = FormSet(data=data, instance=calendar, prefix="opening_hours")
    assert not formset.is_valid()
    assert "overlap" in str(formset.non_form_errors())


def test_admin_pages_open_and_the_default_calendar_cannot_be_deleted():
    admin = user_create(email="admin@guichet.test", role=Role.ADMINISTRATOR)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    for model in (
        "calendar",
        "policy",
        "escalationrule",
        "caseclock",
        "casetarget",
        "notification",
    ):
        assert client.get(f"/admin/sla/{model}/").status_code == 200, model
    default = Calendar.objects.get(name="default")
    assert client.get(f"/admin/sla/calendar/{default.pk}/change/").status_code == 200
    assert client.get(f"/admin/sla/calendar/{default.pk}/delete/").status_code == 403
