from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")


STAFF_ROLES = (Role.ADMINISTRATOR, Role.SUPERVISOR, Role.AGENT)
# Roles that see every team's cases.
OVERSEER_ROLES = (Role.ADMINISTRATOR, Role.SUPERVISOR)
