from __future__ import annotations

from django.db import transaction
from django.db.models import F

from guichet.core.models import Sequence


def sequence_next(*, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive values and return the first one.

    Runs inside the caller's transaction: the UPDATE takes the row lock (PostgreSQL) or the
    database write lock (SQLite, IMMEDIATE), so concurrent callers are serialised.
    """
    if count < 1:
        raise ValueError("count must be positive")
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + count)
        last = Sequence.objects.values_list("value", flat=True).get(name=name)
    return last - count + 1
