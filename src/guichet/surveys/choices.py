from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionKey(models.TextChoices):
    """The questions the barometer knows; their wording is editable, their meaning is not."""

    EXPECTATIONS_MET = "expectations_met", _("Expectations met (yes/no)")
    CSAT = "csat", _("Satisfaction (CSAT, 1–5)")
    FCR = "fcr", _("Settled in one go (yes/no)")
    CES = "ces", _("Ease (CES, 1–7)")
    NPS = "nps", _("Likelihood to recommend (0–10)")
    COMMENT = "comment", _("Free comment")


# Scale of each question: (lowest, highest); None for yes/no and free text.
QUESTION_SCALES: dict[str, tuple[int, int] | None] = {
    QuestionKey.EXPECTATIONS_MET: None,
    QuestionKey.CSAT: (1, 5),
    QuestionKey.FCR: None,
    QuestionKey.CES: (1, 7),
    QuestionKey.NPS: (0, 10),
    QuestionKey.COMMENT: None,
}
YES_NO_KEYS = (QuestionKey.EXPECTATIONS_MET, QuestionKey.FCR)
# The question whose answers the invitation email carries as links (one click).
FIRST_QUESTION = QuestionKey.EXPECTATIONS_MET


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")
