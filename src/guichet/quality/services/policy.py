"""The quality policy row and the consumer mediator in force."""

from __future__ import annotations

from guichet.quality.models import Mediator, QualityPolicy


def policy_get() -> QualityPolicy:
    policy, _created = QualityPolicy.objects.get_or_create(pk=1)
    return policy


def mediator_active() -> Mediator | None:
    return Mediator.objects.filter(is_active=True).first()
