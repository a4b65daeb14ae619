from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailChannelConfig(AppConfig):
    name = "guichet.channels.email"
    label = "email_channel"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from guichet.channels.email import tasks  # noqa: F401  (registers the outbound hooks)
