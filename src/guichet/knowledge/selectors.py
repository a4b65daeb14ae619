from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.models import Case
from guichet.core.errors import NotFound
from guichet.knowledge.models import Answer, Macro, search_text_normalise
from guichet.knowledge.placeholders import placeholders_fill


def macro_list_for_user(*, user: User, include_inactive: bool = False) -> QuerySet[Macro]:
    """Macros an agent may use: shared ones and those of its teams; supervisors see all."""
    if not user.is_agent:
        return Macro.objects.none()
    qs = Macro.objects.select_related("team")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if not user.sees_all_teams:
        qs = qs.filter(Q(team__isnull=True) | Q(team__in=user.teams.values("id")))
    return qs.order_by("name", "id")


def macro_get_for_user(*, user: User, macro_id: int, include_inactive: bool = False) -> Macro:
    macro = (
        macro_list_for_user(user=user, include_inactive=include_inactive)
        .filter(pk=macro_id)
        .first()
    )
    if macro is None:
        raise NotFound(_("Macro not found."))
    return macro


def macro_render(*, macro: Macro, case: Case, agent: User) -> str:
    """The macro's text for this case, placeholders filled (plain substitution)."""
    return placeholders_fill(macro.body, case=case, agent=agent)


ANSWERS_SHOWN = 5
_CANDIDATES = 50
_MIN_WORD = 4  # shorter words ("mon", "les", "pas") match too much to say anything
_STEM = 6  # "réclamations" and "réclamation" share "reclam"


def _stems(text: str) -> list[str]:
    words = re.findall(r"\w+", search_text_normalise(text))
    stems: list[str] = []
    for word in words:
        if len(word) >= _MIN_WORD and not word.isdigit():
            stem = word[:_STEM]
            if stem not in stems:
                stems.append(stem)
    return stems[:8]


def answers_matching(*, text: str, language: str) -> list[Answer]:
    """Published answers in this language sharing words with `text` (a request's subject), the
    best first: title matches count double. One query; an empty or too short text gives none."""
    stems = _stems(text[:300])
    if not stems:
        return []
    any_stem = Q()
    for stem in stems:
        any_stem |= Q(search_text__contains=stem)
    candidates = list(
        Answer.objects.filter(any_stem, is_published=True, language=language)
        .only("id", "title", "body", "search_text")
        .order_by("-updated_at", "id")[:_CANDIDATES]
    )

    def score(answer: Answer) -> int:
        title = search_text_normalise(answer.title)
        return sum(2 if s in title else 1 for s in stems if s in answer.search_text)

    candidates.sort(key=lambda a: (-score(a), a.title))
    return candidates[:ANSWERS_SHOWN]
