"""Contact numbers shown to customers, with what a call costs them (REQ-LEG-04, REQ-CCC-03).

French law (Code de la consommation L121-16, since 2016; earlier L113-5): the number a consumer
calls to have a contract performed or a complaint handled may not be premium-rate. Guichet does
not refuse such a number — an administrator may be mid-migration — but warns loudly whoever
sets one, and whenever the number itself looks premium-rate whatever the declared tariff."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.core.errors import ValidationFailed
from guichet.proximity.access import administrator_required
from guichet.proximity.choices import PROTECTED_PURPOSES, NumberPurpose, TariffClass
from guichet.proximity.models import ContactNumber
from guichet.proximity.services.callbacks import phone_clean


def _field_error(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field_name, "message": message}])


def national_digits(number: str) -> str:
    """French numbers as dialled at home: "+33 8 92 …" and "0033 8 92 …" become "0892…"."""
    digits = "".join(c for c in number if c.isdigit())
    if number.strip().startswith("+33"):
        return "0" + digits[2:]
    if digits.startswith("0033"):
        return "0" + digits[4:]
    return digits if not number.strip().startswith("+") else ""


def tariff_class_guess(number: str) -> str | None:
    """What the French numbering plan says a number costs (ARCEP "SVA" ranges), or None when it
    cannot tell (foreign numbers, most short numbers).

    08 00–08 05: free; 08 06–08 09: price of a normal call; 08 1x, 08 2x, 08 9x and 118 xxx:
    premium-rate; other 0x numbers (geographic, mobile, 09): price of a normal call; 30xx and
    31xx short numbers: free [INFERENCE: other 3xxx short numbers vary by service]."""
    digits = national_digits(number)
    if not digits:
        return None
    if digits.startswith("118") and len(digits) == 6:
        return TariffClass.PREMIUM
    if len(digits) == 4 and digits[0] == "3":
        return TariffClass.FREE if digits[:2] in ("30", "31") else None
    if len(digits) != 10 or digits[0] != "0":
        return None
    if digits.startswith("08"):
        prefix = int(digits[2:4])
        if 0 <= prefix <= 5:
            return TariffClass.FREE
        if 6 <= prefix <= 9:
            return TariffClass.STANDARD
        if digits[2] in "129":
            return TariffClass.PREMIUM
        return None
    return TariffClass.STANDARD


def number_warnings(*, number: str, purpose: str, tariff_class: str) -> list[str]:
    """What an administrator must read before showing this number (REQ-LEG-04)."""
    warnings: list[str] = []
    guess = tariff_class_guess(number)
    if guess == TariffClass.PREMIUM and tariff_class != TariffClass.PREMIUM:
        warnings.append(
            _(
                "%(number)s looks like a premium-rate number (08 1x, 08 2x, 08 9x or 118): "
                "customers will pay more than the price of a normal call."
            )
            % {"number": number}
        )
    premium = TariffClass.PREMIUM in (tariff_class, guess)
    if premium and purpose in PROTECTED_PURPOSES:
        warnings.append(
            _(
                "French law forbids a premium-rate number for after-sales and complaints "
                "(Code de la consommation, article L121-16; fine up to 15,000 € for a company). "
                "Use a free number or one charged at the price of a normal call."
            )
        )
    return warnings


@transaction.atomic
def contact_number_save(
    *,
    actor: User,
    label: str,
    number: str,
    purpose: str,
    tariff_class: str,
    shown_to_customers: bool = True,
    order: int = 100,
    instance: ContactNumber | None = None,
) -> tuple[ContactNumber, list[str]]:
    """Create or change a number; returns it with the warnings to show the administrator."""
    administrator_required(actor)
    label = " ".join((label or "").split())
    if not label or len(label) > 100:
        raise _field_error("label", _("Give a label of at most 100 characters."))
    number = phone_clean(number)
    if purpose not in NumberPurpose.values:
        raise _field_error("purpose", _("Unknown purpose."))
    if tariff_class not in TariffClass.values:
        raise _field_error("tariff_class", _("Unknown tariff class."))
    row = instance or ContactNumber()
    row.label, row.number, row.purpose, row.tariff_class = label, number, purpose, tariff_class
    row.shown_to_customers = bool(shown_to_customers)
    row.order = max(0, int(order))
    row.save()
    return row, number_warnings(number=number, purpose=purpose, tariff_class=tariff_class)
