from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintStatus(models.TextChoices):
    """The ISO 10002 lifecycle (STANDARDS.md §1.2); transitions live in quality/flows.py."""

    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSESSED = "assessed", _("Assessed")
    INVESTIGATING = "investigating", _("Under investigation")
    RESPONSE_PROPOSED = "response_proposed", _("Response proposed")
    ACCEPTED = "accepted", _("Response accepted")
    REFUSED = "refused", _("Response refused")
    CLOSED = "closed", _("Closed")


# Still the firm's to handle: the complaint backlog, and what the mediation clock watches.
OPEN_COMPLAINT_STATUSES = (
    ComplaintStatus.RECEIVED,
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.ASSESSED,
    ComplaintStatus.INVESTIGATING,
    ComplaintStatus.RESPONSE_PROPOSED,
    ComplaintStatus.REFUSED,
)


class StepKind(models.TextChoices):
    """What a ComplaintStep records: a move in the lifecycle, or something done within a step."""

    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSESSED = "assessed", _("Assessed")
    ESCALATED = "escalated", _("Escalated (safety)")
    INVESTIGATING = "investigating", _("Investigation started")
    NOTE = "note", _("Investigation note")
    HOLDING_REPLY = "holding_reply", _("Holding reply sent")
    RESPONSE_PROPOSED = "response_proposed", _("Response proposed")
    ACCEPTED = "accepted", _("Customer accepted")
    REFUSED = "refused", _("Customer refused")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    MEDIATION_INFORMED = "mediation_informed", _("Mediator information sent")
    HANDLER_CHANGED = "handler_changed", _("Handler changed")
    MEDIATION = "mediation", _("Mediation")
    PROGRESS = "progress", _("Progress message sent")


class ComplaintSource(models.TextChoices):
    AGENT = "agent", _("Marked by an agent")
    CUSTOMER = "customer", _("Declared by the customer")
    SUGGESTED = "suggested", _("Suggested by keywords, confirmed by an agent")


class Level(models.TextChoices):
    """Severity, impact, urgency and complexity share one four-step scale (REQ-CMP-07)."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


LEVEL_RANK = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3, Level.CRITICAL: 4}


class ClosureReason(models.TextChoices):
    """REQ-CMP-11."""

    ACCEPTED = "accepted", _("Customer accepted the response")
    FINAL_DECISION = "final_decision", _("Final decision given, with recourse information")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer")


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class RegulatoryProfile(models.TextChoices):
    """REQ-LEG-06: which law sets the default deadlines."""

    NONE = "none", _("None (the firm's own targets)")
    ACPR = "acpr", _("Banking and insurance (ACPR 2022-R-01)")
    PAYMENT = "payment", _("Payment services (CMF L133-45)")
    ENERGY = "energy", _("Energy (Code de l'énergie R122-1)")


class CountingMode(models.TextChoices):
    """REQ-CAL-03: "jours ouvrés" are the days the firm works; "jours ouvrables" are Monday to
    Saturday except public holidays (the count regulators usually mean)."""

    OUVRES = "ouvres", _("Working days (jours ouvrés)")
    OUVRABLES = "ouvrables", _("Business days Mon–Sat (jours ouvrables)")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ReviewStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for the agent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the agent")
    DISPUTED = "disputed", _("Disputed by the agent")


class MediationStatus(models.TextChoices):
    """REQ-LEG-03: where a referral to the consumer mediator stands."""

    REFERRED = "referred", _("Referred to the mediator")
    REJECTED = "rejected", _("Rejected by the mediator")
    PROPOSAL = "proposal", _("Mediator's proposal")
    ACCEPTED = "accepted", _("Proposal accepted")
    REFUSED = "refused", _("Proposal refused")
