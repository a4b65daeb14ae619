"""Small creators for the case timeline; services call them, nothing else writes CaseEvent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from guichet.accounts.models import User
from guichet.cases.choices import EventKind
from guichet.cases.models import Case, CaseEvent


def event_record(
    *, case: Case, kind: EventKind, actor: User | None, at: datetime, **data: Any
) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, data=data, created_at=at)
