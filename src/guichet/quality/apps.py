from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "guichet.quality"
    label = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        from guichet.quality import tasks  # noqa: F401  (registers the tasks with django-tasks)
