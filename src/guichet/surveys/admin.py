"""Admin pages: administrators edit the survey method (wording FR/EN, delay, sampling) here or
through PATCH /api/v1/surveys/config; answers and invitations are read-only records."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from guichet.surveys.models import (
    BarometerSubscription,
    FollowUpTask,
    SurveyAnswer,
    SurveyConfig,
    SurveyInvitation,
    SurveyOptOut,
    SurveyQuestion,
)


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    fields = ("key", "position", "text_fr", "text_en", "is_active", "required")
    readonly_fields = ("key",)
    extra = 0
    can_delete = False
    max_num = 0  # the questions are fixed; their wording is not

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SurveyConfig)
class SurveyConfigAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "delay_hours", "period_days", "sample_percent")
    inlines = [SurveyQuestionInline]
    fieldsets = (
        (None, {"fields": ("name", "purpose", "owner", "is_active")}),
        (
            _("Sending"),
            {"fields": ("delay_hours", "period_days", "sample_percent", "channels", "token_days")},
        ),
        (
            _("Barometer"),
            {"fields": ("min_sample", "fcr_window_days", "reopen_window_days", "low_csat")},
        ),
    )

    def has_add_permission(self, request) -> bool:
        return not SurveyConfig.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = ("case", "customer", "status", "cancel_reason", "send_after", "sent_at")
    list_filter = ("status",)
    search_fields = ("case__reference", "customer__email")
    raw_id_fields = ("case", "customer")
    exclude = ("nonce",)


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("case", "answered_at", "expectations_met", "csat", "fcr", "ces", "nps")
    list_filter = ("expectations_met", "csat", "channel")
    search_fields = ("case__reference", "comment")
    raw_id_fields = ("invitation", "case", "customer", "team", "owner", "category")
    date_hierarchy = "answered_at"


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(admin.ModelAdmin):
    list_display = ("customer", "source", "created_at")
    raw_id_fields = ("customer",)
    search_fields = ("customer__email",)


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(admin.ModelAdmin):
    list_display = ("case", "reason", "assignee", "status", "created_at", "done_at")
    list_filter = ("status",)
    raw_id_fields = ("answer", "case", "team", "assignee", "done_by")


@admin.register(BarometerSubscription)
class BarometerSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "last_sent_month")
    raw_id_fields = ("user",)
