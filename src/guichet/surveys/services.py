"""Every write of the surveys app: configuration, invitations, answers, opt-outs, follow-ups."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.cases.choices import CaseStatus, Channel
from guichet.cases.models import Case
from guichet.core.errors import Conflict, PermissionDenied, ValidationFailed
from guichet.customers.models import Customer
from guichet.surveys.choices import (
    FIRST_QUESTION,
    QUESTION_SCALES,
    YES_NO_KEYS,
    FollowUpStatus,
    InvitationStatus,
    QuestionKey,
)
from guichet.surveys.models import (
    BarometerSubscription,
    FollowUpTask,
    SurveyAnswer,
    SurveyConfig,
    SurveyInvitation,
    SurveyOptOut,
    SurveyQuestion,
)
from guichet.surveys.stamps import figure_days_touch, local_day
from guichet.surveys.tokens import invitation_token

logger = logging.getLogger(__name__)

DEFAULT_QUESTIONS = [
    (
        QuestionKey.EXPECTATIONS_MET,
        "Notre service a-t-il répondu à vos attentes ?",
        "Did our service meet your expectations?",
        True,
    ),
    (
        QuestionKey.CSAT,
        "Dans l'ensemble, êtes-vous satisfait(e) du traitement de votre demande ?",
        "Overall, how satisfied are you with how your request was handled?",
        False,
    ),
    (
        QuestionKey.FCR,
        "Votre demande a-t-elle été réglée en une seule fois ?",
        "Was your request settled in one go?",
        False,
    ),
    (
        QuestionKey.CES,
        "L'entreprise m'a rendu la démarche facile.",
        "The company made it easy to handle my request.",
        False,
    ),
    (
        QuestionKey.NPS,
        "Quelle est la probabilité que vous nous recommandiez à un proche ou un collègue ?",
        "How likely are you to recommend us to a friend or colleague?",
        False,
    ),
    (
        QuestionKey.COMMENT,
        "Voulez-vous ajouter quelque chose ?",
        "Anything you would like to add?",
        False,
    ),
]
MAX_COMMENT = 5000
CONFIG_FIELDS = (
    "name",
    "purpose",
    "is_active",
    "delay_hours",
    "period_days",
    "sample_percent",
    "channels",
    "token_days",
    "min_sample",
    "fcr_window_days",
    "reopen_window_days",
    "low_csat",
)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


# --- configuration ---------------------------------------------------------------------------


def survey_config_get() -> SurveyConfig:
    """The survey method in force; created with the default questions on first use."""
    config = SurveyConfig.objects.order_by("id").first()
    return config if config is not None else _survey_config_create()


@transaction.atomic
def _survey_config_create() -> SurveyConfig:
    config = SurveyConfig.objects.select_for_update().order_by("id").first()
    if config is None:
        config = SurveyConfig.objects.create(fcr_window_days=settings.GUICHET_FCR_WINDOW_DAYS)
        SurveyQuestion.objects.bulk_create(
            SurveyQuestion(
                config=config,
                key=key,
                position=i,
                text_fr=fr,
                text_en=en,
                required=required,
            )
            for i, (key, fr, en, required) in enumerate(DEFAULT_QUESTIONS)
        )
    return config


def _check_config_value(field: str, value: Any) -> Any:
    if field in ("name", "purpose"):
        value = str(value or "").strip()
        if field == "name" and not value:
            raise _invalid(field, _("A name is required."))
        return value[:100] if field == "name" else value[:5000]
    if field == "is_active":
        if not isinstance(value, bool):
            raise _invalid(field, _("Must be true or false."))
        return value
    if field == "channels":
        if not isinstance(value, list) or any(c not in Channel.values for c in value):
            raise _invalid(
                field, _("Must be a list of: %(values)s.") % {"values": ", ".join(Channel.values)}
            )
        return sorted(set(value))
    limits = {
        "delay_hours": (0, 24 * 60),
        "period_days": (0, 3650),
        "sample_percent": (0, 100),
        "token_days": (1, 365),
        "min_sample": (1, 100_000),
        "fcr_window_days": (1, 90),
        "reopen_window_days": (1, 365),
        "low_csat": (1, 5),
    }
    low, high = limits[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(
            field,
            _("Must be a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
        )
    return value


@transaction.atomic
def survey_config_update(
    *, actor: User, changes: Mapping[str, Any], questions: list[Mapping[str, Any]] | None = None
) -> SurveyConfig:
    """Administrators change the method: wording (French/English), delay, sampling, windows."""
    if not (actor.is_active and actor.role == "administrator"):
        raise PermissionDenied(_("Only administrators can change the survey."))
    config = survey_config_get()
    config = SurveyConfig.objects.select_for_update().get(pk=config.pk)
    unknown = sorted(set(changes) - set(CONFIG_FIELDS))
    if unknown:
        raise _invalid(unknown[0], _("Unknown setting."))
    for field, value in changes.items():
        setattr(config, field, _check_config_value(field, value))
    config.save()
    by_key = {q.key: q for q in config.questions.all()}
    for item in questions or []:
        key = item.get("key")
        question = by_key.get(key)
        if question is None:
            raise _invalid("questions", _("Unknown question %(key)s.") % {"key": key})
        for lang in ("text_fr", "text_en"):
            if lang in item:
                text = " ".join(str(item[lang] or "").split())
                if not text or len(text) > 300:
                    raise _invalid(f"questions.{key}.{lang}", _("Between 1 and 300 characters."))
                setattr(question, lang, text)
        for flag in ("is_active", "required"):
            if flag in item:
                if not isinstance(item[flag], bool):
                    raise _invalid(f"questions.{key}.{flag}", _("Must be true or false."))
                setattr(question, flag, item[flag])
        if "position" in item:
            position = item["position"]
            if isinstance(position, bool) or not isinstance(position, int) or position < 0:
                raise _invalid(f"questions.{key}.position", _("Must be a whole number."))
            question.position = position
        if key == FIRST_QUESTION and not question.is_active:
            raise _invalid(
                f"questions.{key}.is_active",
                _("The first question is the one the email answers in one click."),
            )
        question.save()
    return config


# --- invitations -----------------------------------------------------------------------------


def _sampled(case_id: int, percent: int) -> bool:
    """Deterministic sampling: the same case always gets the same answer (reproducible)."""
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"guichet-survey:{case_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < percent


def customer_bounced(customer: Customer) -> bool:
    """True when the email channel marked the customer's address as bouncing. The flag lives in
    the email app (added later), so look for it without depending on it."""
    for name in ("email_bounced", "bounced", "email_bounced_at", "bounced_at"):
        if getattr(customer, name, None):
            return True
    address_model = customer.emails.model
    for name in ("bounced", "bounced_at", "is_bounced"):
        try:
            address_model._meta.get_field(name)
        except Exception:  # noqa: S112  (field absent: nothing to check)
            continue
        flag = {f"{name}__isnull": False} if name.endswith("_at") else {name: True}
        if customer.emails.filter(address__iexact=customer.email, **flag).exists():
            return True
    return False


def survey_skip_reason(*, case: Case, config: SurveyConfig, now: datetime) -> str:
    """Why this resolved case gets no survey ("" when it should get one)."""
    customer = case.customer
    if not config.is_active:
        return "surveys_off"
    if case.merged_into_id:
        return "merged"
    if config.channels and case.channel not in config.channels:
        return "channel_not_surveyed"
    if not customer.email:
        return "no_email"
    if SurveyOptOut.objects.filter(customer=customer).exists():
        return "opted_out"
    if customer_bounced(customer):
        return "bounced"
    if SurveyInvitation.objects.filter(case=case).exists():
        return "already_invited"
    if config.period_days and (
        SurveyInvitation.objects.filter(
            customer=customer,
            created_at__gt=now - timedelta(days=config.period_days),
        )
        .exclude(status=InvitationStatus.CANCELLED)
        .exists()
    ):
        return "recently_surveyed"
    if not _sampled(case.pk, config.sample_percent):
        return "not_sampled"
    return ""


@transaction.atomic
def invitation_schedule(
    *, case_id: int, now: datetime | None = None
) -> tuple[SurveyInvitation | None, str]:
    """On resolution: create the invitation, to be sent after the configured delay.

    Returns (invitation, "") or (None, reason) — opted out, bounced, surveyed recently…"""
    now = now or timezone.now()
    config = survey_config_get()
    # Lock the customer: two cases resolved at once must not both pass the "one per period" check.
    case = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is None:
        return None, "no_case"
    Customer.objects.select_for_update().filter(pk=case.customer_id).first()
    if case.status != CaseStatus.RESOLVED:
        return None, "not_resolved"
    reason = survey_skip_reason(case=case, config=config, now=now)
    if reason:
        logger.info("no survey for case %s: %s", case.reference, reason)
        return None, reason
    send_after = now + timedelta(hours=config.delay_hours)
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                case=case,
                customer=case.customer,
                nonce=secrets.token_urlsafe(16),
                language=case.customer.language or settings.LANGUAGE_CODE,
                created_at=now,
                send_after=send_after,
                expires_at=send_after + timedelta(days=config.token_days),
            )
    except IntegrityError:
        return None, "already_invited"
    from guichet.surveys.tasks import invitation_enqueue

    transaction.on_commit(lambda: invitation_enqueue(invitation))
    return invitation, ""


def survey_url(invitation: SurveyInvitation, **query: str) -> str:
    from django.urls import reverse
    from django.utils.http import urlencode

    url = settings.GUICHET_BASE_URL + reverse(
        "surveys:answer", kwargs={"token": invitation_token(invitation)}
    )
    return f"{url}?{urlencode(query)}" if query else url


def opt_out_url(invitation: SurveyInvitation) -> str:
    from django.urls import reverse

    return settings.GUICHET_BASE_URL + reverse(
        "surveys:opt_out", kwargs={"token": invitation_token(invitation)}
    )


@transaction.atomic
def invitation_send(*, invitation_id: int, now: datetime | None = None) -> bool:
    """Send the survey email if it is due and still wanted; idempotent (True if sent now)."""
    now = now or timezone.now()
    invitation = (
        SurveyInvitation.objects.select_for_update()
        .select_related("case", "customer")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.status != InvitationStatus.SCHEDULED:
        return False
    if invitation.send_after > now:
        return False
    customer, case = invitation.customer, invitation.case
    cancel = ""
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED) or case.merged_into_id:
        cancel = "reopened"
    elif SurveyOptOut.objects.filter(customer=customer).exists():
        cancel = "opted_out"
    elif not customer.email:
        cancel = "no_email"
    elif customer_bounced(customer):
        cancel = "bounced"
    elif now >= invitation.expires_at:
        cancel = "expired"
    if cancel:
        invitation.status = InvitationStatus.CANCELLED
        invitation.cancel_reason = cancel
        invitation.save(update_fields=["status", "cancel_reason"])
        return False
    config = survey_config_get()
    first = config.questions.filter(key=FIRST_QUESTION).first()
    with translation.override(invitation.language):
        context = {
            "case": case,
            "customer": customer,
            "question": first.text(invitation.language) if first else "",
            "yes_url": survey_url(invitation, **{FIRST_QUESTION: "yes"}),
            "no_url": survey_url(invitation, **{FIRST_QUESTION: "no"}),
            "survey_url": survey_url(invitation),
            "opt_out_url": opt_out_url(invitation),
            "expires_at": invitation.expires_at,
        }
        subject = render_to_string("surveys/email/invitation_subject.txt", context).strip()
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
        reply_to=[settings.GUICHET_SUPPORT_EMAIL],
        headers={
            "Auto-Submitted": "auto-generated",
            # RFC 8058: mail clients offer a one-click "unsubscribe" that POSTs to this URL.
            "List-Unsubscribe": f"<{context['opt_out_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    invitation.status = InvitationStatus.SENT
    invitation.sent_at = now
    invitation.save(update_fields=["status", "sent_at"])
    figure_days_touch([local_day(now)])
    # Sent inside the transaction: if sending fails, the row stays "scheduled" and the task retries.
    message.send()
    return True


def invitations_due(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    now = now or timezone.now()
    return list(
        SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )


# --- answers ---------------------------------------------------------------------------------


def answer_values_clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed answers from a form or JSON; only the questions present are returned, so a one-click
    answer updates one field and leaves the others alone."""
    values: dict[str, Any] = {}
    for key in QuestionKey.values:
        if key not in raw:
            continue
        value = raw[key]
        if key == QuestionKey.COMMENT:
            text = str(value or "").strip()
            if len(text) > MAX_COMMENT:
                raise _invalid(key, _("At most %(n)d characters.") % {"n": MAX_COMMENT})
            values[key] = text
            continue
        if value in (None, ""):
            continue
        if key in YES_NO_KEYS:
            if value in (True, "yes", "true", "1", 1):
                values[key] = True
            elif value in (False, "no", "false", "0", 0):
                values[key] = False
            else:
                raise _invalid(key, _("Answer yes or no."))
            continue
        low, high = QUESTION_SCALES[key]  # type: ignore[misc]
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise _invalid(
                key, _("Choose a number from %(low)d to %(high)d.") % {"low": low, "high": high}
            )
        values[key] = number
    return values


@transaction.atomic
def answer_record(
    *, invitation: SurveyInvitation, raw: Mapping[str, Any], now: datetime | None = None
) -> SurveyAnswer:
    """Record or update the customer's answers to this invitation (never a second row)."""
    now = now or timezone.now()
    values = answer_values_clean(raw)
    if not values:
        raise _invalid("answers", _("Choose at least one answer."))
    invitation = (
        SurveyInvitation.objects.select_for_update()
        .select_related("case__customer")
        .get(pk=invitation.pk)
    )
    if invitation.status == InvitationStatus.CANCELLED:
        raise Conflict(_("This survey is closed."), code="survey_closed")
    case = invitation.case
    answer = SurveyAnswer.objects.filter(invitation=invitation).first()
    if answer is None:
        answer = SurveyAnswer(
            invitation=invitation,
            case=case,
            customer_id=invitation.customer_id,
            language=invitation.language,
            channel=case.channel,
            team_id=case.team_id,
            owner_id=case.owner_id,
            category_id=case.category_id,
            segment=case.customer.segment or "",
            answered_at=now,
        )
    for key, value in values.items():
        setattr(answer, key, value)
    answer.updated_at = now
    answer.save()
    figure_days_touch([local_day(answer.answered_at), local_day(invitation.sent_at)])
    if invitation.status != InvitationStatus.ANSWERED:
        invitation.status = InvitationStatus.ANSWERED
        invitation.save(update_fields=["status"])
    follow_up_open_if_low(answer=answer, now=now)
    return answer


def answer_is_low(answer: SurveyAnswer, *, low_csat: int) -> str:
    """The reason a supervisor should call back, or ""."""
    reasons = []
    if answer.expectations_met is False:
        reasons.append(_("expectations not met"))
    if answer.csat is not None and answer.csat <= low_csat:
        reasons.append(_("CSAT %(n)d/5") % {"n": answer.csat})
    return ", ".join(reasons)


def follow_up_open_if_low(*, answer: SurveyAnswer, now: datetime) -> FollowUpTask | None:
    config = survey_config_get()
    reason = answer_is_low(answer, low_csat=config.low_csat)
    if not reason or FollowUpTask.objects.filter(answer=answer).exists():
        return None
    team = answer.case.team
    return FollowUpTask.objects.create(
        answer=answer,
        case=answer.case,
        team=team,
        assignee=team.supervisor if team and team.supervisor_id else None,
        reason=reason[:200],
        created_at=now,
    )


@transaction.atomic
def follow_up_complete(
    *, actor: User, task: FollowUpTask, note: str, now: datetime | None = None
) -> FollowUpTask:
    if not actor.sees_all_teams:
        raise PermissionDenied(_("Only supervisors can close a follow-up."))
    task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
    if task.status == FollowUpStatus.DONE:
        raise Conflict(_("This follow-up is already done."), code="follow_up_done")
    note = (note or "").strip()
    if not note:
        raise _invalid("note", _("Say what came of the call."))
    task.status = FollowUpStatus.DONE
    task.note = note[:5000]
    task.done_at = now or timezone.now()
    task.done_by = actor
    task.save(update_fields=["status", "note", "done_at", "done_by"])
    return task


# --- opt-out and subscriptions ---------------------------------------------------------------


@transaction.atomic
def survey_opt_out(
    *, customer: Customer, source: str = "link", now: datetime | None = None
) -> SurveyOptOut:
    """The customer asked for no more surveys: record it and cancel what is not yet sent."""
    now = now or timezone.now()
    opt_out, _created = SurveyOptOut.objects.get_or_create(
        customer=customer, defaults={"source": source[:20], "created_at": now}
    )
    SurveyInvitation.objects.filter(customer=customer, status=InvitationStatus.SCHEDULED).update(
        status=InvitationStatus.CANCELLED, cancel_reason="opted_out"
    )
    return opt_out


@transaction.atomic
def barometer_subscription_set(*, user: User, subscribed: bool) -> bool:
    if subscribed:
        BarometerSubscription.objects.get_or_create(user=user)
    else:
        BarometerSubscription.objects.filter(user=user).delete()
    return subscribed
