from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guichet.accounts.models import Team
from guichet.cases.models import Category
from guichet.channels.email.models import Mailbox
from guichet.core.errors import Conflict
from guichet.customers.services import email_normalise


@transaction.atomic
def mailbox_create(
    *,
    address: str,
    display_name: str = "",
    team: Team | None = None,
    default_category: Category | None = None,
    imap_host: str = "",
    imap_port: int | None = None,
    imap_security: str = "ssl",
    imap_username: str = "",
    imap_password: str = "",
    imap_folder: str = "INBOX",
    imap_archive_folder: str = "",
) -> Mailbox:
    address = email_normalise(address)
    if Mailbox.objects.filter(address__iexact=address).exists():
        raise Conflict(_("This mailbox already exists."), code="mailbox_exists")
    return Mailbox.objects.create(
        address=address,
        display_name=display_name.strip(),
        team=team,
        default_category=default_category,
        imap_host=imap_host.strip(),
        imap_port=imap_port,
        imap_security=imap_security,
        imap_username=imap_username.strip(),
        imap_password=imap_password,
        imap_folder=imap_folder or "INBOX",
        imap_archive_folder=imap_archive_folder.strip(),
    )


def mailbox_default() -> Mailbox:
    """The mailbox of GUICHET_SUPPORT_EMAIL, created on first use: a fresh install takes mail
    for its support address without any set-up."""
    address = settings.GUICHET_SUPPORT_EMAIL.strip().lower()
    mailbox = Mailbox.objects.filter(address__iexact=address).first()
    if mailbox is not None:
        return mailbox
    try:
        with transaction.atomic():
            return Mailbox.objects.create(
                address=address, team=Team.objects.filter(is_default=True).first()
            )
    except IntegrityError:
        return Mailbox.objects.get(address__iexact=address)


def mailbox_for_address(address: str) -> Mailbox | None:
    """The enabled mailbox that takes mail for this address, or None (refused with 550)."""
    address = (address or "").strip().strip("<>").lower()
    if not address or "@" not in address:
        return None
    mailbox = Mailbox.objects.filter(address__iexact=address).first()
    if mailbox is None and address == settings.GUICHET_SUPPORT_EMAIL.strip().lower():
        mailbox = mailbox_default()
    if mailbox is None or not mailbox.enabled:
        return None
    return mailbox
