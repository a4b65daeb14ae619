"""Configuration rows of the quality app (REQ-LEG-01 mediator, REQ-LEG-06 profile, cause tree,
scorecards). Complaints and reviews are read-only here: they change through the services, so
that every step keeps its who-and-when."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from guichet.quality.models import (
    Complaint,
    ComplaintStep,
    CorrectiveAction,
    Criterion,
    Mediator,
    MysteryTest,
    QualityPolicy,
    Review,
    RootCause,
    Scorecard,
)


@admin.register(QualityPolicy)
class QualityPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "counting_mode", "mediation_months", "review_samples_per_agent"]
    fieldsets = [
        (None, {"fields": ["regulatory_profile", "counting_mode"]}),
        (
            _("Overrides (empty: the profile's default)"),
            {
                "fields": [
                    "acknowledge_days",
                    "assess_days",
                    "answer_days",
                    "answer_months",
                    "holding_answer_days",
                ]
            },
        ),
        (_("Mediation and reviews"), {"fields": ["mediation_months", "review_samples_per_agent"]}),
    ]

    def has_add_permission(self, request):
        return not QualityPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin):
    list_display = ["name", "website", "sector", "is_active"]


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "is_active", "position"]
    list_filter = ["is_active", "parent"]
    list_select_related = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["parent__position", "parent__name", "position", "name"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1
    fields = ["position", "name", "weight", "scale_max", "guidance"]


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "channel", "is_active"]
    list_filter = ["is_active", "team", "channel"]
    inlines = [CriterionInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StepInline(admin.TabularInline):
    model = ComplaintStep
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "note"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ["reference", "case", "status", "received_at", "answer_due_at", "root_cause"]
    list_filter = ["status", "closure_reason", "channel"]
    search_fields = ["reference", "case__reference"]
    list_select_related = ["case", "root_cause", "root_cause__parent"]
    inlines = [StepInline]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "due_date", "status"]
    list_filter = ["status"]
    filter_horizontal = ["complaints"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["case", "agent", "reviewer", "scorecard", "score_percent", "status"]
    list_filter = ["status", "scorecard"]
    list_select_related = ["case", "agent", "reviewer", "scorecard"]


@admin.register(MysteryTest)
class MysteryTestAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "channel", "team", "tester", "scorecard", "score_percent"]
    list_filter = ["channel", "team", "scorecard"]
