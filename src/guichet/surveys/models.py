"""Surveys sent after resolution, the customers' answers, opt-outs, and the follow-up they trigger.

Decision: one `SurveyAnswer` row per invitation with one column per known question (not an
entity-attribute-value table). The barometer aggregates those columns directly, which keeps it
fast at hundreds of thousands of answers, and each column has its range as a database constraint.
The wording of each question stays an editable row (`SurveyQuestion`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Team
from guichet.cases.choices import Channel
from guichet.cases.models import Case, Category
from guichet.customers.models import Customer
from guichet.surveys.choices import FollowUpStatus, InvitationStatus, QuestionKey


class SurveyConfig(models.Model):
    """The survey method (REQ-SAT-02, REQ-SAT-05): purpose, owner, trigger delay, sampling,
    frequency per customer, and the thresholds the barometer uses. One active row is used."""

    name = models.CharField(_("name"), max_length=100, default="Post-resolution survey")
    purpose = models.TextField(
        _("purpose"),
        blank=True,
        default="Measure whether customers' expectations are met after each resolved request.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    is_active = models.BooleanField(_("send surveys"), default=True)
    delay_hours = models.PositiveIntegerField(_("delay after resolution (hours)"), default=24)
    period_days = models.PositiveIntegerField(
        _("at most one survey per customer every (days)"), default=30
    )
    sample_percent = models.PositiveSmallIntegerField(
        _("share of resolved cases surveyed (%)"), default=100
    )
    channels = models.JSONField(
        _("channels surveyed"),
        default=list,
        blank=True,
        help_text=_("Empty: every channel."),
    )
    token_days = models.PositiveIntegerField(_("link validity (days)"), default=30)
    min_sample = models.PositiveIntegerField(_("minimum sample"), default=30)
    fcr_window_days = models.PositiveIntegerField(_("FCR window (days)"), default=7)
    reopen_window_days = models.PositiveIntegerField(_("reopen window (days)"), default=14)
    low_csat = models.PositiveSmallIntegerField(_("follow-up when CSAT at most"), default=2)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("survey configuration")
        verbose_name_plural = _("survey configurations")
        constraints = [
            models.CheckConstraint(
                condition=Q(sample_percent__lte=100), name="survey_config_sample_percent"
            ),
            models.CheckConstraint(condition=Q(min_sample__gte=1), name="survey_config_min_sample"),
            models.CheckConstraint(
                condition=Q(fcr_window_days__gte=1), name="survey_config_fcr_window"
            ),
            models.CheckConstraint(condition=Q(token_days__gte=1), name="survey_config_token_days"),
            models.CheckConstraint(
                condition=Q(low_csat__gte=1, low_csat__lte=5), name="survey_config_low_csat"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SurveyQuestion(models.Model):
    """The wording of one question, in French and English; the key fixes its scale and meaning."""

    config = models.ForeignKey(
        SurveyConfig, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    key = models.CharField(_("question"), max_length=20, choices=QuestionKey.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text_fr = models.CharField(_("French wording"), max_length=300)
    text_en = models.CharField(_("English wording"), max_length=300)
    is_active = models.BooleanField(_("asked"), default=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["config", "key"], name="survey_question_key_unique"),
            models.CheckConstraint(
                condition=Q(key__in=QuestionKey.values), name="survey_question_key_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_key_display()

    def text(self, language: str) -> str:
        return self.text_en if (language or "").startswith("en") else self.text_fr


class SurveyInvitation(models.Model):
    """One survey offered to one customer about one resolved case. The link's token names this
    row, its customer and a random nonce, signed; it expires with `expires_at`."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="survey_invitation", verbose_name=_("case")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("customer"),
    )
    nonce = models.CharField(_("nonce"), max_length=32, editable=False)
    language = models.CharField(_("language"), max_length=8, default="fr")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InvitationStatus.choices,
        default=InvitationStatus.SCHEDULED,
    )
    cancel_reason = models.CharField(_("why not sent"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"))
    send_after = models.DateTimeField(_("send after"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            models.Index(fields=["customer", "created_at"], name="invitation_customer_idx"),
            models.Index(fields=["status", "send_after"], name="invitation_due_idx"),
            models.Index(fields=["created_at"], name="invitation_created_idx"),
            # The response rate counts the invitations sent in the period.
            models.Index(fields=["sent_at"], name="invitation_sent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvitationStatus.values), name="invitation_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.customer_id} ({self.status})"


class SurveyAnswer(models.Model):
    """A customer's answers to one invitation; answering again updates this row.

    Channel, team, agent, category and segment are copied from the case when the answer is first
    given, so the barometer filters without joins and keeps the picture of that moment."""

    invitation = models.OneToOneField(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="answer",
        verbose_name=_("invitation"),
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="survey_answers", verbose_name=_("case")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_answers",
        verbose_name=_("customer"),
    )
    expectations_met = models.BooleanField(_("expectations met"), null=True, blank=True)
    csat = models.PositiveSmallIntegerField(_("CSAT (1–5)"), null=True, blank=True)
    fcr = models.BooleanField(_("settled in one go"), null=True, blank=True)
    ces = models.PositiveSmallIntegerField(_("ease (1–7)"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("recommend (0–10)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    segment = models.CharField(_("segment"), max_length=50, blank=True)
    answered_at = models.DateTimeField(_("answered"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [
            models.Index(fields=["answered_at"], name="answer_time_idx"),
            models.Index(fields=["team", "answered_at"], name="answer_team_idx"),
            models.Index(fields=["channel", "answered_at"], name="answer_channel_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="answer_csat_range",
            ),
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7),
                name="answer_ces_range",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__gte=0, nps__lte=10),
                name="answer_nps_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.answered_at:%Y-%m-%d}"


class SurveyOptOut(models.Model):
    """A customer who asked not to receive surveys any more. Never surveyed again."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_opt_out",
        verbose_name=_("customer"),
    )
    source = models.CharField(_("how"), max_length=20, default="link")
    created_at = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")

    def __str__(self) -> str:
        return str(self.customer)


class FollowUpTask(models.Model):
    """Call the customer back: opened for the team's supervisor on a low answer (CSAT at or
    below the threshold, or expectations not met) — the loop against "sell and forget"."""

    answer = models.OneToOneField(
        SurveyAnswer, on_delete=models.CASCADE, related_name="follow_up", verbose_name=_("answer")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="survey_follow_ups", verbose_name=_("case")
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_follow_ups",
        verbose_name=_("for"),
    )
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    note = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("created"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="followup_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="followup_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.reason}"


class BarometerSubscription(models.Model):
    """A director (or anyone allowed to see the barometer) who asked for the monthly email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="barometer_subscription",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    last_sent_month = models.CharField(_("last month sent"), max_length=7, blank=True)

    class Meta:
        verbose_name = _("barometer email subscription")
        verbose_name_plural = _("barometer email subscriptions")
        permissions = [("view_barometer", "Can view the barometer")]

    def __str__(self) -> str:
        return str(self.user)


class CaseFact(models.Model):
    """Derived figures of one case (metrics.case_facts), kept up to date after every change of
    the case or of its customer's other cases, so the barometer sums rows instead of replaying
    timelines. Always rebuildable from contacts and events (`guichet barometer_refresh --all`);
    a test checks the incremental rows equal a full recomputation."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("case")
    )
    channel = models.CharField(_("channel"), max_length=10)
    team_id = models.BigIntegerField(_("team"), null=True, blank=True)
    owner_id = models.BigIntegerField(_("agent"), null=True, blank=True)
    category_id = models.BigIntegerField(_("category"), null=True, blank=True)
    segment = models.CharField(_("segment"), max_length=50, blank=True)
    customer_id = models.BigIntegerField(_("customer"))
    created_at = models.DateTimeField(_("first contact"))
    first_response_seconds = models.FloatField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("first resolution"), null=True, blank=True)
    resolution_seconds = models.FloatField(null=True, blank=True)
    # The same two durations in the business calendar's opening hours (REQ-MET-06).
    first_response_business_seconds = models.FloatField(null=True, blank=True)
    resolution_business_seconds = models.FloatField(null=True, blank=True)
    agent_responses = models.PositiveIntegerField(default=0)
    single_response = models.BooleanField(default=False)
    transfers = models.PositiveIntegerField(default=0)
    # Time from resolution to the first repeat contact / reopening, whatever the distance: the
    # FCR and reopen windows are applied when counting, so these rows never go stale with time.
    repeat_delay_seconds = models.FloatField(null=True, blank=True)
    reopen_delay_seconds = models.FloatField(null=True, blank=True)
    merged = models.BooleanField(default=False)
    # Customer effort, shown on the barometer by guichet.proximity (metrics.CaseFacts).
    inbound_contacts = models.PositiveIntegerField(default=0)
    channel_switches = models.PositiveIntegerField(default=0)
    owner_wait_seconds = models.FloatField(null=True, blank=True)
    # Customer contacts up to the resolution, at least 1 (REQ-MET-02).
    contacts_to_resolution = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case figures")
        verbose_name_plural = _("case figures")
        indexes = [
            models.Index(fields=["created_at"], name="casefact_created_idx"),
            models.Index(fields=["resolved_at"], name="casefact_resolved_idx"),
            models.Index(fields=["team_id", "created_at"], name="casefact_team_idx"),
            models.Index(fields=["channel", "created_at"], name="casefact_channel_idx"),
            # A median's few rows are read by value range within the period (daily.py): the
            # value first, so only the rows of the median's bucket are visited.
            models.Index(fields=["first_response_seconds", "created_at"], name="casefact_frs_idx"),
            models.Index(
                fields=["first_response_business_seconds", "created_at"], name="casefact_frbs_idx"
            ),
            models.Index(fields=["owner_wait_seconds", "created_at"], name="casefact_ows_idx"),
            models.Index(fields=["resolution_seconds", "resolved_at"], name="casefact_rs_idx"),
            models.Index(
                fields=["resolution_business_seconds", "resolved_at"], name="casefact_rbs_idx"
            ),
        ]

    def __str__(self) -> str:
        return str(self.case_id)


class BacklogSpan(models.Model):
    """A stretch of time during which a case was in the backlog (new or open: the firm's to
    handle, not waiting on the customer), replayed from its status events. The backlog at any
    past instant is the number of spans covering it, without replaying every timeline.

    `long` marks spans longer than BACKLOG_SHORT_DAYS, or still open: the others are found from
    the start time alone (start within that many days before the instant)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True, blank=True)
    long = models.BooleanField(default=False)
    channel = models.CharField(max_length=10)
    team_id = models.BigIntegerField(null=True, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    segment = models.CharField(max_length=50, blank=True)

    class Meta:
        verbose_name = _("backlog span")
        verbose_name_plural = _("backlog spans")
        # Partial indexes: the queries say "long" / "NOT long", which an index on a boolean
        # column cannot seek on in SQLite.
        indexes = [
            models.Index(
                fields=["start_at"], condition=Q(long=False), name="backlogspan_short_idx"
            ),
            models.Index(fields=["start_at"], condition=Q(long=True), name="backlogspan_long_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.start_at:%Y-%m-%d}–{self.end_at or ''}"


class FigureDay(models.Model):
    """When the figures of one local day last changed: a stamp from the "barometer" sequence,
    bumped in the same transaction as any change to the case figures, answers or invitations
    dated that day. A cached period is valid while no day of it has a newer stamp."""

    day = models.DateField(primary_key=True)
    stamp = models.BigIntegerField()

    class Meta:
        verbose_name = _("figures' day")
        verbose_name_plural = _("figures' days")

    def __str__(self) -> str:
        return f"{self.day} @{self.stamp}"


class PeriodFigures(models.Model):
    """The figures of a settled period (every window closed) for one set of filters, as a full
    computation gave them; reused while no day of the period changed since (FigureDay). The
    backlog is never cached: it is two small counts, computed each time."""

    key = models.CharField(max_length=64, unique=True)
    stamp = models.BigIntegerField()
    figures = models.JSONField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cached period figures")
        verbose_name_plural = _("cached period figures")

    def __str__(self) -> str:
        return self.key


class DayFigures(models.Model):
    """The barometer's counts of one local day (or of one whole settled month) for one set of
    filters: sums and histograms of durations (daily.py), summed over a period instead of
    reading its rows. Valid while no day of it has a newer stamp (FigureDay) than the one read
    before it was computed, as PeriodFigures; a test checks the figures built from them always
    equal a full recomputation."""

    key = models.CharField(max_length=64)
    first = models.DateField()
    last = models.DateField()
    stamp = models.BigIntegerField()
    data = models.JSONField()

    class Meta:
        verbose_name = _("stored day figures")
        verbose_name_plural = _("stored day figures")
        constraints = [
            models.UniqueConstraint(fields=["key", "first", "last"], name="dayfigures_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]} {self.first}–{self.last}"
