from __future__ import annotations

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
