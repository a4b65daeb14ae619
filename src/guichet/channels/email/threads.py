"""Which case an inbound email belongs to.

In order: (1) In-Reply-To/References against the Message-IDs Guichet sent or received;
(2) the case reference in the subject, `[G-000123]`, when the sender is that case's customer;
(3) optionally, the same sender and the same subject within GUICHET_EMAIL_THREAD_SUBJECT_HOURS;
otherwise a new case. Merged cases are followed to the case that carries on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from guichet.cases.choices import Channel
from guichet.cases.models import Case, Contact
from guichet.channels.email.models import InboundMessage, OutboundMessage
from guichet.channels.email.parsing import ParsedMessage
from guichet.customers.models import Customer, CustomerEmail


class ThreadedBy:
    HEADERS = "headers"
    REFERENCE = "reference"
    SUBJECT = "subject"
    NEW = "new"
    FOLLOW_UP = "follow_up"
    MANUAL = "manual"


@dataclass(frozen=True)
class ThreadMatch:
    case: Case | None
    by: str


_PREFIX = re.compile(r"^\s*((re|fwd?|tr|aw|wg|rv|sv|antw|réf|ref)\s*(\[\d+\])?\s*:\s*)+", re.I)


def subject_reference_re() -> re.Pattern[str]:
    prefix = re.escape(settings.GUICHET_CASE_PREFIX)
    return re.compile(rf"\[\s*({prefix}-\d{{6,}})\s*\]", re.IGNORECASE)


def subject_normalise(subject: str) -> str:
    """The subject without Re:/Fwd:/TR: prefixes and case references, for comparison."""
    subject = subject_reference_re().sub(" ", subject or "")
    subject = _PREFIX.sub("", subject)
    return " ".join(subject.split()).casefold()


def _carry_on(case: Case) -> Case:
    seen = set()
    while case.merged_into_id and case.pk not in seen:
        seen.add(case.pk)
        case = Case.objects.select_related("customer").get(pk=case.merged_into_id)
    return case


# The `exclude("")` below repeat the condition of the partial unique indexes on contacts'
# external ids and inbound Message-IDs: without them SQLite reads every row instead.
def _by_headers(ids: list[str]) -> Case | None:
    if not ids:
        return None
    found: dict[str, int] = {}
    for mid, case_id in OutboundMessage.objects.filter(message_id__in=ids).values_list(
        "message_id", "case_id"
    ):
        found.setdefault(mid, case_id)
    for mid, case_id in (
        Contact.objects.filter(channel=Channel.EMAIL, external_id__in=ids)
        .exclude(external_id="")
        .values_list("external_id", "case_id")
    ):
        found.setdefault(mid, case_id)
    for mid, case_id in (
        InboundMessage.objects.filter(message_id__in=ids, case__isnull=False)
        .exclude(message_id="")
        .values_list("message_id", "case_id")
    ):
        found.setdefault(mid, case_id)
    for mid in ids:  # nearest first
        if mid in found:
            return Case.objects.select_related("customer").get(pk=found[mid])
    return None


def _customer_addresses(customer: Customer) -> set[str]:
    return {a.lower() for a in customer.emails.values_list("address", flat=True)} | (
        {customer.email.lower()} if customer.email else set()
    )


def _by_reference(subject: str, sender: str) -> Case | None:
    match = subject_reference_re().search(subject or "")
    if not match:
        return None
    case = Case.objects.select_related("customer").filter(reference=match.group(1).upper()).first()
    # A reference is easy to guess: only the case's own customer joins a case by it. Anyone
    # else (a colleague in copy, a stranger) opens a new case instead of writing into this one.
    if case is None or sender.lower() not in _customer_addresses(case.customer):
        return None
    return case


def _by_subject(subject: str, customer: Customer, now: datetime) -> Case | None:
    hours = settings.GUICHET_EMAIL_THREAD_SUBJECT_HOURS
    wanted = subject_normalise(subject)
    if hours <= 0 or not wanted:
        return None
    recent = Case.objects.select_related("customer").filter(
        customer=customer,
        channel=Channel.EMAIL,
        merged_into__isnull=True,
        updated_at__gte=now - timedelta(hours=hours),
    )
    for case in recent.order_by("-updated_at")[:20]:
        if subject_normalise(case.subject) == wanted:
            return case
    return None


def thread_find(*, parsed: ParsedMessage, customer: Customer, now: datetime) -> ThreadMatch:
    case = _by_headers(parsed.thread_ids)
    if case is not None:
        return ThreadMatch(_carry_on(case), ThreadedBy.HEADERS)
    case = _by_reference(parsed.subject, parsed.from_address)
    if case is not None:
        return ThreadMatch(_carry_on(case), ThreadedBy.REFERENCE)
    case = _by_subject(parsed.subject, customer, now)
    if case is not None:
        return ThreadMatch(_carry_on(case), ThreadedBy.SUBJECT)
    return ThreadMatch(None, ThreadedBy.NEW)


class ThreadIndex:
    """The lookups of `thread_find` for a whole batch of messages, read in a few queries:
    which case each known Message-ID belongs to (same precedence as `_by_headers`: our sent
    messages, then contacts, then stored inbound mail), the cases named by `[G-000123]` in the
    subjects, and their customers' addresses. `remember` adds what the batch itself threads,
    as the rows written by an earlier message would be found by a later one."""

    def __init__(self, *, thread_ids: set[str], subjects: list[str]) -> None:
        self.known: dict[str, int] = {}
        ids = list(thread_ids)
        if ids:
            for mid, case_id in OutboundMessage.objects.filter(message_id__in=ids).values_list(
                "message_id", "case_id"
            ):
                self.known.setdefault(mid, case_id)
            for mid, case_id in (
                Contact.objects.filter(channel=Channel.EMAIL, external_id__in=ids)
                .exclude(external_id="")
                .values_list("external_id", "case_id")
            ):
                self.known.setdefault(mid, case_id)
            for mid, case_id in (
                InboundMessage.objects.filter(message_id__in=ids, case__isnull=False)
                .exclude(message_id="")
                .values_list("message_id", "case_id")
            ):
                self.known.setdefault(mid, case_id)
        pattern = subject_reference_re()
        references = {m.group(1).upper() for s in subjects if (m := pattern.search(s or ""))}
        self.by_reference: dict[str, Case] = {}
        self.addresses: dict[int, set[str]] = {}
        if references:
            for case in Case.objects.select_related("customer").filter(reference__in=references):
                self.by_reference[case.reference] = case
                customer = case.customer
                self.addresses[customer.pk] = {customer.email.lower()} if customer.email else set()
            for customer_id, address in CustomerEmail.objects.filter(
                customer_id__in=list(self.addresses)
            ).values_list("customer_id", "address"):
                self.addresses[customer_id].add(address.lower())
        wanted = set(self.known.values())
        self.cases: dict[int, Case] = (
            Case.objects.select_related("customer").in_bulk(list(wanted)) if wanted else {}
        )

    def remember(self, message_id: str, case_id: int) -> None:
        if message_id:
            self.known.setdefault(message_id, case_id)

    def case_of(self, message_id: str) -> Case:
        case_id = self.known[message_id]
        case = self.cases.get(case_id)
        if case is None:
            case = self.cases[case_id] = Case.objects.select_related("customer").get(pk=case_id)
        return _carry_on(case)

    def reference_match(self, subject: str, sender: str) -> Case | None:
        match = subject_reference_re().search(subject or "")
        if not match:
            return None
        case = self.by_reference.get(match.group(1).upper())
        # As _by_reference: only the case's own customer joins a case by its reference.
        if case is None or sender.lower() not in self.addresses.get(case.customer_id, set()):
            return None
        return _carry_on(case)
