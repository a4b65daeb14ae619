from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Team
from guichet.cases.choices import (
    CaseStatus,
    Channel,
    ContactKind,
    Direction,
    EventKind,
    Priority,
)
from guichet.customers.models import Customer


def case_reference(number: int) -> str:
    return f"{settings.GUICHET_CASE_PREFIX}-{number:06d}"


class Category(models.Model):
    """What a request is about (billing, delivery, product…); drives routing and the barometer."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("team"),
        help_text=_("Cases in this category go to this team."),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """One customer request, from first contact to closure, owned by one named agent.

    `first_response_at`, `resolved_at` and `closed_at` are kept by the services for fast lists;
    the contacts and events remain the source of truth for every metric."""

    number = models.BigIntegerField(_("number"), unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=250)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cases",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("team"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("category"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="cases", verbose_name=_("tags"))
    channel = models.CharField(
        _("channel of first contact"), max_length=10, choices=Channel.choices
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            # The API's default list and "updated since" (keyset on updated_at, id).
            models.Index(fields=["updated_at", "id"], name="case_updated_idx"),
            # Inbox views: mine / my team / unassigned, by status.
            models.Index(fields=["owner", "status", "updated_at"], name="case_owner_status_idx"),
            models.Index(fields=["team", "status", "updated_at"], name="case_team_status_idx"),
            models.Index(fields=["status", "updated_at"], name="case_status_idx"),
            # Customer's history (360° view) and repeat-contact metric.
            models.Index(fields=["customer", "created_at"], name="case_customer_idx"),
            # Metrics by period: created, resolved.
            models.Index(fields=["created_at"], name="case_created_idx"),
            models.Index(fields=["resolved_at"], name="case_resolved_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values), name="case_priority_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="case_channel_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")), name="case_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Contact(models.Model):
    """One interaction on one channel: a customer's message, an agent's reply, an internal note,
    a phone call, or a status change shown to the customer."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("author (agent or portal user)"),
    )
    author_customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("author (customer)"),
    )
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("sanitised HTML"), blank=True)
    # The channel's own identifier (an email's Message-ID…) makes deliveries idempotent.
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["case", "created_at"], name="contact_case_time_idx"),
            # First response and FCR: agent responses per case, in time order.
            models.Index(fields=["kind", "created_at"], name="contact_kind_time_idx"),
            # Repeat contacts: a customer's messages over time.
            models.Index(fields=["author_customer", "created_at"], name="contact_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ContactKind.values), name="contact_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="contact_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A file sent with a contact. Stored by content hash outside the row; always served as a
    download, never rendered on our origin."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("contact")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class CaseEvent(models.Model):
    """Append-only record of what happened to a case, with who and when: the case timeline, and
    the data every metric is computed from."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            models.Index(fields=["case", "created_at"], name="event_case_time_idx"),
            models.Index(fields=["kind", "created_at"], name="event_kind_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
