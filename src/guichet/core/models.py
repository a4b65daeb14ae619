from django.db import models
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """A named counter handed out under a row lock: case numbers have no gaps from races and no
    reuse after a delete, on SQLite and PostgreSQL alike (an auto-increment id cannot promise that
    once rows are bulk-loaded or merged)."""

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    value = models.BigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
