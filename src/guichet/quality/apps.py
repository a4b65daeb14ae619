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
        hooks_register("complaint.opened", _on_complaint_opened)
        hooks_register("complaint.step", _on_complaint_step)
        # Periodic jobs `guichet worker` runs by itself (docs/operations.md, "Scheduled jobs").
        from guichet.core.recurring import daily_at, recurring_register, weekly_at

        recurring_register("quality.daily_check", _daily_check, next_run=daily_at(6))
        recurring_register("quality.review_sampling", _sample_reviews, next_run=weekly_at(0, 6, 30))


def _on_contact_created(*, case_id: int, contact_id: int, **_ignored) -> None:
    from guichet.quality.services.intake import complaint_first_written_from_contact
    from guichet.quality.services.suggestions import complaint_suggestion_from_contact

    complaint_first_written_from_contact(case_id=case_id, contact_id=contact_id)
    # Any channel's inbound customer message that reads like a complaint suggests one.
    complaint_suggestion_from_contact(case_id=case_id, contact_id=contact_id)


def _on_complaint_opened(*, complaint_id: int, **_ignored) -> None:
    """Progress messages at each pre-set deadline (REQ-CMP-05) and the mediator's notice when
    the legal delay passes, scheduled on the task queue."""
    from guichet.quality.models import Complaint
    from guichet.quality.services.progress import (
        complaint_mediation_schedule,
        complaint_progress_schedule,
    )

    complaint = Complaint.objects.filter(pk=complaint_id).first()
    if complaint is not None:
        complaint_progress_schedule(complaint=complaint)
        complaint_mediation_schedule(complaint=complaint)


def _on_complaint_step(*, complaint_id: int, step: str, **_ignored) -> None:
    """A holding reply moves the answer deadline: its progress message follows it."""
    from guichet.quality.choices import StepKind
    from guichet.quality.models import Complaint
    from guichet.quality.services.progress import complaint_progress_schedule

    if step != StepKind.HOLDING_REPLY:
        return
    complaint = Complaint.objects.filter(pk=complaint_id).first()
    if complaint is not None:
        complaint_progress_schedule(complaint=complaint, stages=("answer",))


def _daily_check() -> tuple[int, int]:
    from guichet.quality.services.progress import complaints_daily_check

    return complaints_daily_check()


def _sample_reviews() -> int:
    from guichet.quality.services import reviews_sample_week

    return len(reviews_sample_week())
