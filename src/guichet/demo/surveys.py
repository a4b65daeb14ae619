"""Demo survey answers for cases already written (normal or bulk mode).

For a share of the resolved cases (deterministic with the seed): an answered invitation and an
answer whose ratings lean on what happened (settled at the first contact or not), some with a
comment. Written in batches with bulk_create; the hooks are not involved (history, not news).

    from guichet.demo.surveys import survey_answers_generate
    survey_answers_generate(share=0.3, seed=1)
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from django.db import transaction

from guichet.cases.models import Case
from guichet.surveys.choices import InvitationStatus
from guichet.surveys.facts import case_facts_rebuild
from guichet.surveys.models import CaseFact, SurveyAnswer, SurveyInvitation
from guichet.surveys.stamps import figure_days_touch, local_day

COMMENTS_GOOD = [
    "Réponse rapide et claire, merci.",
    "Conseillère très aimable, problème réglé du premier coup.",
    "Parfait, rien à redire.",
    "Merci pour le suivi personnalisé.",
]
COMMENTS_BAD = [
    "J'ai dû rappeler trois fois avant d'avoir une réponse.",
    "On m'a renvoyé d'un service à l'autre.",
    "Toujours pas de remboursement.",
    "Réponse toute faite, qui ne correspond pas à ma question.",
]


def _ratings(rng: random.Random, settled: bool) -> dict:
    happy = rng.random() < (0.78 if settled else 0.38)
    return {
        "expectations_met": happy,
        "csat": rng.choice((4, 5, 5)) if happy else rng.choice((1, 2, 2, 3, 3)),
        "fcr": settled if rng.random() < 0.85 else not settled,
        "ces": rng.choice((5, 6, 7, 7)) if happy else rng.choice((1, 2, 3, 4)),
        "nps": (rng.choice((8, 9, 10, 10)) if happy else rng.choice((0, 3, 5, 6, 7)))
        if rng.random() < 0.7
        else None,
        "comment": rng.choice(COMMENTS_GOOD if happy else COMMENTS_BAD)
        if rng.random() < 0.2
        else "",
    }


def survey_answers_generate(*, share: float = 0.3, seed: int = 1, batch: int = 5000) -> int:
    """Answers for `share` of the resolved cases that have none yet; returns how many."""
    if not 0 <= share <= 1:
        raise ValueError("share must be between 0 and 1")
    if not CaseFact.objects.exists():
        case_facts_rebuild()
    rng = random.Random(seed)
    written = 0
    last = 0
    while True:
        rows = list(
            Case.objects.filter(pk__gt=last, resolved_at__isnull=False, merged_into__isnull=True)
            .exclude(survey_invitation__isnull=False)
            .order_by("pk")
            .values(
                "pk",
                "customer_id",
                "resolved_at",
                "channel",
                "team_id",
                "owner_id",
                "category_id",
                "customer__segment",
                "customer__language",
            )[:batch]
        )
        if not rows:
            return written
        last = rows[-1]["pk"]
        settled = dict(
            CaseFact.objects.filter(case_id__in=[r["pk"] for r in rows]).values_list(
                "case_id", "single_response"
            )
        )
        chosen = [r for r in rows if rng.random() < share]
        invitations = []
        for row in chosen:
            sent = row["resolved_at"] + timedelta(days=1)
            invitations.append(
                SurveyInvitation(
                    case_id=row["pk"],
                    customer_id=row["customer_id"],
                    nonce=secrets.token_urlsafe(16),
                    language=row["customer__language"] or "fr",
                    status=InvitationStatus.ANSWERED,
                    created_at=row["resolved_at"],
                    send_after=sent,
                    sent_at=sent,
                    expires_at=sent + timedelta(days=30),
                )
            )
        with transaction.atomic():
            SurveyInvitation.objects.bulk_create(invitations, batch_size=1000)
            by_case = dict(
                SurveyInvitation.objects.filter(case_id__in=[r["pk"] for r in chosen]).values_list(
                    "case_id", "pk"
                )
            )
            answers = []
            for row in chosen:
                at = row["resolved_at"] + timedelta(days=1, hours=rng.randint(0, 47))
                answers.append(
                    SurveyAnswer(
                        invitation_id=by_case[row["pk"]],
                        case_id=row["pk"],
                        customer_id=row["customer_id"],
                        language=row["customer__language"] or "fr",
                        channel=row["channel"],
                        team_id=row["team_id"],
                        owner_id=row["owner_id"],
                        category_id=row["category_id"],
                        segment=row["customer__segment"] or "",
                        answered_at=at,
                        updated_at=at,
                        **_ratings(rng, settled.get(row["pk"], False)),
                    )
                )
            SurveyAnswer.objects.bulk_create(answers, batch_size=1000)
            figure_days_touch(
                [local_day(a.answered_at) for a in answers]
                + [local_day(i.sent_at) for i in invitations]
            )
        written += len(answers)
