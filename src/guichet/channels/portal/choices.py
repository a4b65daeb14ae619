from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkPurpose(models.TextChoices):
    SIGN_IN = "sign_in", _("Sign-in link")
    FOLLOW = "follow", _("Link to follow a request")


class ThrottledAction(models.TextChoices):
    """Actions an anonymous visitor can repeat, each counted per IP address and per email."""

    REQUEST = "request", _("Request opened without an account")
    SIGN_IN_LINK = "sign_in_link", _("Sign-in link asked for")
    PASSWORD_FAILURE = "password_failure", _("Wrong password")


class LinkState(models.TextChoices):
    VALID = "valid", _("Valid")
    FORGED = "forged", _("Not a link we sent")
    EXPIRED = "expired", _("Expired")
    USED = "used", _("Already used")
