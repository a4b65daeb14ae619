from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The agents' web pages: inbox, case page, customer page (server-rendered, htmx)."""

    name = "guichet.workspace"
    label = "workspace"
    verbose_name = _("Agent workspace")

    def ready(self) -> None:
        from guichet.core.hooks import hooks_register
        from guichet.workspace.selectors import COUNTS_EVENTS, inbox_counts_forget

        # The cached view counts are dropped when a case comes, moves or changes status.
        for event in COUNTS_EVENTS:
            hooks_register(event, inbox_counts_forget)
