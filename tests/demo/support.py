"""Shared by the demo tests."""

from __future__ import annotations

from datetime import datetime

from guichet.demo.hours import PARIS

# A fixed "now" (a Friday afternoon) so every run of the suite sees the same demo data.
END_TS = int(datetime(2026, 11, 20, 15, 30, tzinfo=PARIS).timestamp())


def demo_wipe() -> None:
    """Remove everything the demo wrote, as if the database were fresh again."""
    from guichet.accounts.models import Team, User
    from guichet.cases.models import Case, Category, Tag
    from guichet.core.models import Sequence
    from guichet.customers.models import Customer, Organisation

    Case.objects.all().delete()
    Tag.objects.all().delete()
    Customer.objects.all().delete()
    Organisation.objects.all().delete()
    Category.objects.all().delete()
    Team.objects.all().delete()
    User.objects.all().delete()
    Sequence.objects.all().delete()
