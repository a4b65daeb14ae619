"""Signed, expiring, single-customer survey links.

The token carries the invitation id, its customer id, the invitation's random nonce and the
expiry time, signed with SECRET_KEY (django.core.signing, HMAC-SHA256, salted for this use only).
Changing any character breaks the signature; a token of one invitation cannot open another (the
nonce and the customer must match the row)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from guichet.surveys.models import SurveyInvitation

SALT = "guichet.surveys.invitation"


class TokenInvalid(Exception):
    """Forged, damaged, or naming no invitation."""


class TokenExpired(TokenInvalid):
    """Genuine, but past its expiry."""


def invitation_token(invitation: SurveyInvitation) -> str:
    payload = {
        "i": invitation.pk,
        "c": invitation.customer_id,
        "n": invitation.nonce,
        "e": int(invitation.expires_at.timestamp()),
    }
    return signing.dumps(payload, salt=SALT)


def invitation_from_token(token: str, *, now: datetime | None = None) -> SurveyInvitation:
    try:
        payload = signing.loads(token or "", salt=SALT)
        invitation_id, customer_id = int(payload["i"]), int(payload["c"])
        nonce, expires = str(payload["n"]), int(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid from exc
    invitation = (
        SurveyInvitation.objects.select_related("case", "customer")
        .filter(pk=invitation_id, customer_id=customer_id)
        .first()
    )
    if invitation is None or not constant_time_compare(invitation.nonce, nonce):
        raise TokenInvalid
    now = now or timezone.now()
    if now >= datetime.fromtimestamp(expires, tz=UTC) or now >= invitation.expires_at:
        raise TokenExpired
    return invitation
