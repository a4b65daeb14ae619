from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundState(models.TextChoices):
    """Where a stored inbound message is in its life. `received` means stored and acknowledged
    to the sender's server but not yet turned into a contact: it is picked up on the next run."""

    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")
    IGNORED = "ignored", _("Ignored")


class InboundSource(models.TextChoices):
    SMTP = "smtp", _("SMTP")
    LMTP = "lmtp", _("LMTP")
    IMAP = "imap", _("IMAP")
    OTHER = "other", _("Other")


class MessageClass(models.TextChoices):
    """What kind of mail it is, for the loop and noise rules."""

    PERSON = "person", _("Written by a person")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    AUTO_GENERATED = "auto_generated", _("Automatically generated")
    BULK = "bulk", _("Bulk or mailing list")
    BOUNCE = "bounce", _("Delivery failure report")


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Agent reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")


class OutboundState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ClosedCasePolicy(models.TextChoices):
    REOPEN = "reopen", _("Reopen the closed case")
    FOLLOW_UP = "follow_up", _("Open a linked follow-up case")
