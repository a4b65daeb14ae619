from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from guichet.knowledge.models import Answer, Macro
from guichet.knowledge.placeholders import placeholders_unknown


class MacroAdminForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ("name", "team", "body", "is_active")

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        unknown = placeholders_unknown(body)
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholder(s): %(names)s.") % {"names": ", ".join(unknown)}
            )
        return body


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroAdminForm
    list_display = ("name", "team", "is_active", "updated_at")
    list_filter = ("is_active", "team")
    search_fields = ("name", "body")
    list_select_related = ("team",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "is_published", "updated_at")
    list_filter = ("is_published", "language")
    search_fields = ("title", "keywords", "body")
    fields = ("title", "keywords", "body", "language", "is_published")
