from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "guichet.quality"
    label = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        from guichet.core.hooks import hooks_register
        from guichet.quality import tasks  # noqa: F401  (registers the tasks with django-tasks)

        hooks_register("contact.created", _on_contact_created)


def _on_contact_created(*, case_id: int, contact_id: int, **_ignored) -> None:
    from guichet.quality.services.intake import complaint_first_written_from_contact
    from guichet.quality.services.suggestions import complaint_suggestion_from_contact

    complaint_first_written_from_contact(case_id=case_id, contact_id=contact_id)
    # Any channel's inbound customer message that reads like a complaint suggests one.
    complaint_suggestion_from_contact(case_id=case_id, contact_id=contact_id)
