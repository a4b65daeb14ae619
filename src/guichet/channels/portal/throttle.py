"""Anti-spam for the portal's anonymous forms: a rate limit per IP address and per email.

Counts live in the database (PortalThrottle), so every worker process sees the same numbers.
A refused attempt writes nothing; an accepted one is recorded once per key."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from guichet.channels.portal.models import PortalThrottle


@dataclass(frozen=True)
class ThrottleKeys:
    ip: str
    email: str | None


def _keyed(kind: str, value: str) -> str:
    # A keyed hash: the table never holds an address, and the keys cannot be brute-forced
    # back from a copy of the table without the secret key.
    return hmac.new(
        settings.SECRET_KEY.encode(), f"portal-throttle:{kind}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def client_ip(request: HttpRequest) -> str:
    """The visitor's address as the server sees it. Behind a reverse proxy, that proxy must
    set REMOTE_ADDR (e.g. gunicorn's --forwarded-allow-ips), never trust a client header."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def throttle_keys(*, ip: str, email: str | None) -> ThrottleKeys:
    normalised = (email or "").strip().lower()
    return ThrottleKeys(
        ip=_keyed("ip", ip), email=_keyed("email", normalised) if normalised else None
    )


def _window_start() -> timezone.datetime:
    return timezone.now() - timedelta(minutes=settings.GUICHET_PORTAL_RATE_WINDOW_MINUTES)


def throttle_exceeded(*, action: str, keys: ThrottleKeys) -> bool:
    """True when this IP or this email already reached its limit for `action` in the window."""
    since = _window_start()
    recent = PortalThrottle.objects.filter(action=action, created_at__gte=since)
    if recent.filter(key=keys.ip).count() >= settings.GUICHET_PORTAL_RATE_PER_IP:
        return True
    return (
        keys.email is not None
        and recent.filter(key=keys.email).count() >= settings.GUICHET_PORTAL_RATE_PER_EMAIL
    )


@transaction.atomic
def throttle_record(*, action: str, keys: ThrottleKeys) -> None:
    now = timezone.now()
    PortalThrottle.objects.bulk_create(
        PortalThrottle(action=action, key=key, created_at=now)
        for key in (keys.ip, keys.email)
        if key is not None
    )
    # Old rows are of no use once out of the window; removing them keeps the table small.
    PortalThrottle.objects.filter(created_at__lt=_window_start()).delete()
