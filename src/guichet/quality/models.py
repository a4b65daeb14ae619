from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Team
from guichet.cases.choices import Channel
from guichet.cases.models import Case
from guichet.quality.choices import (
    ActionStatus,
    ClosureReason,
    ComplaintSource,
    ComplaintStatus,
    CountingMode,
    Decision,
    Level,
    MediationStatus,
    RegulatoryProfile,
    ReviewStatus,
    StepKind,
)

USER = settings.AUTH_USER_MODEL


class QualityPolicy(models.Model):
    """The firm's complaint deadlines and review sampling: one row (pk=1), edited in the admin.

    The regulatory profile gives the defaults (REQ-LEG-06); a filled-in override wins over the
    profile. Deadlines count from receipt by any service of the firm (REQ-LEG-07)."""

    regulatory_profile = models.CharField(
        _("regulatory profile"),
        max_length=10,
        choices=RegulatoryProfile.choices,
        default=RegulatoryProfile.NONE,
    )
    counting_mode = models.CharField(
        _("counting of working days"),
        max_length=10,
        choices=CountingMode.choices,
        blank=True,
        help_text=_("Leave empty to use the profile's count."),
    )
    acknowledge_days = models.PositiveSmallIntegerField(
        _("acknowledge within (working days)"), null=True, blank=True
    )
    assess_days = models.PositiveSmallIntegerField(
        _("assess within (working days)"), null=True, blank=True
    )
    answer_days = models.PositiveSmallIntegerField(
        _("answer within (working days)"), null=True, blank=True
    )
    answer_months = models.PositiveSmallIntegerField(
        _("answer within (months)"), null=True, blank=True
    )
    holding_answer_days = models.PositiveSmallIntegerField(
        _("answer after a holding reply within (working days)"), null=True, blank=True
    )
    mediation_months = models.PositiveSmallIntegerField(
        _("mediator information after (months)"),
        default=2,
        help_text=_(
            "An unresolved complaint this long after the first written complaint gets "
            "the mediator's details (two months in France)."
        ),
    )
    review_samples_per_agent = models.PositiveSmallIntegerField(
        _("cases sampled for review per agent and week"), default=2
    )

    class Meta:
        verbose_name = _("quality policy")
        verbose_name_plural = _("quality policy")

    def __str__(self) -> str:
        return str(self.get_regulatory_profile_display())


class Mediator(models.Model):
    """The consumer mediator the firm has chosen (REQ-LEG-01, Code de la consommation L616-1).
    The active row is quoted in acknowledgements, refusals and unresolved complaints."""

    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("postal address"))
    website = models.URLField(_("website"))
    email = models.EmailField(_("email"), blank=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consumer mediator")
        verbose_name_plural = _("consumer mediators")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="mediator_single"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RootCause(models.Model):
    """A node of the configurable root-cause tree (product › defect, delivery › late…)."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    @property
    def top(self) -> RootCause:
        return self.parent if self.parent_id else self


class Complaint(models.Model):
    """A case in which the customer expresses dissatisfaction and expects a response (ISO 10002).

    One per case. The step timestamps are kept here for the register; ComplaintStep is the full
    record of who did what and when (REQ-CMP-03, REQ-CMP-19)."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="complaint", verbose_name=_("case")
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    source = models.CharField(_("source"), max_length=10, choices=ComplaintSource.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    handler = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_complaints",
        verbose_name=_("handler"),
    )
    remedy_sought = models.TextField(_("remedy sought"))
    description = models.TextField(_("description"), blank=True)
    received_at = models.DateTimeField(_("received"))
    first_written_at = models.DateTimeField(
        _("first written complaint"),
        null=True,
        blank=True,
        help_text=_("Starts the mediation delay; mediation may be asked for up to one year later."),
    )
    # Deadlines, computed when the complaint is opened (and on a holding reply).
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    assess_due_at = models.DateTimeField(_("assess by"), null=True, blank=True)
    answer_due_at = models.DateTimeField(_("answer by"), null=True, blank=True)
    # Assessment (REQ-CMP-07).
    severity = models.CharField(_("severity"), max_length=10, choices=Level.choices, blank=True)
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices, blank=True)
    complexity = models.CharField(_("complexity"), max_length=10, choices=Level.choices, blank=True)
    safety_issue = models.BooleanField(_("health or safety issue"), default=False)
    immediate_action = models.BooleanField(_("immediate action needed"), default=False)
    # Response and outcome (REQ-CMP-09/10/11).
    response_text = models.TextField(_("response"), blank=True)
    remedy_offered = models.TextField(_("remedy offered"), blank=True)
    compensation_amount = models.DecimalField(
        _("compensation (EUR)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    decision = models.CharField(
        _("customer's decision"), max_length=10, choices=Decision.choices, blank=True
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    root_cause = models.ForeignKey(
        RootCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("root cause"),
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # When each step last happened.
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    investigation_started_at = models.DateTimeField(
        _("investigation started"), null=True, blank=True
    )
    holding_reply_at = models.DateTimeField(_("holding reply"), null=True, blank=True)
    responded_at = models.DateTimeField(_("response proposed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("customer decided"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    mediation_informed_at = models.DateTimeField(
        _("mediator information sent"), null=True, blank=True
    )
    # REQ-LEG-03: the referral to the mediator, once the customer has gone there.
    mediation_status = models.CharField(
        _("mediation"), max_length=10, choices=MediationStatus.choices, blank=True
    )
    mediation_referred_at = models.DateTimeField(
        _("referred to the mediator"), null=True, blank=True
    )
    mediation_updated_at = models.DateTimeField(_("mediation updated"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["received_at"], name="complaint_received_idx"),
            models.Index(fields=["status", "received_at"], name="complaint_status_idx"),
            models.Index(fields=["root_cause", "closed_at"], name="complaint_cause_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ComplaintStatus.values), name="complaint_status_valid"
            ),
            # No closing without a recorded response, unless the customer withdrew.
            models.CheckConstraint(
                condition=~models.Q(status=ComplaintStatus.CLOSED)
                | ~models.Q(response_text="")
                | models.Q(closure_reason=ClosureReason.WITHDRAWN),
                name="complaint_closed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class ComplaintStep(models.Model):
    """Append-only log of a complaint: each step, who did it and when (REQ-CMP-03)."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="steps", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="step_complaint_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class CorrectiveAction(models.Model):
    """What the firm changes so that complaints do not recur (REQ-CMP-09, REQ-CMP-18)."""

    title = models.CharField(_("what"), max_length=250)
    description = models.TextField(_("details"), blank=True)
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="corrective_actions", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    effect_measured = models.TextField(_("effect measured"), blank=True)
    root_cause = models.ForeignKey(
        RootCause,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("root cause"),
    )
    complaints = models.ManyToManyField(
        Complaint, blank=True, related_name="actions", verbose_name=_("complaints")
    )
    created_at = models.DateTimeField(_("created"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ActionStatus.values), name="action_status_valid"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Scorecard(models.Model):
    """A grid of weighted criteria to review interactions (REQ-QA-01); several per team."""

    name = models.CharField(_("name"), max_length=150)
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scorecards",
        verbose_name=_("team"),
        help_text=_("Empty: for every team."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty: for every channel."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """One line of a scorecard: scored from 0 to `scale_max`, counted with its weight."""

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("scorecard")
    )
    name = models.CharField(_("name"), max_length=150)
    guidance = models.TextField(_("guidance"), blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1)]
    )
    scale_max = models.PositiveSmallIntegerField(
        _("best score"), default=4, validators=[MinValueValidator(1)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="criterion_weight_pos"),
            models.CheckConstraint(
                condition=models.Q(scale_max__gte=1), name="criterion_scale_pos"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Review(models.Model):
    """A supervisor's review of an agent's contacts on one case, against one scorecard.

    Several reviewers on the same case and scorecard make a calibration. REQ-GDPR-04: only the
    agent, the reviewer, the case and the evaluation are kept."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("case")
    )
    agent = models.ForeignKey(
        USER, on_delete=models.CASCADE, related_name="reviews_received", verbose_name=_("agent")
    )
    reviewer = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="reviews_given", verbose_name=_("reviewer")
    )
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("scorecard")
    )
    comment = models.TextField(_("comment"), blank=True)
    score_percent = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=1)
    status = models.CharField(
        _("status"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.SUBMITTED
    )
    agent_comment = models.TextField(_("agent's comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [
            models.Index(fields=["agent", "created_at"], name="review_agent_idx"),
            models.Index(fields=["case", "scorecard"], name="review_case_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "agent", "scorecard", "reviewer"], name="review_once_per_reviewer"
            ),
            models.CheckConstraint(
                condition=models.Q(score_percent__gte=0) & models.Q(score_percent__lte=100),
                name="review_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} · {self.agent}"

    @property
    def score_20(self):
        return (self.score_percent / 5).quantize(self.score_percent.__class__("0.1"))


class ReviewScore(models.Model):
    """The mark and comment for one criterion of a review; no value means "not applicable"."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    value = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="review_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


class ReviewSample(models.Model):
    """A case drawn at random for review in a given week, for one agent."""

    week = models.DateField(_("week (Monday)"))
    agent = models.ForeignKey(
        USER, on_delete=models.CASCADE, related_name="review_samples", verbose_name=_("agent")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="review_samples", verbose_name=_("case")
    )
    review = models.ForeignKey(
        Review,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("review"),
    )
    created_at = models.DateTimeField(_("drawn"))

    class Meta:
        verbose_name = _("review sample")
        verbose_name_plural = _("review samples")
        ordering = ["-week", "agent_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["week", "agent", "case"], name="sample_unique")
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.agent} {self.case.reference}"


class MysteryTest(models.Model):
    """A mystery-shopper test (REQ-QA-02): a tester plays a scenario on a channel and scores the
    answer on a scorecard. Kept apart from real interactions so it never touches the metrics."""

    tester = models.CharField(_("tester"), max_length=150)
    scenario = models.TextField(_("scenario"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mystery_tests",
        verbose_name=_("team"),
    )
    scorecard = models.ForeignKey(
        Scorecard,
        on_delete=models.PROTECT,
        related_name="mystery_tests",
        verbose_name=_("scorecard"),
    )
    started_at = models.DateTimeField(_("contact started"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("contact ended"), null=True, blank=True)
    marks = models.JSONField(_("marks"), default=dict, help_text=_("criterion id → score"))
    score_percent = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=1)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("mystery test")
        verbose_name_plural = _("mystery tests")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score_percent__gte=0) & models.Q(score_percent__lte=100),
                name="mystery_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d} ({self.tester})"

    @property
    def score_20(self):
        return (self.score_percent / 5).quantize(self.score_percent.__class__("0.1"))
