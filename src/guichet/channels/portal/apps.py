from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "guichet.channels.portal"
    label = "portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        from guichet.cases.tasks import acknowledgement_context_register
        from guichet.channels.portal.services import portal_acknowledgement_context

        # The acknowledgement of a new case carries a one-time link to follow it in the portal.
        acknowledgement_context_register(portal_acknowledgement_context)
