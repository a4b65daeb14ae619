from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import ApiToken, Team, User
from guichet.accounts.services import api_token_revoke
from guichet.core.errors import ApplicationError


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "teams"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identity"), {"fields": ["first_name", "last_name", "language"]}),
        (_("Access"), {"fields": ["role", "is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal: list[str] = []


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "supervisor", "is_default"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    autocomplete_fields = ["supervisor"]


@admin.action(description=_("Revoke the selected tokens"))
def revoke_tokens(modeladmin, request, queryset):
    revoked = 0
    for token in queryset:
        try:
            api_token_revoke(token=token)
            revoked += 1
        except ApplicationError:
            continue
    modeladmin.message_user(request, _("%(n)d token(s) revoked.") % {"n": revoked}, messages.INFO)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `guichet token create` (the secret is shown once); here they can
    only be seen and revoked."""

    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__email", "name"]
    actions = [revoke_tokens]
    readonly_fields = [f.name for f in ApiToken._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
