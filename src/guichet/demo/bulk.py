"""Bulk mode (benchmarks): the same stories as demo.writer, written as rows in batches into the
application's own tables: customers, cases, contacts and events as the services would have
recorded them (same event kinds and data, same derived timestamps, case numbers from the "case"
sequence), without going through the ORM one row at a time.

Memory stays bounded: stories stream from the generator and rows are flushed every `batch`
cases. SQLite gets relaxed durability (synchronous=OFF, a larger cache) for the session only;
PostgreSQL gets synchronous_commit=off and COPY."""

from __future__ import annotations

import json
import multiprocessing
import random
import string
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from html import escape
from queue import Empty
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max

from guichet.accounts.choices import Role
from guichet.accounts.models import User
from guichet.cases import flows
from guichet.cases.choices import (
    ACTIVE_STATUSES,
    AGENT_RESPONSE_KINDS,
    CaseStatus,
    ContactKind,
    Direction,
    EventKind,
)
from guichet.cases.models import Case, CaseEvent, Category, Contact, Tag, case_reference
from guichet.cases.services import CASE_SEQUENCE
from guichet.core.html import text_to_html
from guichet.core.sequences import sequence_next
from guichet.customers.models import Customer, CustomerEmail, Organisation
from guichet.demo import pools
from guichet.demo.plans import CUSTOMER, AddContact, Assign, CasePlan, ChangeStatus, Open, Update
from guichet.demo.population import PROFESSIONNEL, CustomerBook, CustomerSpec

# Plain strings: compared and formatted millions of times.
NEW, OPEN, WAITING, RESOLVED, CLOSED = (
    str(s.value)
    for s in (
        CaseStatus.NEW,
        CaseStatus.OPEN,
        CaseStatus.WAITING_CUSTOMER,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    )
)
FINISHED = frozenset((RESOLVED, CLOSED))
ACTIVE = frozenset(str(s) for s in ACTIVE_STATUSES)
TRANSITIONS = {str(old): frozenset(str(n) for n in new) for old, new in flows.TRANSITIONS.items()}
CUSTOMER_MESSAGE = str(ContactKind.CUSTOMER_MESSAGE.value)
RESPONSE_KINDS = frozenset(str(k.value) for k in AGENT_RESPONSE_KINDS)
INBOUND, OUTBOUND = str(Direction.INBOUND.value), str(Direction.OUTBOUND.value)
DEFAULT_DIRECTION = {
    CUSTOMER_MESSAGE: INBOUND,
    str(ContactKind.NOTE.value): str(Direction.INTERNAL.value),
}
(
    CREATED,
    ASSIGNED,
    TRANSFERRED,
    STATUS_CHANGED,
    REOPENED,
    PRIORITY_CHANGED,
    CATEGORY_CHANGED,
    CONTACT_ADDED,
) = (
    str(k.value)
    for k in (
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.TRANSFERRED,
        EventKind.STATUS_CHANGED,
        EventKind.REOPENED,
        EventKind.PRIORITY_CHANGED,
        EventKind.CATEGORY_CHANGED,
        EventKind.CONTACT_ADDED,
    )
)
CUSTOMER_BATCH = 10_000


class Table:
    """Rows for one model's table: the columns the demo sets, then every other column at its
    model default (so a field another app adds later does not break the bulk writer)."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...]) -> None:
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        rest = [f for f in meta.concrete_fields if f.attname not in columns]
        for field in rest:
            if not field.null and not field.has_default():
                raise ImproperlyConfigured(
                    f"demo.bulk does not know how to fill {meta.label}.{field.name}."
                )
        self.tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        self.table = meta.db_table
        self.columns = [by_attname[c].column for c in columns] + [f.column for f in rest]
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.next_id = (model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1

    def take_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def flush(self) -> None:
        if not self.rows:
            return
        rows = [r + self.tail for r in self.rows] if self.tail else self.rows
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY {quote(self.table)} ({columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
        self.written += len(rows)
        self.rows = []


@contextmanager
def bulk_session() -> Iterator[None]:
    """Relaxed durability for this connection while the bulk load runs, restored afterwards:
    a crash mid-load loses the load, never the database's consistency."""
    if connection.in_atomic_block:  # inside someone's transaction (tests): change nothing
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
            try:
                yield
            finally:
                with connection.cursor() as restore:
                    restore.execute(f"PRAGMA synchronous={int(synchronous)}")
                    restore.execute(f"PRAGMA cache_size={int(cache_size)}")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")
            try:
                yield
            finally:
                with connection.cursor() as restore:
                    restore.execute("RESET synchronous_commit")
        else:
            yield


@contextmanager
def deferred_indexes(tables: list[str]) -> Iterator[None]:
    """SQLite, empty tables only: drop their secondary indexes and triggers for the load and
    create them again afterwards (also after an error), then rebuild the full-text (FTS5) indexes
    kept by those triggers. Building an index once from sorted data is far cheaper than keeping
    it up to date row by row; unique constraints stay in place."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # noqa: S608 (our tables)
            if cursor.fetchone() is not None:
                yield
                return
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "  # noqa: S608
            f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY type, name",
            tables,
        )
        objects = cursor.fetchall()
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE %s",
            ["%USING fts5%"],
        )
        fts = [
            name
            for name, sql in cursor.fetchall()
            if any(f"content='{t}'" in sql.replace('"', "'") for t in tables)
        ]
        for kind, name, _sql in objects:
            cursor.execute(f"DROP {kind.upper()} IF EXISTS {quote(name)}")
    try:
        yield
    finally:
        # Every index and trigger comes back even if one of them fails (then that one is
        # reported): a half-restored schema would be worse than a failed load.
        failures: list[str] = []
        with connection.cursor() as cursor:
            for _kind, name, sql in objects:
                try:
                    cursor.execute(sql)
                except DatabaseError as exc:
                    failures.append(f"{name}: {exc}")
            for name in fts:
                cursor.execute(f"INSERT INTO {quote(name)}({quote(name)}) VALUES ('rebuild')")  # noqa: S608
        if failures:
            raise DatabaseError("Not restored after the bulk load: " + "; ".join(failures))


def _sqlite_time(ts: int) -> str:
    # What Django's SQLite backend stores for an aware datetime: naive UTC, ISO with a space.
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def _postgres_time(ts: int) -> Any:
    from guichet.demo.hours import to_datetime

    return to_datetime(ts)


class BulkWriter:
    def __init__(self, *, batch: int = 5000, parallel: bool = False) -> None:
        self.batch = batch
        # Stories and rows in a second process while this one writes (needs fork: Linux).
        self.parallel = parallel and "fork" in multiprocessing.get_all_start_methods()
        self.dt: Callable[[int], Any] = (
            _postgres_time if connection.vendor == "postgresql" else _sqlite_time
        )
        self.dumps = json.dumps
        self.first_case_id: int | None = None
        self.last_case_id: int | None = None
        self.customer_ids: list[int] = []
        self.customer_users: list[int | None] = []
        self.category_slugs = dict(Category.objects.values_list("id", "slug"))
        self.tag_ids: dict[str, int] = {}
        self._passwords = random.Random(0)  # unusable passwords ("!…"): no need for secrets

    @property
    def rows(self) -> int:
        return sum(t.written for t in self._tables())

    def _tables(self) -> list[Table]:
        return [
            getattr(self, n)
            for n in (
                "orgs",
                "users",
                "customers",
                "emails",
                "cases",
                "case_tags",
                "contacts",
                "events",
            )
            if hasattr(self, n)
        ]

    def run(
        self,
        *,
        people: Iterable[CustomerSpec],
        book: CustomerBook,
        plans: Callable[[], Iterable[CasePlan]],
        cases: int,
        progress: Callable[[int], object],
    ) -> None:
        with bulk_session():
            self.orgs = Table(Organisation, ("id", "name", "segment", "created_at"))
            self.users = Table(
                User,
                (
                    "id",
                    "password",
                    "email",
                    "first_name",
                    "last_name",
                    "role",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "date_joined",
                ),
            )
            self.customers = Table(
                Customer,
                (
                    "id",
                    "name",
                    "email",
                    "phone",
                    "language",
                    "organisation_id",
                    "segment",
                    "user_id",
                    "created_at",
                ),
            )
            self.emails = Table(CustomerEmail, ("id", "customer_id", "address", "is_primary"))
            self._customers_write(people, book)
            self.cases = Table(
                Case,
                (
                    "id",
                    "number",
                    "reference",
                    "subject",
                    "customer_id",
                    "owner_id",
                    "team_id",
                    "status",
                    "priority",
                    "category_id",
                    "channel",
                    "created_at",
                    "updated_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                ),
            )
            self.case_tags = Table(Case.tags.through, ("id", "case_id", "tag_id"))
            self.contacts = Table(
                Contact,
                (
                    "id",
                    "case_id",
                    "kind",
                    "channel",
                    "direction",
                    "author_user_id",
                    "author_customer_id",
                    "body_text",
                    "body_html",
                    "external_id",
                    "duration_seconds",
                    "created_at",
                ),
            )
            self.events = Table(
                CaseEvent, ("id", "case_id", "kind", "actor_id", "data", "created_at")
            )
            with transaction.atomic():
                number = sequence_next(name=CASE_SEQUENCE, count=cases)
                for name in sorted(
                    {t for group in pools.TAGS.values() for t in group} | {"relance"}
                ):
                    self.tag_ids[name] = Tag.objects.get_or_create(name=name)[0].pk
            with deferred_indexes(
                [t.table for t in (self.cases, self.case_tags, self.contacts, self.events)]
            ):
                self._cases_write(plans, number, progress)
            if connection.vendor == "postgresql":
                self._sequences_reset()

    def _cases_write(
        self,
        plans: Callable[[], Iterable[CasePlan]],
        number: int,
        progress: Callable[[int], object],
    ) -> None:
        if self.parallel:
            self._cases_write_pipelined(plans, number, progress)
            return
        for rows in self._case_batches(plans, number):
            self._rows_flush(rows)
            progress(rows[-1])

    def _case_batches(
        self, plans: Callable[[], Iterable[CasePlan]], number: int
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of `batch` cases at a time: (cases, tags, contacts, events, first id, last
        id, ids to go on from, count)."""
        pending = 0
        for plan in plans():
            self._case(plan, number)
            number += 1
            pending += 1
            if pending == self.batch:
                yield self._rows_take(pending)
                pending = 0
        yield self._rows_take(pending)

    def _rows_take(self, count: int) -> tuple[Any, ...]:
        tables = (self.cases, self.case_tags, self.contacts, self.events)
        rows = tuple(t.rows for t in tables)
        for table in tables:
            table.rows = []
        next_ids = tuple(t.next_id for t in tables)
        return (*rows, self.first_case_id, self.last_case_id, next_ids, count)

    def _rows_flush(self, rows: tuple[Any, ...]) -> None:
        tables = (self.cases, self.case_tags, self.contacts, self.events)
        for table, table_rows, next_id in zip(tables, rows[:4], rows[6], strict=True):
            table.rows = table_rows
            table.next_id = next_id
        if self.first_case_id is None:
            self.first_case_id = rows[4]
        self.last_case_id = rows[5]
        self._flush(*tables)

    def _cases_write_pipelined(
        self,
        plans: Callable[[], Iterable[CasePlan]],
        number: int,
        progress: Callable[[int], object],
    ) -> None:
        """Two processes: a forked child writes the stories and builds their rows, this one
        writes them to the database. The child never touches the database connection."""
        context = multiprocessing.get_context("fork")
        queue = context.Queue(maxsize=3)  # bounded: at most a few batches in flight

        def produce() -> None:
            try:
                for rows in self._case_batches(plans, number):
                    queue.put(rows)
                queue.put(None)
            except BaseException as exc:
                queue.put(f"{type(exc).__name__}: {exc}")
                raise

        child = context.Process(target=produce, name="guichet-demo-rows", daemon=True)
        child.start()
        try:
            while True:
                try:
                    rows = queue.get(timeout=5)
                except Empty:
                    if not child.is_alive():
                        raise RuntimeError("the demo generator stopped unexpectedly") from None
                    continue
                if rows is None:
                    break
                if isinstance(rows, str):
                    raise RuntimeError(f"the demo generator failed: {rows}")
                self._rows_flush(rows)
                progress(rows[-1])
        finally:
            if child.is_alive():
                child.terminate()
            child.join()

    def _flush(self, *tables: Table) -> None:
        with transaction.atomic():
            for table in tables:
                table.flush()

    def _sequences_reset(self) -> None:
        """PostgreSQL identity sequences follow the ids written here, so later inserts go on."""
        models_ = [
            Organisation,
            User,
            Customer,
            CustomerEmail,
            Case,
            Case.tags.through,
            Contact,
            CaseEvent,
        ]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models_):
                cursor.execute(sql)

    # -- customers ---------------------------------------------------------------------------

    def _customers_write(self, people: Iterable[CustomerSpec], book: CustomerBook) -> None:
        batch: list[CustomerSpec] = []
        for spec in people:
            book.add(spec)
            batch.append(spec)
            if len(batch) == CUSTOMER_BATCH:
                self._customer_batch(batch)
                batch = []
        self._customer_batch(batch)

    def _customer_batch(self, specs: list[CustomerSpec]) -> None:
        if not specs:
            return
        known = dict(
            CustomerEmail.objects.filter(address__in=[s.email for s in specs]).values_list(
                "address", "customer_id"
            )
        )
        known_users = dict(
            Customer.objects.filter(pk__in=known.values()).values_list("pk", "user_id")
        )
        taken = set(
            User.objects.filter(email__in=[s.email for s in specs if s.portal]).values_list(
                "email", flat=True
            )
        )
        names = {s.organisation for s in specs if s.organisation}
        orgs = dict(Organisation.objects.filter(name__in=names).values_list("name", "pk"))
        now = self.dt(int(time.time()))
        letters = string.ascii_letters + string.digits
        for spec in specs:
            if spec.email in known:
                customer_id = known[spec.email]
                self.customer_ids.append(customer_id)
                self.customer_users.append(known_users.get(customer_id))
                continue
            joined = self.dt(spec.created_ts)
            user_id = None
            if spec.portal and spec.email not in taken:
                user_id = self.users.take_id()
                password = "!" + "".join(self._passwords.choices(letters, k=40))
                self.users.rows.append(
                    (
                        user_id,
                        password,
                        spec.email,
                        spec.first_name,
                        spec.last_name,
                        Role.CUSTOMER,
                        True,
                        False,
                        False,
                        joined,
                    )
                )
            org_id = None
            if spec.organisation:
                org_id = orgs.get(spec.organisation)
                if org_id is None:
                    org_id = orgs[spec.organisation] = self.orgs.take_id()
                    self.orgs.rows.append((org_id, spec.organisation, PROFESSIONNEL, now))
            customer_id = self.customers.take_id()
            self.customers.rows.append(
                (
                    customer_id,
                    f"{spec.first_name} {spec.last_name}",
                    spec.email,
                    spec.phone,
                    "fr",
                    org_id,
                    spec.segment,
                    user_id,
                    joined,
                )
            )
            self.emails.rows.append((self.emails.take_id(), customer_id, spec.email, True))
            self.customer_ids.append(customer_id)
            self.customer_users.append(user_id)
        self._flush(self.orgs, self.users, self.customers, self.emails)

    # -- one case, as the services would have written it -------------------------------------

    def _case(self, plan: CasePlan, number: int) -> None:
        """The rows case_open, contact_add, case_change_status, case_assign and case_update
        would have written for this story (tests/demo compare the two, column by column)."""
        dt, slugs = self.dt, self.category_slugs
        events, contacts = self.events.rows, self.contacts.rows
        case_id = self.cases.take_id()
        if self.first_case_id is None:
            self.first_case_id = case_id
        self.last_case_id = case_id
        customer_id = self.customer_ids[plan.customer]
        customer_user = self.customer_users[plan.customer]
        opening = plan.ops[0]
        assert isinstance(opening, Open)
        status, owner, team = NEW, opening.owner, opening.team
        priority, category, updated = opening.priority, opening.category, opening.at
        first_response = resolved = closed = None
        channel = opening.channel

        at = dt(opening.at)
        actor = customer_user if opening.actor == CUSTOMER else opening.actor
        staff = opening.actor is not None and opening.actor != CUSTOMER
        if opening.tags:
            cleaned = sorted({" ".join(t.split()).lower()[:50] for t in opening.tags if t.strip()})
            for name in cleaned:
                self.case_tags.rows.append((self.case_tags.take_id(), case_id, self.tag_ids[name]))
        event_id = self.events.next_id
        contact_id = self.contacts.next_id
        events.append(
            (
                event_id,
                case_id,
                CREATED,
                actor,
                f'{{"channel": "{channel}", "priority": "{priority}", '
                f'"category": {_q(slugs[category])}}}',
                at,
            )
        )
        events.append(
            (
                event_id + 1,
                case_id,
                ASSIGNED,
                actor if staff else None,
                f'{{"owner_id": {owner}, "team_id": {team}, '
                f'"reason": "{"chosen" if staff else "routing"}"}}',
                at,
            )
        )
        body = opening.body.strip()
        contacts.append(
            (
                contact_id,
                case_id,
                CUSTOMER_MESSAGE,
                channel,
                INBOUND,
                actor,
                customer_id,
                body,
                _html(body),
                "",
                None,
                at,
            )
        )
        events.append(
            (
                event_id + 2,
                case_id,
                CONTACT_ADDED,
                actor,
                f'{{"contact_id": {contact_id}, "contact_kind": "{CUSTOMER_MESSAGE}", '
                f'"channel": "{channel}"}}',
                at,
            )
        )
        event_id += 3
        contact_id += 1

        for op in plan.ops[1:]:
            at = dt(op.at)
            actor = customer_user if op.actor == CUSTOMER else op.actor
            new = ""  # a status change to record, after the op's own rows
            reason = ""
            if isinstance(op, AddContact):
                kind = op.kind
                via = op.channel or channel
                from_customer = kind == CUSTOMER_MESSAGE
                body = op.body.strip()
                contacts.append(
                    (
                        contact_id,
                        case_id,
                        kind,
                        via,
                        op.direction or DEFAULT_DIRECTION.get(kind, OUTBOUND),
                        actor,
                        customer_id if from_customer else None,
                        body,
                        _html(body),
                        "",
                        op.duration,
                        at,
                    )
                )
                events.append(
                    (
                        event_id,
                        case_id,
                        CONTACT_ADDED,
                        actor,
                        f'{{"contact_id": {contact_id}, "contact_kind": "{kind}", '
                        f'"channel": "{via}"}}',
                        at,
                    )
                )
                event_id += 1
                contact_id += 1
                if from_customer and status in FINISHED:
                    new, reason = OPEN, "customer wrote again"
                elif from_customer and status == WAITING:
                    new, reason = OPEN, "customer replied"
                elif kind in RESPONSE_KINDS:
                    if first_response is None:
                        first_response = op.at
                    if status == NEW:
                        new = OPEN
                updated = max(updated, op.at)
            elif isinstance(op, ChangeStatus):
                new, reason = op.status, op.reason
            elif isinstance(op, Assign):
                # The demo always names the new owner (never back to the queue): a change of
                # owner or team is a transfer, even a colleague's case taken over.
                team_changed = team is not None and op.team != team
                transfer = team_changed or (owner is not None and op.owner != owner)
                given = op.reason.strip()
                if transfer and op.owner == actor and not team_changed and not given:
                    given = "taken over"
                events.append(
                    (
                        event_id,
                        case_id,
                        TRANSFERRED if transfer else ASSIGNED,
                        actor,
                        f'{{"owner_id": {op.owner}, "previous_owner_id": {_n(owner)}, '
                        f'"team_id": {op.team}, "reason": {_q(given)}}}',
                        at,
                    )
                )
                event_id += 1
                owner, team, updated = op.owner, op.team, op.at
            elif isinstance(op, Update):
                if op.priority and op.priority != priority:
                    events.append(
                        (
                            event_id,
                            case_id,
                            PRIORITY_CHANGED,
                            actor,
                            f'{{"old": "{priority}", "new": "{op.priority}"}}',
                            at,
                        )
                    )
                    event_id += 1
                    priority, updated = op.priority, op.at
                if op.category and op.category != category:
                    events.append(
                        (
                            event_id,
                            case_id,
                            CATEGORY_CHANGED,
                            actor,
                            f'{{"old": {_q(slugs.get(category))}, '
                            f'"new": {_q(slugs[op.category])}}}',
                            at,
                        )
                    )
                    event_id += 1
                    category, updated = op.category, op.at
            if new:
                if new not in TRANSITIONS[status] or (
                    not reason.strip()
                    and (
                        (new == CLOSED and status in ACTIVE) or (new == OPEN and status in FINISHED)
                    )
                ):
                    raise ValueError(f"Impossible demo story: {status} → {new} in case {number}")
                reopening = status in FINISHED and new == OPEN
                events.append(
                    (
                        event_id,
                        case_id,
                        REOPENED if reopening else STATUS_CHANGED,
                        actor,
                        f'{{"old": "{status}", "new": "{new}", "reason": {_q(reason.strip())}}}',
                        at,
                    )
                )
                event_id += 1
                status, updated = new, op.at
                if new == RESOLVED:
                    resolved = op.at
                elif new == CLOSED:
                    closed = op.at
                if reopening:
                    resolved = closed = None

        self.events.next_id = event_id
        self.contacts.next_id = contact_id
        self.cases.rows.append(
            (
                case_id,
                number,
                case_reference(number),
                " ".join(opening.subject.split()),
                customer_id,
                owner,
                team,
                status,
                priority,
                category,
                channel,
                dt(opening.at),
                dt(updated),
                None if first_response is None else dt(first_response),
                None if resolved is None else dt(resolved),
                None if closed is None else dt(closed),
            )
        )


_quoted: dict[str | None, str] = {}


def _q(value: str | None) -> str:
    """A JSON string as Django's JSONField writes it (json.dumps: ASCII with \\u escapes)."""
    quoted = _quoted.get(value)
    if quoted is None:
        quoted = _quoted[value] = json.dumps(value)
    return quoted


def _n(value: int | None) -> str:
    return "null" if value is None else str(value)


def _html(text: str) -> str:
    """core.html.text_to_html, faster for the demo's own texts (no blank-looking lines)."""
    if "\n\n\n" in text or "\r" in text or " \n" in text or "\n " in text or "\t" in text:
        return text_to_html(text)
    return "<p>" + escape(text).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
