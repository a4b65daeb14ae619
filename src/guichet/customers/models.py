from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A company or household a customer belongs to; `segment` feeds policies and the barometer."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    segment = models.CharField(_("segment"), max_length=50, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person who asks for help. May have a portal login (`user`), several email addresses
    (the first one is `email`), a phone and a preferred language."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("organisation"),
    )
    segment = models.CharField(_("segment"), max_length=50, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        verbose_name=_("portal account"),
    )
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


class CustomerEmail(models.Model):
    """Every address a customer writes from; unique across customers so an inbound message
    finds exactly one person."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="emails", verbose_name=_("customer")
    )
    address = models.EmailField(_("address"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("customer email")
        verbose_name_plural = _("customer emails")
        constraints = [
            models.UniqueConstraint(Lower("address"), name="customer_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.address
