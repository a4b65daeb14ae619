from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class Outcome(models.TextChoices):
    OPEN = "open", _("Running")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    # Ended by closing the case without resolving it (spam, duplicate, merge): not measured.
    CANCELLED = "cancelled", _("Not measured")


class Countdown(models.TextChoices):
    """What the inbox shows for a case's nearest target."""

    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    NONE = "none", _("No target")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", _("Closed all day")
    OPEN = "open", _("Open (these hours replace the usual ones)")


class AlertMoment(models.TextChoices):
    BEFORE_DUE = "before_due", _("Before the due time (warning)")
    AFTER_BREACH = "after_breach", _("After the breach (escalation)")


class Recipient(models.TextChoices):
    OWNER = "owner", _("The case owner (the team supervisor when unassigned)")
    TEAM_SUPERVISOR = "team_supervisor", _("The team's supervisor")
    USER = "user", _("A named person")


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", _("Target at risk")
    SLA_BREACH = "sla_breach", _("Target missed")


# Share of a target left when a running clock turns "at risk" in the inbox.
AT_RISK_SHARE = 0.25
