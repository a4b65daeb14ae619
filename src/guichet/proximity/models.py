"""Proximity: advisors (référents) and their deputies, absences, callbacks, contact numbers,
requests to talk to a person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.accounts.models import Team
from guichet.cases.models import Case, Contact
from guichet.customers.models import Customer, Organisation
from guichet.proximity.choices import (
    AbsenceKind,
    CallbackSource,
    CallbackStatus,
    CallOutcome,
    NumberPurpose,
    RuleKind,
    TariffClass,
)

USER = settings.AUTH_USER_MODEL


def advisor_photo_path(instance: AdvisorProfile, filename: str) -> str:
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.photo_type, "bin"
    )
    return f"advisors/{instance.user_id}.{extension}"


class AdvisorProfile(models.Model):
    """What a customer may know of an agent who is their advisor: the first name (from the user),
    an optional photo the agent chose to show, and working hours in their own words. Never the
    surname, the email address or a direct line."""

    user = models.OneToOneField(
        USER,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="advisor_profile",
        verbose_name=_("agent"),
    )
    photo = models.FileField(_("photo"), upload_to=advisor_photo_path, blank=True, max_length=200)
    photo_type = models.CharField(_("photo type"), max_length=20, blank=True)
    working_hours = models.CharField(
        _("working hours"),
        max_length=200,
        blank=True,
        help_text=_("As the customer reads it, e.g. “Monday to Thursday, 9:00–17:00”."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("advisor profile")
        verbose_name_plural = _("advisor profiles")

    def __str__(self) -> str:
        return str(self.user)


class ReferentRule(models.Model):
    """Decides which customers get an advisor, and from which team's members (balanced by how
    many customers each already has). The first active rule in `order` that matches wins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("customers"), max_length=20, choices=RuleKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    segment = models.CharField(_("segment"), max_length=50, blank=True)
    min_purchase_value = models.DecimalField(
        _("minimum purchase value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("advisors from team")
    )
    with_deputy = models.BooleanField(_("name a deputy"), default=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("advisor rule")
        verbose_name_plural = _("advisor rules")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RuleKind.values), name="prox_rule_kind"),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.ORGANISATION) | Q(organisation__isnull=False),
                name="prox_rule_organisation_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.SEGMENT) | ~Q(segment=""),
                name="prox_rule_segment_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.PURCHASE_VALUE) | Q(min_purchase_value__isnull=False),
                name="prox_rule_value_given",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReferentAssignment(models.Model):
    """A customer's (or a whole organisation's) advisor and deputy. Rows are never deleted: a
    change ends the current row (`ended_at`) and starts a new one, so the history stays."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referent_assignments",
        verbose_name=_("customer"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referent_assignments",
        verbose_name=_("organisation"),
    )
    referent = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="advised_assignments",
        verbose_name=_("advisor"),
    )
    deputy = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deputy_assignments",
        verbose_name=_("deputy"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Where the customer's cases go when advisor and deputy are both away."),
    )
    rule = models.ForeignKey(
        ReferentRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("rule"),
    )
    assigned_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("advisor assignment")
        verbose_name_plural = _("advisor assignments")
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(customer__isnull=False, organisation__isnull=True)
                    | Q(customer__isnull=True, organisation__isnull=False)
                ),
                name="prox_assignment_one_holder",
            ),
            models.CheckConstraint(
                condition=~Q(deputy=models.F("referent")), name="prox_assignment_deputy_differs"
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(ended_at__isnull=True, customer__isnull=False),
                name="prox_assignment_one_current_per_customer",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(ended_at__isnull=True, organisation__isnull=False),
                name="prox_assignment_one_current_per_organisation",
            ),
        ]
        indexes = [
            models.Index(fields=["referent", "ended_at"], name="prox_assignment_referent_idx"),
            models.Index(fields=["deputy", "ended_at"], name="prox_assignment_deputy_idx"),
        ]

    def __str__(self) -> str:
        holder = self.customer or self.organisation
        return f"{holder} → {self.referent}"


class Absence(models.Model):
    """A period when an agent is away (holiday, sick leave…): routing skips them."""

    agent = models.ForeignKey(
        USER, on_delete=models.CASCADE, related_name="absences", verbose_name=_("agent")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AbsenceKind.choices)
    starts_at = models.DateTimeField(pgettext_lazy("absence start", "from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="prox_absence_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AbsenceKind.values), name="prox_absence_kind"
            ),
        ]
        indexes = [models.Index(fields=["agent", "ends_at"], name="prox_absence_agent_idx")]

    def __str__(self) -> str:
        return f"{self.agent} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"


class Callback(models.Model):
    """A promise to call a customer back within a slot, owned by a named agent.

    The target is "called back within the slot": met when the first attempt is made before
    `slot_end`. A reminder goes to the owner before the slot, an escalation to the team's
    supervisor if the slot passes with no attempt. Voicemail or no answer schedules the next
    attempt by itself (`due_at` moves on) until GUICHET_CALLBACK_MAX_ATTEMPTS."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="callbacks", verbose_name=_("customer")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("case"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("owner")
    )
    phone = models.CharField(_("phone"), max_length=40)
    topic = models.CharField(_("topic"), max_length=250, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=CallbackSource.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CallbackStatus.choices,
        default=CallbackStatus.SCHEDULED,
    )
    slot_start = models.DateTimeField(_("slot starts"))
    slot_end = models.DateTimeField(_("slot ends"))
    # When the next attempt is due: the slot's end at first, later the retry's time.
    due_at = models.DateTimeField(_("next attempt due"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"))

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["slot_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_end__gt=models.F("slot_start")), name="prox_callback_slot_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CallbackStatus.values), name="prox_callback_status"
            ),
            models.CheckConstraint(
                condition=Q(source__in=CallbackSource.values), name="prox_callback_source"
            ),
        ]
        indexes = [
            # The day plan: an agent's callbacks by time.
            models.Index(fields=["owner", "status", "due_at"], name="prox_callback_plan_idx"),
            models.Index(fields=["status", "due_at"], name="prox_callback_due_idx"),
            models.Index(fields=["customer", "status"], name="prox_callback_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.slot_start:%Y-%m-%d %H:%M}"

    @property
    def target_met(self) -> bool | None:
        """Called within the slot? None while the slot is still ahead and nobody called."""
        if self.first_attempt_at is not None:
            return self.first_attempt_at <= self.slot_end
        if self.status == CallbackStatus.CANCELLED:
            return None
        return False if self.escalated_at else None


class CallbackAttempt(models.Model):
    """One call made for a callback, with its outcome; a call that reached the customer is also
    a "call" contact on the case (so it counts in first response and FCR)."""

    callback = models.ForeignKey(
        Callback, on_delete=models.CASCADE, related_name="attempt_rows", verbose_name=_("callback")
    )
    agent = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=CallOutcome.values), name="prox_attempt_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.callback_id} {self.outcome}"


class ContactNumber(models.Model):
    """A phone number the firm shows its customers, with what it costs them (REQ-LEG-04).
    French law forbids a premium-rate number for after-sales and complaints (L121-16):
    Guichet warns whoever sets one."""

    label = models.CharField(_("label"), max_length=100)
    number = models.CharField(_("number"), max_length=40)
    purpose = models.CharField(_("purpose"), max_length=12, choices=NumberPurpose.choices)
    tariff_class = models.CharField(_("tariff"), max_length=10, choices=TariffClass.choices)
    shown_to_customers = models.BooleanField(_("shown to customers"), default=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact number")
        verbose_name_plural = _("contact numbers")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=NumberPurpose.values), name="prox_number_purpose"
            ),
            models.CheckConstraint(
                condition=Q(tariff_class__in=TariffClass.values), name="prox_number_tariff"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.number}"


class HumanRequest(models.Model):
    """A customer said they want a person: the case is flagged and routed to one at once."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="human_requests", verbose_name=_("case")
    )
    requested_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10)
    routed_to = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("routing reason"), max_length=30, blank=True)
    requested_at = models.DateTimeField(_("requested"))
    handled_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("request for a person")
        verbose_name_plural = _("requests for a person")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["routed_to", "handled_at"], name="prox_human_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.requested_at:%Y-%m-%d %H:%M}"
