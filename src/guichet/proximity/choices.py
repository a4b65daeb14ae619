from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    """Which customers a référent rule gives an advisor to."""

    ALL = "all", _("All customers")
    ORGANISATION = "organisation", _("Customers of an organisation")
    SEGMENT = "segment", _("Customers of a segment")
    AFTER_COMPLAINT = "after_complaint", _("Customers after a complaint")
    PURCHASE_VALUE = "purchase_value", _("Customers above a purchase value")


class AbsenceKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    SICK = "sick", _("Sick leave")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class CallbackSource(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL_LINK = "email_link", _("Link in an email")
    AGENT = "agent", _("Taken by an agent")
    API = "api", _("API")


class CallbackStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Customer reached")
    FAILED = "failed", _("Not reached")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CALLBACK_STATUSES = (CallbackStatus.SCHEDULED,)


class CallOutcome(models.TextChoices):
    """What happened when an agent called (or was called)."""

    REACHED = "reached", _("Reached")
    VOICEMAIL = "voicemail", _("Voicemail")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


# Outcomes after which Guichet schedules the next attempt by itself.
RETRY_OUTCOMES = (CallOutcome.VOICEMAIL, CallOutcome.NO_ANSWER)


class NumberPurpose(models.TextChoices):
    AFTER_SALES = "after_sales", _("After-sales / contract performance")
    COMPLAINTS = "complaints", _("Complaints")
    SALES = "sales", _("Sales / orders")
    INFORMATION = "information", _("General information")
    ADVICE = "advice", _("Paid advice line")


# French law (Code de la consommation L121-16): these numbers may not be premium-rate.
PROTECTED_PURPOSES = (NumberPurpose.AFTER_SALES, NumberPurpose.COMPLAINTS)


class TariffClass(models.TextChoices):
    """What a call costs the caller, as shown beside the number (REQ-LEG-04, REQ-CCC-03)."""

    FREE = "free", _("Free call")
    STANDARD = "standard", _("Standard rate (price of a normal call)")
    PREMIUM = "premium", _("Premium rate (surcharged)")


class RoutingReason(models.TextChoices):
    """Why a case went to whom; stored in the case's ASSIGNED event as `reason`."""

    REFERENT = "referent", _("The customer's advisor")
    DEPUTY = "deputy", _("The advisor is absent: their deputy")
    TEAM_REFERENT_ABSENT = "referent_absent_team", _("Advisor and deputy absent: the team")
    TEAM_PRESENT = "team_present", _("Least-loaded colleague present")
    HUMAN_REQUESTED = "human_requested", _("The customer asked to talk to a person")
    ADVISOR_LEFT = "advisor_left", _("The advisor left: reassigned")
