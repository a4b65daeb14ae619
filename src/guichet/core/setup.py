"""Base data every install needs, created once and never overwritten."""

from __future__ import annotations

from django.db import transaction

from guichet.accounts.models import Team, User
from guichet.cases.models import Category

DEFAULT_TEAM = "Service client"
DEFAULT_CATEGORIES = [
    ("Commande", "commande"),
    ("Livraison", "livraison"),
    ("Facturation", "facturation"),
    ("Produit", "produit"),
    ("Service après-vente", "sav"),
    ("Compte client", "compte"),
]


@transaction.atomic
def base_data_ensure(*, administrator: User | None = None) -> Team:
    """A default team (the administrator in it, so the first case has a named owner) and the
    usual categories of a French retailer, if the install has none yet."""
    team = Team.objects.filter(is_default=True).first()
    if team is None:
        team = Team.objects.filter(slug="service-client").first() or Team.objects.create(
            name=DEFAULT_TEAM, slug="service-client"
        )
        team.is_default = True
        team.save(update_fields=["is_default"])
        if administrator is not None:
            team.members.add(administrator)
    if not Category.objects.exists():
        Category.objects.bulk_create(
            [Category(name=name, slug=slug) for name, slug in DEFAULT_CATEGORIES]
        )
    return team
