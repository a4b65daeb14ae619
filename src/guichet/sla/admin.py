"""Administration of calendars, policies and escalation rules. Saving a calendar or a policy
re-synchronises the open cases' clocks in the background (their due times may move)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from guichet.core.errors import ValidationFailed
from guichet.sla.businesstime import MINUTES_PER_DAY, ranges_validate
from guichet.sla.models import (
    DEFAULT_CALENDAR,
    Calendar,
    CalendarException,
    CaseClock,
    CaseTarget,
    EscalationRule,
    Notification,
    OpeningHours,
    Policy,
    PolicyTarget,
    TeamCalendar,
)
from guichet.sla.schedules import holidays_check, time_zone_check


def _rebuild_later(cause: str) -> None:
    from guichet.sla.tasks import sla_clocks_rebuild

    transaction.on_commit(lambda: sla_clocks_rebuild.enqueue(cause=cause), robust=True)


def _minutes(value, *, end: bool = False) -> int:
    minutes = value.hour * 60 + value.minute
    return MINUTES_PER_DAY if end and minutes == 0 else minutes


class CalendarForm(forms.ModelForm):
    class Meta:
        model = Calendar
        fields = ["name", "label", "time_zone", "country", "subdivision"]

    def clean(self):
        data = super().clean()
        try:
            time_zone_check(data.get("time_zone", ""))
        except ValidationFailed as exc:
            self.add_error("time_zone", exc.message)
        try:
            holidays_check(data.get("country", ""), data.get("subdivision", ""))
        except ValidationFailed as exc:
            field = exc.details[0]["field"] if exc.details else None
            self.add_error(field if field in ("country", "subdivision") else None, exc.message)
        return data


class OpeningHoursFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        days: dict[int, list[tuple[int, int]]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start") is None:
                continue
            if data.get("end") is None:
                continue
            days.setdefault(data["weekday"], []).append(
                (_minutes(data["start"]), _minutes(data["end"], end=True))
            )
        for ranges in days.values():
            try:
                ranges_validate(ranges)
            except ValueError as exc:
                raise ValidationError(_("Opening hours: %(error)s") % {"error": exc}) from exc


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    formset = OpeningHoursFormSet
    extra = 0


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    form = CalendarForm
    list_display = ["name", "label", "time_zone", "country", "subdivision", "updated_at"]
    inlines = [OpeningHoursInline, CalendarExceptionInline]
    search_fields = ["name", "label"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name == DEFAULT_CALENDAR:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            from guichet.sla.tasks import sla_calendar_recompute

            calendar_id = form.instance.pk
            transaction.on_commit(lambda: sla_calendar_recompute.enqueue(calendar_id), robust=True)


@admin.register(TeamCalendar)
class TeamCalendarAdmin(admin.ModelAdmin):
    list_display = ["team", "calendar"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _rebuild_later("calendar")


class PolicyTargetInline(admin.TabularInline):
    model = PolicyTarget
    extra = 0


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "order",
        "is_active",
        "is_default",
        "channel",
        "segment",
        "organisation",
        "category",
        "team",
        "calendar",
    ]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "channel"]
    inlines = [PolicyTargetInline]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _rebuild_later("policy")


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "moment",
        "minutes",
        "target_kind",
        "policy",
        "recipient",
        "user",
        "in_app",
        "email",
    ]
    list_filter = ["is_active", "moment", "recipient"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _rebuild_later("rules")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived from the event log: look, never touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseClock)
class CaseClockAdmin(ReadOnlyAdmin):
    list_display = ["case", "policy", "priority", "next_kind", "next_due_at", "paused_since"]
    list_select_related = ["case", "policy"]
    search_fields = ["case__reference"]


@admin.register(CaseTarget)
class CaseTargetAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "seq", "priority", "started_at", "due_at", "outcome"]
    list_filter = ["kind", "outcome", "priority", "channel"]
    list_select_related = ["case"]
    search_fields = ["case__reference"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "message", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
