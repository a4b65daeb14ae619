from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Case events after which a case's service clocks are brought in step (after commit).
SYNC_EVENTS = (
    "case.created",
    "case.assigned",
    "case.status_changed",
    "case.updated",
    "contact.created",
)


class SlaConfig(AppConfig):
    name = "guichet.sla"
    label = "sla"
    verbose_name = _("Service targets")

    def ready(self) -> None:
        from guichet.core.hooks import hooks_register
        from guichet.sla.services import on_case_changed, on_cases_imported
        from guichet.sla.services.sync import on_cases_changed

        for event in SYNC_EVENTS:
            hooks_register(event, on_case_changed, many=on_cases_changed)
        hooks_register("cases.imported", on_cases_imported)
