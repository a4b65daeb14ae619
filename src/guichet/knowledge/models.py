from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Team


class Macro(models.Model):
    """A saved reply an agent inserts into a case and adapts, with placeholders such as
    `{{ customer.first_name }}` or `{{ case.reference }}` (see guichet.knowledge.placeholders).

    A macro belongs to one team (its members use it) or to none (every agent uses it)."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("team"),
        help_text=_("Leave empty to share the macro with every team."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="macro_name_unique_per_team"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(team__isnull=True),
                name="macro_name_unique_shared",
            ),
        ]
        indexes = [models.Index(fields=["team", "is_active", "name"], name="macro_team_idx")]

    def __str__(self) -> str:
        return self.name


def search_text_normalise(text: str) -> str:
    """Lower case, accents removed ("Réclamation" → "reclamation"): what answers are matched on."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Answer(models.Model):
    """A published answer to a common question ("Où en est mon colis ?"), offered beside the
    portal's new-request form while the customer types a subject — never instead of the form.

    Only published answers are ever shown to customers; each speaks one language."""

    title = models.CharField(_("question"), max_length=200)
    body = models.TextField(_("answer"))
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Other words customers use for this question, separated by spaces."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    is_published = models.BooleanField(_("published"), default=False)
    # The title, keywords and text, normalised: kept by save() so that every writer (admin,
    # shell, data migration) keeps it right.
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge answer")
        verbose_name_plural = _("knowledge answers")
        ordering = ["title"]
        indexes = [
            models.Index(fields=["is_published", "language"], name="knowledge_answer_pub_idx")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.search_text = search_text_normalise(f"{self.title}\n{self.keywords}\n{self.body}")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)
