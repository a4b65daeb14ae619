from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailChannelConfig(AppConfig):
    name = "guichet.channels.email"
    label = "email_channel"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from guichet.channels.email import tasks  # noqa: F401  (registers the outbound hooks)
        from guichet.channels.email.services.retention import inbound_raw_purge
        from guichet.core.recurring import daily_at, recurring_register

        # Raw bytes of old processed mail deleted every night (GUICHET_EMAIL_RAW_RETENTION_DAYS).
        recurring_register("email.raw_retention", inbound_raw_purge, next_run=daily_at(3, 30))
