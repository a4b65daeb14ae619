"""Forms of the proximity pages. Portal forms reuse the portal's accessible field rendering."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.channels.portal.forms import PortalForm, complaint_field, remedy_field
from guichet.proximity.choices import AbsenceKind, CallOutcome

MAX_MESSAGE = 10_000
DATE = forms.DateInput(attrs={"type": "date"})


def slot_choices(slots: list[tuple[datetime, datetime]]) -> list[tuple[str, str]]:
    choices = []
    for start, end in slots:
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        label = f"{local_start:%a %d/%m} {local_start:%H:%M}–{local_end:%H:%M}"
        choices.append((start.isoformat(), label))
    return choices


def slot_parse(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else None


class CallbackForm(PortalForm):
    """A customer books a callback: which request, when, on which number."""

    case = forms.ChoiceField(label=_("About"), required=False)
    topic = forms.CharField(
        label=_("What is it about?"),
        max_length=250,
        required=False,
        help_text=_("A few words, so that we are ready when we call."),
    )
    slot = forms.ChoiceField(
        label=_("When should we call you?"),
        help_text=_("Times inside our opening hours."),
        error_messages={"required": _("Choose a time.")},
    )
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": _("Give the number we should call.")},
    )

    def __init__(self, *args, slots, cases=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [("", _("Choose a time")), *slot_choices(slots)]
        case_choices = [("", _("Something new"))]
        case_choices += [(c.reference, f"{c.reference} — {c.subject}") for c in cases]
        self.fields["case"].choices = case_choices
        if not cases:
            self.fields["case"].widget = forms.HiddenInput()


class WriteToAdvisorForm(PortalForm):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=250,
        error_messages={"required": _("Give your message a subject.")},
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write your message.")},
    )
    # A complaint is as easy to make here as anywhere else on the portal.
    is_complaint = complaint_field()
    remedy_sought = remedy_field()


class TalkForm(PortalForm):
    case = forms.ChoiceField(label=_("About my request"))
    message = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=MAX_MESSAGE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, cases=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [(c.reference, f"{c.reference} — {c.subject}") for c in cases]


class AttemptForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    duration = forms.CharField(label=_("Duration (min or min:s)"), required=False, max_length=10)
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_MESSAGE)


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AbsenceKind.choices)
    first_day = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
