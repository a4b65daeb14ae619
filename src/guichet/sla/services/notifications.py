"""In-app notifications: marking them read."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.core.errors import NotFound
from guichet.sla.models import Notification


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise NotFound(_("Notification not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
