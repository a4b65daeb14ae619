from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Team
from guichet.cases.choices import Channel, Priority
from guichet.cases.models import Case, Category
from guichet.customers.models import Organisation
from guichet.sla.choices import (
    AlertMoment,
    ExceptionKind,
    NotificationKind,
    Outcome,
    Recipient,
    TargetKind,
    Weekday,
)

DEFAULT_CALENDAR = "default"
MIDNIGHT = dt.time(0, 0)


class Calendar(models.Model):
    """A business calendar: time zone, weekly opening hours, public holidays of a country (and
    subdivision: "57" Moselle, "6AE" Alsace), the firm's own closed days and exceptional openings.

    Policies and teams point to one; "default" always exists (REQ-CAL-01..04)."""

    name = models.SlugField(_("name"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    country = models.CharField(
        _("public holidays of"),
        max_length=3,
        blank=True,
        default="FR",
        help_text=_("ISO 3166 country code (FR, BE, CH…); empty for no public holidays."),
    )
    subdivision = models.CharField(
        _("subdivision"),
        max_length=20,
        blank=True,
        help_text=_(
            'For France: "57" (Moselle) or "6AE" (Alsace) add Good Friday and 26 December.'
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Bumped by every change to the calendar or its hours: caches and recomputes key on it.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name


class OpeningHours(models.Model):
    """One opening range of a weekday; a day may have several (morning and afternoon)."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="sla_hours_weekday_valid"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(end=MIDNIGHT),
                name="sla_hours_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarException(models.Model):
    """A date that differs from the week: closed all day (a bridge day, an inventory), or open with
    its own hours (an exceptional Saturday, shorter hours on 24 December). Open hours on a date
    replace the usual ones, even on a public holiday."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKind.choices)
    start = models.TimeField(_("opens"), null=True, blank=True)
    end = models.TimeField(_("closes"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date", "start"]
        indexes = [models.Index(fields=["calendar", "date"], name="sla_exception_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=ExceptionKind.CLOSED, start__isnull=True, end__isnull=True)
                    | (
                        Q(kind=ExceptionKind.OPEN, start__isnull=False, end__isnull=False)
                        & (Q(end__gt=models.F("start")) | Q(end=MIDNIGHT))
                    )
                ),
                name="sla_exception_hours_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class TeamCalendar(models.Model):
    """The calendar a team works to, when its policy does not name one."""

    team = models.OneToOneField(
        Team,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla_calendar",
        verbose_name=_("team"),
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="teams", verbose_name=_("calendar")
    )

    class Meta:
        verbose_name = _("team calendar")
        verbose_name_plural = _("team calendars")

    def __str__(self) -> str:
        return f"{self.team} → {self.calendar}"


class Policy(models.Model):
    """A service commitment: per priority, first-response, next-response and resolution targets
    in business minutes. It applies to the cases matching all its conditions (an empty condition
    matches anything); the first active policy by `order` wins, else the default one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(
        _("default policy"), default=False, help_text=_("Applies when no other policy matches.")
    )
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("calendar"),
        help_text=_('Empty: the team\'s calendar, else "default".'),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    segment = models.CharField(_("customer segment"), max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("organisation"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("category"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("team"),
    )
    pause_when_waiting = models.BooleanField(
        _("pause while waiting on the customer"),
        default=True,
        help_text=_("Clocks stop while the case waits on the customer and resume on their reply."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("service policy")
        verbose_name_plural = _("service policies")
        ordering = ["-is_default", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="sla_policy_single_default",
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(is_active=True), name="sla_policy_default_active"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyTarget(models.Model):
    """The targets of a policy for one priority, in business minutes; empty means no target."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (business minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("policy target")
        verbose_name_plural = _("policy targets")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority"], name="sla_target_one_per_priority"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="sla_target_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} / {self.get_priority_display()}"

    def minutes(self, kind: str) -> int | None:
        return getattr(self, f"{kind}_minutes")


class CaseClock(models.Model):
    """The live service clocks of one case, summarised for the inbox: which policy and calendar
    apply, whether the clock is paused, and the nearest due time of a running target.

    Rebuilt from the case's event log by `services.clock_sync`; never edited by hand."""

    case = models.OneToOneField(
        Case,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla_clock",
        verbose_name=_("case"),
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("policy")
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("calendar")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    next_kind = models.CharField(
        _("nearest target"), max_length=20, choices=TargetKind.choices, blank=True
    )
    next_due_at = models.DateTimeField(_("nearest due time"), null=True, blank=True)
    # When the nearest target enters its last quarter ("at risk" in the inbox).
    next_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    # When the one pending alert task of this case runs (a warning or an escalation).
    next_alert_at = models.DateTimeField(_("next alert"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synchronised"))

    class Meta:
        verbose_name = _("case clock")
        verbose_name_plural = _("case clocks")
        indexes = [
            models.Index(fields=["next_due_at"], name="sla_clock_next_due_idx"),
            models.Index(fields=["next_alert_at"], name="sla_clock_next_alert_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.next_due_at}"


class CaseTarget(models.Model):
    """One run of one target on one case: the first response, each next response (one per
    unanswered customer message), the resolution. Derived from the event log; the columns copied
    from the case (team, channel, priority, week) let the reactivity report read one table."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="sla_targets", verbose_name=_("case")
    )
    kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    seq = models.PositiveIntegerField(_("run"), default=0)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("team")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    week = models.DateField(_("week (Monday)"))
    started_at = models.DateTimeField(_("started"))
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"), null=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    breached_at = models.DateTimeField(_("missed at"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.BigIntegerField(_("paused (seconds)"), default=0)
    paused_business_seconds = models.BigIntegerField(_("paused (business seconds)"), default=0)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    business_seconds = models.BigIntegerField(_("time taken (business seconds)"), null=True)
    calendar_seconds = models.BigIntegerField(_("time taken (seconds)"), null=True)

    class Meta:
        verbose_name = _("case target")
        verbose_name_plural = _("case targets")
        ordering = ["case", "kind", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "seq"], name="sla_case_target_unique"),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="sla_case_target_outcome_valid"
            ),
        ]
        indexes = [
            # The reactivity report: by target and week, then team/channel/priority.
            models.Index(fields=["kind", "week", "outcome"], name="sla_target_report_idx"),
            # Cases at risk now / overdue.
            models.Index(fields=["outcome", "risk_at"], name="sla_target_risk_idx"),
            # Running runs of a period: counted as breached once overdue, at read time (the
            # pre-aggregates hold finished runs only). Partial: only running rows are indexed.
            models.Index(
                fields=["week", "kind"],
                condition=Q(outcome="open"),
                name="sla_target_open_week_idx",
            ),
            # Exact quantiles: the runs of one histogram bucket, in time-taken order.
            models.Index(
                fields=["kind", "business_seconds", "week"],
                condition=Q(outcome__in=["met", "breached"]),
                name="sla_target_business_idx",
            ),
            models.Index(
                fields=["kind", "calendar_seconds", "week"],
                condition=Q(outcome__in=["met", "breached"]),
                name="sla_target_calendar_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}#{self.seq} {self.outcome}"


class ReportCell(models.Model):
    """Pre-aggregate of the reactivity report: finished runs met and breached, per target, week,
    team, channel and priority. Kept in step with CaseTarget in the same transaction (see
    sla.aggregates); `guichet sla aggregates` rebuilds it from CaseTarget."""

    kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    week = models.DateField(_("week (Monday)"))
    # A plain number, 0 for no team: a NULL would defeat the unique key the upserts rely on.
    team_key = models.IntegerField(_("team"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    met = models.BigIntegerField(_("met"), default=0)
    breached = models.BigIntegerField(_("breached"), default=0)

    class Meta:
        verbose_name = _("report cell")
        verbose_name_plural = _("report cells")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "week", "team_key", "channel", "priority"],
                name="sla_report_cell_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.week} {self.met}/{self.met + self.breached}"


class ReportBucket(models.Model):
    """Pre-aggregate of the time taken by finished runs: how many runs per target, week and
    bucket of whole minutes, for all runs (`dim` empty) and per team, channel or priority.
    Buckets are exact below 32 minutes, then 16 per doubling; the reader finds the bucket
    holding the median (or p90) here and reads only that bucket's runs from CaseTarget, so the
    figures stay exact to the minute."""

    kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    measure = models.CharField(_("measure"), max_length=10)  # "business" | "calendar"
    dim = models.CharField(_("dimension"), max_length=10, blank=True)
    value = models.CharField(_("value"), max_length=20, blank=True)
    week = models.DateField(_("week (Monday)"))
    minute = models.BigIntegerField(_("bucket (first minute)"))
    n = models.BigIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("report bucket")
        verbose_name_plural = _("report buckets")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "measure", "dim", "value", "week", "minute"],
                name="sla_report_bucket_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.measure} {self.dim}={self.value} {self.week} {self.minute}"


class AlertSlot(models.Model):
    """A time at which an alert task is queued. Alerts are grouped by slot (a few minutes wide),
    so recomputing 100,000 cases queues one task per slot, not one per case; the task reads the
    clocks whose next alert is due (an index range), never every case."""

    run_at = models.DateTimeField(_("runs at"), unique=True)

    class Meta:
        verbose_name = _("alert slot")
        verbose_name_plural = _("alert slots")

    def __str__(self) -> str:
        return f"{self.run_at}"


class EscalationRule(models.Model):
    """Who hears about a target, and when: before it is due (a warning) or once it is missed
    (an escalation). Each rule schedules one background task per running target."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    policy = models.ForeignKey(
        Policy,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="escalation_rules",
        verbose_name=_("policy"),
        help_text=_("Empty: every policy."),
    )
    target_kind = models.CharField(
        _("target"), max_length=20, choices=TargetKind.choices, blank=True
    )
    moment = models.CharField(_("when"), max_length=20, choices=AlertMoment.choices)
    minutes = models.PositiveIntegerField(
        _("business minutes"),
        default=0,
        help_text=_(
            "Before the due time for a warning (at most a quarter of the target), after it for "
            "an escalation."
        ),
    )
    recipient = models.CharField(_("who"), max_length=20, choices=Recipient.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    in_app = models.BooleanField(_("in-app notification"), default=True)
    email = models.BooleanField(_("email"), default=True)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["moment", "minutes", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(recipient=Recipient.USER) | Q(user__isnull=False),
                name="sla_rule_user_given",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """A message for one person inside Guichet (also sent by email when the rule says so)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    message = models.CharField(_("message"), max_length=500)
    # Makes sending idempotent: the same alert for the same due time is sent once per person.
    key = models.CharField(_("key"), max_length=200)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_key_unique"),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "created_at"], name="notification_inbox_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.message
