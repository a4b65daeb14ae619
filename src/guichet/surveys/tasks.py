"""Background work of the surveys app, and the case hooks it listens to."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.utils import timezone

from guichet.core.hooks import hooks_register
from guichet.core.tasks import retrying_task
from guichet.surveys import facts, services
from guichet.surveys.models import SurveyInvitation

logger = logging.getLogger(__name__)


@retrying_task
def survey_invitation_send(invitation_id: int) -> bool:
    return services.invitation_send(invitation_id=invitation_id)


@retrying_task
def surveys_send_due() -> int:
    """Safety net (and the way on backends that cannot defer): send every due invitation."""
    sent = 0
    for pk in services.invitations_due():
        sent += bool(services.invitation_send(invitation_id=pk))
    return sent


@retrying_task
def barometer_monthly_send(month: str | None = None) -> int:
    from guichet.surveys.monthly import barometer_monthly_email_send

    return barometer_monthly_email_send(month=date.fromisoformat(f"{month}-01") if month else None)


def invitation_enqueue(invitation: SurveyInvitation) -> None:
    """Queue the sending for `send_after` (django-tasks run_after) where the backend can defer;
    elsewhere `surveys_send_due` (guichet surveys_send_due, or the next run) picks it up."""
    task = survey_invitation_send
    if task.get_backend().supports_defer:
        task = task.using(run_after=invitation.send_after)
    elif invitation.send_after > timezone.now():
        return
    task.enqueue(invitation.pk)


def _on_status_changed(*, case_id: int, old: str, new: str, **_: object) -> None:
    _refresh_facts(case_id=case_id)
    if new == "resolved":
        services.invitation_schedule(case_id=case_id)


def _refresh_facts(*, case_id: int, **_: object) -> None:
    facts.case_facts_refresh_around(case_id=case_id)


def _refresh_facts_many(*, case_ids: list[int]) -> None:
    """`_refresh_facts` for a batch of cases (core.hooks replays a batch of inbound mail): the
    cases "around" each one are gathered first, then refreshed together."""
    from guichet.cases.models import Case
    from guichet.surveys.models import CaseFact

    # As case_facts_refresh_around for each: the case, the case it was merged into, and the
    # customer's other cases resolved before it began; for several cases of one customer the
    # union is what resolved before the latest of them began.
    around: set[int] = set()
    latest: dict[int, object] = {}
    for pk, customer_id, created_at, merged_into_id in Case.objects.filter(
        pk__in=list(case_ids)
    ).values_list("pk", "customer_id", "created_at", "merged_into_id"):
        around.add(pk)
        if merged_into_id:
            around.add(merged_into_id)
        if customer_id not in latest or created_at > latest[customer_id]:
            latest[customer_id] = created_at
    if latest:
        for customer_id, resolved_at, case_id in CaseFact.objects.filter(
            customer_id__in=list(latest), resolved_at__isnull=False
        ).values_list("customer_id", "resolved_at", "case_id"):
            if resolved_at < latest[customer_id] + timedelta(seconds=1):
                around.add(case_id)
    if around:
        facts.case_facts_refresh(case_ids=around)


hooks_register("case.status_changed", _on_status_changed)
hooks_register("case.created", _refresh_facts, many=_refresh_facts_many)
hooks_register("case.assigned", _refresh_facts, many=_refresh_facts_many)
# A new category changes the case's filters, its repeat contacts and maybe its service policy
# (hence its business calendar).
hooks_register("case.updated", _refresh_facts, many=_refresh_facts_many)
hooks_register("contact.created", _refresh_facts, many=_refresh_facts_many)


def _on_cases_imported(*, first_case_id: int, last_case_id: int, **_: object) -> None:
    facts.case_facts_refresh_range(first_case_id=first_case_id, last_case_id=last_case_id)


hooks_register("cases.imported", _on_cases_imported)
