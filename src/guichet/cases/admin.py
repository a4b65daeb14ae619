from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from guichet.cases.models import Case, CaseEvent, Category, Contact, Tag


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactInline(ReadOnlyInline):
    model = Contact
    fields = ["created_at", "kind", "channel", "direction", "author_user", "body_text"]
    ordering = ["created_at"]


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["created_at", "kind", "actor", "data"]
    ordering = ["created_at"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only here: every change to a case goes through the services (workspace or API), so
    that the event log — and every metric computed from it — stays complete."""

    list_display = ["reference", "subject", "customer", "owner", "team", "status", "priority"]
    list_filter = ["status", "priority", "channel", "team", "category"]
    search_fields = ["reference", "subject", "customer__name", "customer__email"]
    list_select_related = ["customer", "owner", "team"]
    inlines = [ContactInline, CaseEventInline]
    show_full_result_count = False
    ordering = ["-updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "team"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "case", "kind", "actor"]
    list_filter = ["kind"]
    search_fields = ["case__reference"]
    list_select_related = ["case", "actor"]
    show_full_result_count = False
    verbose_name = _("case event")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
