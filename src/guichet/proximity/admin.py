from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from guichet.proximity.models import (
    Absence,
    AdvisorProfile,
    Callback,
    CallbackAttempt,
    ContactNumber,
    HumanRequest,
    ReferentAssignment,
    ReferentRule,
)
from guichet.proximity.services.numbers import contact_number_save, number_warnings

MAX_PHOTO_BYTES = 2 * 1024 * 1024
# Magic numbers: the type is read from the bytes, never from the name or the browser's word.
PHOTO_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def photo_type(head: bytes) -> str:
    for signature, content_type in PHOTO_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


class AdvisorProfileForm(forms.ModelForm):
    class Meta:
        model = AdvisorProfile
        fields = ["user", "photo", "working_hours"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if not photo or not hasattr(photo, "read"):
            return photo
        if photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("A photo of at most 2 MB."))
        head = photo.read(16)
        photo.seek(0)
        kind = photo_type(head)
        if not kind:
            raise forms.ValidationError(_("A JPEG, PNG or WebP photo."))
        self.instance.photo_type = kind
        return photo


@admin.register(AdvisorProfile)
class AdvisorProfileAdmin(admin.ModelAdmin):
    form = AdvisorProfileForm
    list_display = ["user", "working_hours", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(ReferentRule)
class ReferentRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organisation", "segment", "team", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(ReferentAssignment)
class ReferentAssignmentAdmin(admin.ModelAdmin):
    list_display = ["customer", "organisation", "referent", "deputy", "assigned_at", "ended_at"]
    list_filter = ["ended_at"]
    raw_id_fields = ["customer", "organisation", "referent", "deputy", "assigned_by"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["agent", "kind", "starts_at", "ends_at"]
    list_filter = ["kind"]


class AttemptInline(admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    readonly_fields = ["agent", "outcome", "note", "duration_seconds", "contact", "at"]
    can_delete = False


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ["customer", "owner", "slot_start", "status", "attempts", "escalated_at"]
    list_filter = ["status", "source"]
    raw_id_fields = ["customer", "case", "owner", "created_by"]
    inlines = [AttemptInline]


@admin.register(HumanRequest)
class HumanRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "routed_to", "requested_at", "handled_at"]
    raw_id_fields = ["case", "requested_by", "routed_to"]


@admin.register(ContactNumber)
class ContactNumberAdmin(admin.ModelAdmin):
    """Saved through the service, so the administrator reads the legal warnings (REQ-LEG-04)."""

    list_display = ["label", "number", "purpose", "tariff_class", "shown_to_customers", "warning"]

    @admin.display(description=_("warning"))
    def warning(self, obj: ContactNumber) -> str:
        return " ".join(
            number_warnings(number=obj.number, purpose=obj.purpose, tariff_class=obj.tariff_class)
        )

    def save_model(self, request, obj, form, change):
        _saved, warnings = contact_number_save(
            actor=request.user,
            label=obj.label,
            number=obj.number,
            purpose=obj.purpose,
            tariff_class=obj.tariff_class,
            shown_to_customers=obj.shown_to_customers,
            order=obj.order,
            instance=obj,
        )
        for text in warnings:
            messages.warning(request, text)
