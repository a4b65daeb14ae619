from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "guichet.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction")

    def ready(self) -> None:
        from guichet.core.recurring import every, monthly_at, recurring_register
        from guichet.surveys import tasks  # noqa: F401  (registers the "case resolved" hook)

        # Periodic jobs `guichet worker` runs by itself (docs/operations.md, "Scheduled jobs").
        recurring_register("surveys.send_due", _send_due, next_run=every(minutes=60))
        recurring_register(
            "surveys.barometer_monthly", _barometer_monthly, next_run=monthly_at(1, 7)
        )


def _send_due() -> int:
    """Safety net beside the invitations scheduled for their time (or the way on backends
    that cannot defer)."""
    from guichet.surveys import services

    return sum(
        bool(services.invitation_send(invitation_id=pk)) for pk in services.invitations_due()
    )


def _barometer_monthly() -> int:
    from guichet.surveys.monthly import barometer_monthly_email_send

    return barometer_monthly_email_send()
