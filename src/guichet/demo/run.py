"""`guichet demo` end to end: people, then cases, written through the services (normal mode) or
as rows in batches (bulk mode), with a progress bar and a summary."""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from faker import Faker
from tqdm import tqdm

from guichet.core.hooks import hooks_emit, hooks_paused
from guichet.demo.chance import Chance
from guichet.demo.generator import CaseGenerator
from guichet.demo.hours import BusinessCalendar, local_date, months_before
from guichet.demo.population import (
    CustomerBook,
    customer_count,
    customer_specs,
    staff_specs,
)
from guichet.demo.staff import staff_ensure

CHUNK = 250  # cases per transaction in normal mode
MAX_MONTHS = 120
PARALLEL_FROM = 20_000  # bulk loads this large use two processes (see demo.bulk)


@contextmanager
def _without_savepoints() -> Iterator[None]:
    """Inside a chunk's transaction, the services' own atomic blocks need no savepoints: the
    demo never recovers from an error halfway through a chunk, the whole chunk rolls back.
    A third of the queries saved."""
    connection._savepoint_allowed = lambda: False  # type: ignore[method-assign]
    try:
        yield
    finally:
        del connection._savepoint_allowed  # back to the backend's own method


@dataclass
class DemoResult:
    cases: int
    customers: int
    rows: int
    seconds: float  # writing the demo data
    derived_seconds: float  # other apps rebuilding what they derive from it ("cases.imported")
    first_case_id: int | None
    last_case_id: int | None


def demo_generate(
    *,
    cases: int,
    months: int = 12,
    seed: int = 1,
    bulk: bool = False,
    end_ts: int | None = None,
    progress: bool = False,
    batch: int | None = None,
    derived: bool = True,
    parallel: bool | None = None,
) -> DemoResult:
    """Write `cases` cases over the `months` months up to `end_ts` (default: now).

    The same seed, end day and starting database give the same data. Hooks are paused while
    writing; then "cases.imported" lets other apps rebuild their derived data (unless
    `derived` is False: benchmarks of the writer alone)."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}")
    started = time.perf_counter()
    end_ts = int(time.time()) if end_ts is None else end_ts
    start_ts = months_before(end_ts, months)
    rng = Chance(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    calendar = BusinessCalendar(
        local_date(start_ts) - timedelta(days=1), local_date(end_ts) + timedelta(days=60)
    )
    staff = staff_specs(fake=fake, rng=rng, cases=cases)
    directory = staff_ensure(specs=staff)
    book = CustomerBook()
    people = customer_specs(
        fake=fake, rng=rng, count=customer_count(cases), start_ts=start_ts, end_ts=end_ts
    )
    bar = tqdm(total=cases, unit="case", file=sys.stderr, disable=not progress, smoothing=0.1)

    def generator() -> CaseGenerator:
        return CaseGenerator(
            rng=rng,
            book=book,
            directory=directory,
            calendar=calendar,
            start_ts=start_ts,
            end_ts=end_ts,
            cases=cases,
        )

    with hooks_paused(), bar:
        if bulk:
            from guichet.demo.bulk import BulkWriter

            writer = BulkWriter(
                batch=batch or 5000,
                parallel=cases >= PARALLEL_FROM if parallel is None else parallel,
            )
            writer.run(people=people, book=book, plans=generator, cases=cases, progress=bar.update)
            first, last, rows = writer.first_case_id, writer.last_case_id, writer.rows
        else:
            from guichet.demo.writer import ServiceWriter

            service_writer = ServiceWriter(staff_ids=directory.first_names)
            while specs := list(itertools.islice(people, 2000)):
                service_writer.customers_write(specs)
                for spec in specs:
                    book.add(spec)
            plans = iter(generator())
            while chunk_plans := list(itertools.islice(plans, batch or CHUNK)):
                with transaction.atomic(), _without_savepoints():
                    for plan in chunk_plans:
                        service_writer.case_write(plan)
                bar.update(len(chunk_plans))
            first, last, rows = service_writer.first_case_id, service_writer.last_case_id, 0
    written = time.perf_counter()
    if first is not None and derived:
        hooks_emit("cases.imported", first_case_id=first, last_case_id=last, bulk=bulk)
    return DemoResult(
        cases=cases,
        customers=len(book.created),
        rows=rows,
        seconds=written - started,
        derived_seconds=time.perf_counter() - written,
        first_case_id=first,
        last_case_id=last,
    )
