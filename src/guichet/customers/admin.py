from django.contrib import admin

from guichet.customers.models import Customer, CustomerEmail, Organisation


class CustomerEmailInline(admin.TabularInline):
    model = CustomerEmail
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "organisation", "segment", "created_at"]
    list_filter = ["segment", "language"]
    search_fields = ["name", "email", "emails__address", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation", "user"]
    readonly_fields = ["created_at"]
    inlines = [CustomerEmailInline]
    show_full_result_count = False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "segment", "created_at"]
    search_fields = ["name"]
