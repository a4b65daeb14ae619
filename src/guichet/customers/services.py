from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.core.errors import ValidationFailed
from guichet.customers.models import Customer, CustomerEmail, Organisation


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def email_normalise(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise _field_error("email", _("Enter a valid email address.")) from exc
    return email


@transaction.atomic
def customer_create(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    language: str = "fr",
    organisation_name: str = "",
    segment: str = "",
    user: User | None = None,
) -> Customer:
    name = (name or "").strip()
    if email:
        email = email_normalise(email)
        if CustomerEmail.objects.filter(address__iexact=email).exists():
            raise _field_error("email", _("A customer with this email already exists."))
    if not name:
        name = email.split("@")[0] if email else ""
    if not name:
        raise _field_error("name", _("A customer needs a name or an email."))
    if len(name) > 200:
        raise _field_error("name", _("At most 200 characters."))
    if language not in ("fr", "en"):
        raise _field_error("language", _("Language must be fr or en."))
    organisation = None
    if organisation_name.strip():
        organisation, _created = Organisation.objects.get_or_create(name=organisation_name.strip())
    customer = Customer.objects.create(
        name=name,
        email=email,
        phone=(phone or "").strip(),
        language=language,
        organisation=organisation,
        segment=segment,
        user=user,
        created_at=timezone.now(),
    )
    if email:
        CustomerEmail.objects.create(customer=customer, address=email, is_primary=True)
    return customer


@transaction.atomic
def customer_get_or_create_by_email(*, email: str, name: str = "") -> tuple[Customer, bool]:
    """The customer who owns this address, created on first contact (no account needed to ask)."""
    email = email_normalise(email)
    known = CustomerEmail.objects.select_related("customer").filter(address__iexact=email).first()
    if known:
        return known.customer, False
    return customer_create(name=name, email=email), True


@transaction.atomic
def customer_email_add(*, customer: Customer, email: str) -> CustomerEmail:
    email = email_normalise(email)
    owner = CustomerEmail.objects.filter(address__iexact=email).first()
    if owner and owner.customer_id != customer.pk:
        raise _field_error("email", _("This address belongs to another customer."))
    if owner:
        return owner
    return CustomerEmail.objects.create(customer=customer, address=email)


@transaction.atomic
def customers_get_or_create_by_email(*, people: list[tuple[str, str]]) -> dict[str, Customer]:
    """`customer_get_or_create_by_email` for many (address, name) pairs at once, in three
    queries: {normalised address: customer}. An address met twice makes one customer, named by
    the first pair. An invalid address raises ValidationFailed and nothing is written."""
    wanted: dict[str, str] = {}
    for email, name in people:
        wanted.setdefault(email_normalise(email), name)
    if not wanted:
        return {}
    found = {
        known.address.lower(): known.customer
        for known in CustomerEmail.objects.select_related("customer")
        .alias(address_ci=Lower("address"))
        .filter(address_ci__in=list(wanted))
    }
    now = timezone.now()
    new: list[Customer] = []
    for email, name in wanted.items():
        if email in found:
            continue
        name = (name or "").strip() or email.split("@")[0]
        if len(name) > 200:
            raise _field_error("name", _("At most 200 characters."))
        new.append(Customer(name=name, email=email, language="fr", created_at=now))
    if new:
        Customer.objects.bulk_create(new)
        CustomerEmail.objects.bulk_create(
            [CustomerEmail(customer=c, address=c.email, is_primary=True) for c in new]
        )
        found.update({c.email: c for c in new})
    return found
