from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.cases.models import Case
from guichet.channels.portal.choices import LinkPurpose, ThrottledAction
from guichet.customers.models import Customer


class PortalLink(models.Model):
    """A one-time link sent by email: to sign in without a password, or to follow a request.

    The link itself is signed (django.core.signing) and carries this row's id and a random
    nonce; only the nonce's SHA-256 is stored, so a database leak gives no working link.
    `used_at` makes it single use; `expires_at` bounds it in time."""

    purpose = models.CharField(_("purpose"), max_length=10, choices=LinkPurpose.choices)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="portal_links",
        verbose_name=_("customer"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    email = models.EmailField(_("sent to"))
    nonce_hash = models.CharField(_("nonce hash"), max_length=64, unique=True)
    next_path = models.CharField(_("go to after sign-in"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")
        indexes = [models.Index(fields=["expires_at"], name="portal_link_expires_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=LinkPurpose.values), name="portal_link_purpose_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="portal_link_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.email}"


class PortalThrottle(models.Model):
    """One counted action by an anonymous visitor (a request opened, a sign-in link asked for,
    a wrong password), recorded once per key: a keyed hash of the IP address and one of the
    email, never the address itself. Rows older than the window are deleted as new ones come."""

    action = models.CharField(_("action"), max_length=20, choices=ThrottledAction.choices)
    key = models.CharField(_("key"), max_length=64)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("portal throttle record")
        verbose_name_plural = _("portal throttle records")
        indexes = [
            models.Index(fields=["action", "key", "created_at"], name="portal_throttle_idx"),
            models.Index(fields=["created_at"], name="portal_throttle_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.created_at:%Y-%m-%d %H:%M}"
