from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProximityConfig(AppConfig):
    """A named advisor for every customer, callbacks kept as promises, a person one step away."""

    name = "guichet.proximity"
    label = "proximity"
    verbose_name = _("Proximity")

    def ready(self) -> None:
        from guichet.cases.routing import routing_register
        from guichet.core.hooks import hooks_register
        from guichet.proximity.services.batch import continuity_batch
        from guichet.proximity.services.human import on_contact_created
        from guichet.proximity.services.referents import on_complaint_opened
        from guichet.proximity.services.routing import continuity_route

        # New cases of a customer with an advisor go to that advisor (continuity routing);
        # many cases opened at once share its reads (case_open_many).
        routing_register(continuity_route, batch=continuity_batch)
        # "Customers after a complaint" rules give the complainant an advisor.
        hooks_register("complaint.opened", on_complaint_opened)
        # A reply or a call answers the customer's request for a person.
        hooks_register("contact.created", on_contact_created)
        # The callback sweep (a safety net beside the scheduled reminders), run by the worker.
        from guichet.core.recurring import every, recurring_register
        from guichet.proximity.services.callbacks import callbacks_sweep

        recurring_register("proximity.sweep", callbacks_sweep, next_run=every(minutes=15))
