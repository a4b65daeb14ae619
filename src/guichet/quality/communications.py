"""What the customer is told at each step, in the customer's language.

Every acknowledgement and decision names the consumer mediator when one is configured
(REQ-LEG-01, REQ-CMP-10); the next step and its date are always said (REQ-CMP-06)."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from guichet.quality.delays import mediation_deadline
from guichet.quality.models import Complaint, Mediator


def _date(value: datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def mediator_text(mediator: Mediator | None, *, complaint: Complaint | None = None) -> str:
    """How to reach the consumer mediator; empty when the firm has not configured one."""
    if mediator is None:
        return ""
    lines = [
        _(
            "If you are not satisfied with our answer, or have had no answer within two months "
            "of your written complaint, you may refer the matter free of charge to the consumer "
            "mediator:"
        ),
        mediator.name,
        mediator.address.strip(),
        mediator.website,
    ]
    if mediator.email:
        lines.append(mediator.email)
    if complaint is not None and complaint.first_written_at:
        deadline = mediation_deadline(complaint.first_written_at)
        lines.append(
            _("The mediator can be asked until %(date)s (one year after your written complaint).")
            % {"date": _date(deadline)}
        )
    return "\n".join(line for line in lines if line)


def _join(*parts: str) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _in_language(complaint: Complaint):
    return translation.override(complaint.case.customer.language or None)


def acknowledgement_text(complaint: Complaint, *, message: str, mediator: Mediator | None) -> str:
    with _in_language(complaint):
        body = _(
            "We have received your complaint. Its reference is %(reference)s (case "
            "%(case)s).\nNext step: we assess and investigate it, and we will give you our "
            "answer by %(date)s at the latest."
        ) % {
            "reference": complaint.reference,
            "case": complaint.case.reference,
            "date": _date(complaint.answer_due_at),
        }
        return _join(message, body, mediator_text(mediator, complaint=complaint))


def holding_reply_text(complaint: Complaint, *, message: str) -> str:
    with _in_language(complaint):
        body = _(
            "Complaint %(reference)s: we need more time to answer. You will have our final "
            "answer by %(date)s at the latest."
        ) % {"reference": complaint.reference, "date": _date(complaint.answer_due_at)}
        return _join(message, body)


def response_text(complaint: Complaint, *, mediator: Mediator | None) -> str:
    with _in_language(complaint):
        parts = [complaint.response_text]
        if complaint.remedy_offered:
            parts.append(_("What we offer: %(remedy)s") % {"remedy": complaint.remedy_offered})
        if complaint.compensation_amount:
            parts.append(
                _("Compensation: %(amount)s EUR") % {"amount": complaint.compensation_amount}
            )
        parts.append(
            _("Complaint %(reference)s: please tell us whether you accept this response.")
            % {"reference": complaint.reference}
        )
        parts.append(mediator_text(mediator, complaint=complaint))
        return _join(*parts)


def refusal_text(complaint: Complaint, *, mediator: Mediator | None) -> str:
    with _in_language(complaint):
        body = _(
            "Complaint %(reference)s: we have noted that you do not accept our response. "
            "We will review it and give you our final decision."
        ) % {"reference": complaint.reference}
        return _join(body, mediator_text(mediator, complaint=complaint))


def closing_text(complaint: Complaint, *, mediator: Mediator | None, final: bool, note: str) -> str:
    with _in_language(complaint):
        if final:
            body = _(
                "Complaint %(reference)s: this is our final decision. The complaint is now "
                "closed; you can still contest it by replying."
            ) % {"reference": complaint.reference}
            return _join(note, body, mediator_text(mediator, complaint=complaint))
        body = _("Complaint %(reference)s is closed. Thank you for your trust.") % {
            "reference": complaint.reference
        }
        return _join(note, body)


def mediation_due_text(complaint: Complaint, *, mediator: Mediator) -> str:
    with _in_language(complaint):
        body = _(
            "Complaint %(reference)s is not yet resolved. We keep working on it; you are "
            "also entitled to refer it to the consumer mediator."
        ) % {"reference": complaint.reference}
        return _join(body, mediator_text(mediator, complaint=complaint))


def progress_text(complaint: Complaint, *, stage: str) -> str:
    """REQ-CMP-05: at a pre-set deadline, where the complaint stands and what comes next."""
    from guichet.quality.selectors.complaints import PLAIN_STATUS

    with _in_language(complaint):
        status, next_step = PLAIN_STATUS[complaint.status]
        parts = [
            _("Complaint %(reference)s: where it stands.") % {"reference": complaint.reference},
            f"{status} {next_step}",
        ]
        waiting_answer = complaint.responded_at is None and complaint.answer_due_at is not None
        if waiting_answer and stage == "answer":
            parts.append(
                _(
                    "We have not been able to give you our answer by %(date)s as announced, and "
                    "we apologise. We are doing everything we can to answer you very soon."
                )
                % {"date": _date(complaint.answer_due_at)}
            )
        elif waiting_answer:
            parts.append(
                _("You will have our answer by %(date)s at the latest.")
                % {"date": _date(complaint.answer_due_at)}
            )
        parts.append(_("To add anything, simply reply to this message."))
        return _join(*parts)
