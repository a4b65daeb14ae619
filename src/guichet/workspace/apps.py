from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The agents' web pages: inbox, case page, customer page (server-rendered, htmx)."""

    name = "guichet.workspace"
    label = "workspace"
    verbose_name = _("Agent workspace")
