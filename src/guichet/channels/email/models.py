from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Team
from guichet.cases.models import Case, Category, Contact
from guichet.channels.email.choices import (
    InboundSource,
    InboundState,
    MessageClass,
    OutboundKind,
    OutboundState,
)


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (local servers only)")


class Mailbox(models.Model):
    """An address customers write to. Mail for it arrives through the SMTP/LMTP listener, or is
    fetched from an IMAP server when `imap_host` is set. New cases go to its team and category,
    and replies go out From this address, which also takes the answers (Reply-To)."""

    address = models.EmailField(_("address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=100,
        blank=True,
        help_text=_("Shown after the agent's first name in From, e.g. “Service client”."),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailboxes",
        verbose_name=_("team"),
    )
    default_category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailboxes",
        verbose_name=_("default category"),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(_("IMAP user name"), max_length=200, blank=True)
    # Kept in the database (never in the repository) and never shown back by the admin form.
    imap_password = models.CharField(_("IMAP password"), max_length=500, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    imap_archive_folder = models.CharField(
        _("IMAP archive folder"),
        max_length=200,
        blank=True,
        help_text=_("Stored messages are moved there; empty: they are only flagged as seen."),
    )
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_poll_error = models.TextField(_("last polling error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(Lower("address"), name="mailbox_address_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def polls_imap(self) -> bool:
        return bool(self.enabled and self.imap_host and self.imap_username)


class InboundMessage(models.Model):
    """One message as it arrived, raw bytes first. The row is committed before the sender's
    server (SMTP/LMTP) or the IMAP mailbox is told we have it; parsing and case creation come
    after, so a crash or a parse failure loses nothing. The unique Message-ID and content hash
    make every redelivery land on this same row."""

    mailbox = models.ForeignKey(
        Mailbox,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("mailbox"),
    )
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    envelope_from = models.CharField(_("envelope sender"), max_length=255, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    message_class = models.CharField(
        _("kind of mail"), max_length=20, choices=MessageClass.choices, blank=True
    )
    sender = models.CharField(_("sender"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    error = models.TextField(_("error or reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("case"),
    )
    contact = models.OneToOneField(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_email",
        verbose_name=_("contact"),
    )
    threaded_by = models.CharField(_("threaded by"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received"))
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # The retention job empties `raw` of old processed or ignored messages; the row (hash,
    # Message-ID) stays, so a late redelivery is still recognised.
    raw_deleted_at = models.DateTimeField(_("raw message deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The pending queue and the quarantine.
            models.Index(fields=["state", "id"], name="inbound_state_idx"),
            # Per-sender rate limit and sender+subject threading.
            models.Index(fields=["sender", "received_at"], name="inbound_sender_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id=""),
                name="inbound_message_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=InboundState.values), name="inbound_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id or f"#{self.pk}"


class OutboundMessage(models.Model):
    """An email Guichet sent (or is sending) about a case. Its Message-ID is recorded before
    the message leaves, so the customer's answer threads back even if it comes at once."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="outbound_emails", verbose_name=_("case")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_emails",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OutboundKind.choices)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.TextField(_("References"), blank=True)
    from_address = models.CharField(_("From"), max_length=255)
    reply_to = models.CharField(_("Reply-To"), max_length=255)
    to_address = models.CharField(_("To"), max_length=255)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    state = models.CharField(
        _("state"), max_length=10, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "created_at"], name="outbound_case_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=OutboundState.values), name="outbound_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_address}"


class BouncingAddress(models.Model):
    """An address mail to which came back as undeliverable (a DSN). No acknowledgement is sent
    to it; agents see it on the customer. Deleting the row clears the mark."""

    address = models.EmailField(_("address"), unique=True)
    bounces = models.PositiveIntegerField(_("bounces"), default=1)
    diagnostic = models.TextField(_("last diagnostic"), blank=True)
    first_bounced_at = models.DateTimeField(_("first bounce"))
    last_bounced_at = models.DateTimeField(_("last bounce"))

    class Meta:
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")
        ordering = ["-last_bounced_at"]

    def __str__(self) -> str:
        return self.address
