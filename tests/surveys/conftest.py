from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from guichet.cases import services as case_services
from guichet.cases.models import Case
from guichet.surveys.services import survey_config_get

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(60))


@pytest.fixture
def config(db):
    config = survey_config_get()
    config.delay_hours = 0
    config.save()
    return config


@pytest.fixture
def run_hooks(django_capture_on_commit_callbacks):
    """Run a block and then its after-commit hooks (surveys, facts), as in production."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def open_case(*, agent, customer, at=T0, category=None, channel="email", subject="Colis") -> Case:
    return case_services.case_open(
        actor=agent,
        customer=customer,
        subject=subject,
        body_text="Bonjour, mon colis n'est pas arrivé.",
        channel=channel,
        category=category,
        at=at,
    )


def reply(*, agent, case, at, kind="reply", body="Voici la réponse.") -> None:
    case_services.contact_add(actor=agent, case=case, kind=kind, body_text=body, at=at)


def resolve(*, agent, case, at) -> Case:
    return case_services.case_change_status(actor=agent, case=case, status="resolved", at=at)


def resolved_case(*, agent, customer, at=T0, category=None, channel="email") -> Case:
    """A case opened at `at`, answered once an hour later, resolved two hours later."""
    case = open_case(agent=agent, customer=customer, at=at, category=category, channel=channel)
    reply(agent=agent, case=case, at=at + timedelta(hours=1))
    return resolve(agent=agent, case=case, at=at + timedelta(hours=2))
