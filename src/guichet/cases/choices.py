from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Statuses in which the case is still the firm's to handle (the backlog).
ACTIVE_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING_CUSTOMER)
FINISHED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Portal")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    CHAT = "chat", _("Chat")


class ContactKind(models.TextChoices):
    CUSTOMER_MESSAGE = "customer_message", _("Customer message")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    CALL = "call", _("Phone call")
    STATUS_NOTICE = "status_notice", _("Status notice")


# Kinds that count as "a human agent answered the customer" for first response and FCR.
AGENT_RESPONSE_KINDS = (ContactKind.REPLY, ContactKind.CALL)
# Kinds the customer may see.
PUBLIC_KINDS = (
    ContactKind.CUSTOMER_MESSAGE,
    ContactKind.REPLY,
    ContactKind.CALL,
    ContactKind.STATUS_NOTICE,
)


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    ASSIGNED = "assigned", _("Assigned")
    UNASSIGNED = "unassigned", _("Unassigned")
    TRANSFERRED = "transferred", _("Transferred")
    STATUS_CHANGED = "status_changed", _("Status changed")
    REOPENED = "reopened", _("Reopened")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    CATEGORY_CHANGED = "category_changed", _("Category changed")
    TAGS_CHANGED = "tags_changed", _("Tags changed")
    SUBJECT_CHANGED = "subject_changed", _("Subject changed")
    CONTACT_ADDED = "contact_added", _("Contact added")
    MERGED = "merged", _("Merged")
    # Service targets (guichet.sla): the policy applied, due times recomputed, alerts sent.
    SLA_POLICY = "sla_policy", _("Service policy applied")
    SLA_RECOMPUTED = "sla_recomputed", _("Service due times recomputed")
    SLA_WARNING = "sla_warning", _("Service target at risk")
    SLA_BREACHED = "sla_breached", _("Service target missed")
    # Complaints (guichet.quality): opened, each lifecycle step, suggested by keywords or
    # declared by the customer, and a suggestion an agent judged not to be a complaint.
    COMPLAINT_OPENED = "complaint_opened", _("Complaint opened")
    COMPLAINT_STEP = "complaint_step", _("Complaint step")
    COMPLAINT_SUGGESTED = "complaint_suggested", _("Complaint suggested")
    COMPLAINT_DISMISSED = "complaint_dismissed", _("Not a complaint")
