"""Every write of the email channel goes through these functions.

- mailboxes: which addresses we accept mail for;
- inbound: store first (durably, idempotently), then parse, thread and turn into a contact;
- outbound: threaded replies and acknowledgements, queued and sent with retries.
"""

from guichet.channels.email.services.inbound import (
    durable_writes,
    inbound_process,
    inbound_process_batch,
    inbound_process_pending,
    inbound_retry,
    inbound_store,
    inbound_store_many,
    inbound_to_case,
)
from guichet.channels.email.services.mailboxes import (
    mailbox_create,
    mailbox_default,
    mailbox_for_address,
)
from guichet.channels.email.services.outbound import (
    outbound_acknowledgement_queue,
    outbound_reply_queue,
    outbound_send,
)
from guichet.channels.email.services.retention import inbound_raw_purge

__all__ = [
    "durable_writes",
    "inbound_process",
    "inbound_process_batch",
    "inbound_process_pending",
    "inbound_raw_purge",
    "inbound_retry",
    "inbound_store",
    "inbound_store_many",
    "inbound_to_case",
    "mailbox_create",
    "mailbox_default",
    "mailbox_for_address",
    "outbound_acknowledgement_queue",
    "outbound_reply_queue",
    "outbound_send",
]
