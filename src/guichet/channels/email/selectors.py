"""Reads of the email channel for other screens (the agent workspace shows a reply's status)."""

from __future__ import annotations

from collections.abc import Iterable

from guichet.channels.email.models import BouncingAddress, OutboundMessage


def outbound_status_for_contacts(*, contact_ids: Iterable[int]) -> dict[int, OutboundMessage]:
    """The latest email sent for each contact: state queued / sent / failed, with the error."""
    result: dict[int, OutboundMessage] = {}
    for outbound in OutboundMessage.objects.filter(contact_id__in=list(contact_ids)).order_by(
        "created_at", "id"
    ):
        result[outbound.contact_id] = outbound  # type: ignore[index]
    return result


def address_is_bouncing(*, address: str) -> bool:
    return BouncingAddress.objects.filter(address__iexact=(address or "").strip()).exists()
