from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.channels.email.choices import InboundState
from guichet.channels.email.models import (
    BouncingAddress,
    InboundMessage,
    Mailbox,
    OutboundMessage,
)
from guichet.channels.email.services import inbound_retry, inbound_to_case
from guichet.core.errors import ApplicationError


class MailboxForm(forms.ModelForm):
    # The secret is write-only: the form never renders it, and an empty field keeps it.
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )
    clear_imap_password = forms.BooleanField(label=_("Remove the stored password"), required=False)

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "display_name",
            "team",
            "default_category",
            "enabled",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_archive_folder",
        ]

    def clean_address(self) -> str:
        return self.cleaned_data["address"].strip().lower()

    def save(self, commit: bool = True) -> Mailbox:
        mailbox = super().save(commit=False)
        new_password = self.cleaned_data.get("imap_password") or ""
        if self.cleaned_data.get("clear_imap_password"):
            mailbox.imap_password = ""
        elif new_password:
            mailbox.imap_password = new_password
        elif mailbox.pk:
            mailbox.imap_password = (
                Mailbox.objects.filter(pk=mailbox.pk).values_list("imap_password", flat=True).get()
            )
        if commit:
            mailbox.save()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["address", "team", "default_category", "enabled", "imap", "last_polled_at"]
    list_filter = ["enabled", "team"]
    search_fields = ["address", "display_name"]
    readonly_fields = ["password_set", "last_polled_at", "last_poll_error"]
    fieldsets = [
        (None, {"fields": ["address", "display_name", "team", "default_category", "enabled"]}),
        (
            _("IMAP polling (optional)"),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_username",
                    "password_set",
                    "imap_password",
                    "clear_imap_password",
                    "imap_folder",
                    "imap_archive_folder",
                    "last_polled_at",
                    "last_poll_error",
                ]
            },
        ),
    ]

    @admin.display(boolean=True, description=_("IMAP"))
    def imap(self, obj: Mailbox) -> bool:
        return obj.polls_imap

    @admin.display(boolean=True, description=_("password stored"))
    def password_set(self, obj: Mailbox) -> bool:
        return bool(obj.imap_password)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """The inbound log and the quarantine (filter by state). Rows are evidence: read-only."""

    list_display = [
        "received_at",
        "state",
        "message_class",
        "sender",
        "subject",
        "mailbox",
        "source",
        "attempts",
        "case_link",
    ]
    list_filter = ["state", "message_class", "source", "mailbox"]
    search_fields = ["subject", "sender", "message_id", "envelope_from"]
    date_hierarchy = "received_at"
    actions = ["retry", "turn_into_case"]
    list_select_related = ["mailbox", "case"]
    fields = [
        "state",
        "error",
        "message_class",
        "received_at",
        "processed_at",
        "attempts",
        "mailbox",
        "source",
        "envelope_from",
        "sender",
        "subject",
        "message_id",
        "content_hash",
        "size",
        "raw_deleted_at",
        "case_link",
        "threaded_by",
        "headers",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("case"))
    def case_link(self, obj: InboundMessage) -> str:
        return obj.case.reference if obj.case_id else "—"

    @admin.display(description=_("headers"))
    def headers(self, obj: InboundMessage) -> str:
        head = bytes(obj.raw).replace(b"\r\n", b"\n").split(b"\n\n", 1)[0][:8000]
        return format_html("<pre>{}</pre>", head.decode("utf-8", "replace"))

    @admin.action(description=_("Retry the selected messages"))
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        results: dict[str, int] = {}
        for inbound in queryset.filter(state__in=(InboundState.QUARANTINED, InboundState.RECEIVED)):
            state = inbound_retry(inbound=inbound).state
            results[state] = results.get(state, 0) + 1
        done = results.get(InboundState.PROCESSED, 0) + results.get(InboundState.IGNORED, 0)
        still = results.get(InboundState.QUARANTINED, 0)
        self.message_user(
            request,
            ngettext(
                "%(done)d message processed, %(still)d still quarantined.",
                "%(done)d messages processed, %(still)d still quarantined.",
                done,
            )
            % {"done": done, "still": still},
            messages.SUCCESS if not still else messages.WARNING,
        )

    @admin.action(description=_("Turn into a new case"))
    def turn_into_case(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        for inbound in queryset.exclude(state=InboundState.PROCESSED):
            try:
                case = inbound_to_case(inbound=inbound)
            except ApplicationError as exc:
                self.message_user(request, f"#{inbound.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("#%(id)d became case %(reference)s.")
                    % {"id": inbound.pk, "reference": case.reference},
                    messages.SUCCESS,
                )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "state", "to_address", "subject", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["to_address", "subject", "message_id", "case__reference"]
    list_select_related = ["case"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(BouncingAddress)
class BouncingAddressAdmin(admin.ModelAdmin):
    list_display = ["address", "bounces", "last_bounced_at", "diagnostic"]
    search_fields = ["address"]
    readonly_fields = ["bounces", "first_bounced_at", "last_bounced_at", "diagnostic"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
