"""The portal's forms. Django renders aria-invalid and aria-describedby ("<id>_error",
"<id>_helptext"); the template include portal/includes/field.html gives those ids."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.cases.models import Category
from guichet.cases.services import MAX_SUBJECT, NewAttachment
from guichet.core.errors import ApplicationError

MAX_MESSAGE = 20_000
HONEYPOT_FIELD = "website"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked for size, and a bound on their number."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        max_files = settings.GUICHET_PORTAL_MAX_FILES
        if len(files) > max_files:
            raise forms.ValidationError(
                ngettext("Attach at most %(n)d file.", "Attach at most %(n)d files.", max_files)
                % {"n": max_files}
            )
        max_mb = settings.GUICHET_PORTAL_MAX_FILE_MB
        cleaned = []
        for item in files:
            item = super().clean(item, initial)
            if item.size > max_mb * 1024 * 1024:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(mb)d MB.") % {"name": item.name, "mb": max_mb}
                )
            cleaned.append(item)
        return cleaned


def attachments_from(files: list[UploadedFile]) -> list[NewAttachment]:
    return [
        NewAttachment(
            filename=f.name or "attachment",
            content=f.read(),
            content_type=f.content_type or "application/octet-stream",
        )
        for f in files
    ]


def _attachments_help() -> str:
    return _("Photos, invoices, screenshots: up to %(n)d files of %(mb)d MB each.") % {
        "n": settings.GUICHET_PORTAL_MAX_FILES,
        "mb": settings.GUICHET_PORTAL_MAX_FILE_MB,
    }


def _attachments_field() -> MultipleFileField:
    # The form classes are built at import: the help text is worded when a page shows it, in
    # the visitor's language (a plain `%` would freeze the language of the import).
    return MultipleFileField(
        label=_("Attachments (optional)"), help_text=lazy(_attachments_help, str)()
    )


def _category_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Category.objects.order_by("name"),
        required=False,
        label=_("Topic (optional)"),
        empty_label=_("I don't know / other"),
    )


def _message_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 7}),
        error_messages={"required": _("Write your message.")},
    )


MAX_REMEDY = 2_000


def complaint_field() -> forms.BooleanField:
    # As easy to reach as the request itself: one tick on every form the customer writes with.
    return forms.BooleanField(
        required=False,
        label=_("This is a complaint"),
        help_text=_(
            "Tick this if you are dissatisfied and expect an answer from us: your complaint gets "
            "its own reference and deadlines, and a person follows it."
        ),
    )


def remedy_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        label=_("What would put things right for you? (optional)"),
        max_length=MAX_REMEDY,
        widget=forms.Textarea(attrs={"rows": 3, "data-complaint-remedy": ""}),
    )


# Where the services' field names differ from the forms'.
SERVICE_FIELDS = {"body": "message", "password": "new_password1"}


class PortalForm(forms.Form):
    template_name = "portal/includes/form_fields.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_application_error(self, exc: ApplicationError) -> None:
        """Put a service's error on the field it names, or above the form."""
        details = exc.details if isinstance(exc.details, list) else []
        placed = False
        for item in details:
            name = SERVICE_FIELDS.get(item.get("field", ""), item.get("field", ""))
            if name in self.fields:
                self.add_error(name, item.get("message") or exc.message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class RequestForm(PortalForm):
    """The front page: anyone can ask, no account needed."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Tell us your name.")},
    )
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send the answer and a link to follow your request here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Give an email address so we can answer you."),
            "invalid": _("Enter a valid email address, such as name@example.com."),
        },
    )
    category = _category_field()
    message = _message_field(_("How can we help?"))
    is_complaint = complaint_field()
    remedy_sought = remedy_field()
    attachments = _attachments_field()
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by form-filling robots.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    field_order = [
        "name",
        "email",
        "category",
        "message",
        "is_complaint",
        "remedy_sought",
        "attachments",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT_FIELD].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def visible_fields(self) -> list[forms.BoundField]:
        return [f for f in super().visible_fields() if f.name != HONEYPOT_FIELD]


class NewCaseForm(PortalForm):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=MAX_SUBJECT,
        help_text=_("A few words, for example: parcel not delivered."),
        error_messages={"required": _("Give your request a subject.")},
        # As the customer types, matching knowledge answers appear beside the form (htmx).
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("portal:answers"),
                "hx-trigger": "input changed delay:400ms, load",
                "hx-target": "#suggested-answers",
                "hx-swap": "innerHTML",
                "autocomplete": "off",
            }
        ),
    )
    category = _category_field()
    message = _message_field(_("Your message"))
    is_complaint = complaint_field()
    remedy_sought = remedy_field()
    attachments = _attachments_field()


class ReplyForm(PortalForm):
    message = _message_field(_("Your reply"))
    is_complaint = complaint_field()
    remedy_sought = remedy_field()
    attachments = _attachments_field()


class ReopenForm(PortalForm):
    reason = forms.CharField(
        label=_("Why is it not settled?"),
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Your explanation is sent to the person handling your request."),
        error_messages={"required": _("Tell us why the request is not settled.")},
    )


class SignInLinkForm(PortalForm):
    email = forms.EmailField(
        label=_("Your email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Give the email address you wrote to us from."),
            "invalid": _("Enter a valid email address, such as name@example.com."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "link")
        super().__init__(*args, **kwargs)


class PasswordSignInForm(PortalForm):
    email = forms.EmailField(
        label=_("Your email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
        error_messages={"required": _("Give your email address.")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Give your password.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "password")
        super().__init__(*args, **kwargs)


class PasswordSetForm(PortalForm):
    """Set a password; if there is one already, the current one is asked for first."""

    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_("At least 8 characters, not only digits, not too common."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            del self.fields["old_password"]

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("This is not your current password."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        one, two = cleaned.get("new_password1"), cleaned.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two passwords differ."))
        return cleaned
