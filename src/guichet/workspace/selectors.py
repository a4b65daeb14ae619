"""Reads for the agent workspace: the inbox views, their counts, the case page, the customer page.

Every read starts from guichet.cases.access (the one permission funnel). Query counts do not grow
with the number of rows: relations are joined or prefetched, counts are capped.

The inbox order lives in one place, `inbox_order` / `inbox_after` (and `_segments`, the same
order cut in two for the indexes): time left before the nearest service target (guichet.sla's
case clock), then the cases with no running target by priority rank and age.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    When,
    Window,
)
from django.db.models import Case as SqlCase
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.accounts.models import Team, User
from guichet.cases.access import (
    case_get_for_user,
    case_get_from,
    case_queryset_for_user,
    case_visible_q,
)
from guichet.cases.choices import CaseStatus, Channel, Priority
from guichet.cases.models import Attachment, Case, CaseEvent, Category, Contact
from guichet.customers.models import Customer, CustomerEmail
from guichet.knowledge.selectors import macro_list_for_user
from guichet.sla.models import CaseClock
from guichet.sla.selectors import cases_with_clock
from guichet.workspace import search

PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_PAGE = 400

# The SQL text below must stay identical to the expression indexes of migration 0002 of this app:
# that is how SQLite and PostgreSQL recognise them.
PRIORITY_RANK_SQL = (
    "CASE \"cases_case\".\"priority\" WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 "
    "WHEN 'normal' THEN 2 ELSE 3 END"
)
# "Not finished" rather than "IN (new, open, waiting)": see migration 0002 of this app.
ACTIVE_SQL = "\"cases_case\".\"status\" NOT IN ('resolved', 'closed')"


def _active() -> RawSQL:
    # Literal values (not query parameters) so the planner can use the partial indexes.
    return RawSQL(ACTIVE_SQL, (), output_field=BooleanField())  # noqa: S611 (constant SQL)


def _rank() -> RawSQL:
    return RawSQL(PRIORITY_RANK_SQL, ())  # noqa: S611 (constant SQL)


@dataclass(frozen=True)
class InboxView:
    key: str
    label: Any
    active_only: bool = True


INBOX_VIEWS: dict[str, InboxView] = {
    v.key: v
    for v in (
        InboxView("mine", _("Mine")),
        InboxView("team", _("My teams")),
        InboxView("unassigned", pgettext_lazy("inbox view", "Unassigned")),
        InboxView("waiting", _("Waiting on customer")),
        InboxView("open", _("All open")),
        InboxView("all", _("All cases"), active_only=False),
    )
}
DEFAULT_VIEW = "open"


def user_team_ids(user: User) -> list[int]:
    """Teams the user works in or supervises ("my teams")."""
    return list(
        Team.objects.filter(Q(members=user) | Q(supervisor=user))
        .values_list("id", flat=True)
        .distinct()
    )


def visibility_parts(user: User) -> list[QuerySet[Case]]:
    """case_queryset_for_user(user), as the union of one queryset per disjunct of the access
    funnel's filter (for an agent: cases of their teams, cases they own, cases with no team).

    OR-ed together the disjuncts make the planner scan the backlog and filter each row, which
    costs in proportion to everyone else's cases; taken apart, each one walks its own index and
    stops after the rows a page (or a capped count) needs."""
    return _parts_of(case_visible_q(user))


# A team holds a third or a half of all cases, finished ones included: an index on team_id
# selects nothing, yet SQLite prefers the cases app's covering (team_id, status, updated_at)
# index over the inbox's partial indexes and then walks every case the team ever had (measured
# at 1,000,000 cases: 117 ms instead of 1 ms for a page, 140 ms instead of 7 ms for the counts).
# Written `+team_id` (SQLite's way to say "not through an index"), the term leaves the choice to
# the partial indexes on unfinished cases and to the due-time index. PostgreSQL's statistics
# see it by themselves.
TEAM_UNINDEXED_SQL = '+"cases_case"."team_id"'


def _team_in(qs: QuerySet[Case], team_ids: list[int]) -> QuerySet[Case]:
    if connection.vendor != "sqlite":
        return qs.filter(team_id__in=team_ids)
    team = RawSQL(TEAM_UNINDEXED_SQL, (), output_field=IntegerField())  # noqa: S611 (constant)
    return qs.alias(team_unindexed=team).filter(team_unindexed__in=team_ids)


def _part(child: Q | tuple) -> QuerySet[Case]:
    if isinstance(child, tuple) and child[0] in ("team_id__in", "team__in"):
        return _team_in(Case.objects.all(), list(child[1]))
    return Case.objects.filter(child if isinstance(child, Q) else Q(child))


def _parts_of(q: Q | None) -> list[QuerySet[Case]]:
    if q is None:
        return [Case.objects.all()]
    if q.negated or q.connector != Q.OR or len(q.children) < 2:
        return [Case.objects.filter(q)]
    return [_part(c) for c in q.children]


# Building and compiling the inbox's querysets (several parts × views × segments) costs more
# than running them. Their SQL only depends on who asks (their visibility filter, their teams)
# and what they ask for, so it is compiled once per process and reused: keys hold every value
# the SQL depends on. Searches and customer filters (which read other rows to build the SQL)
# are never cached.
_SQL_CACHE: dict[tuple, tuple[str, tuple] | None] = {}
_SQL_CACHE_MAX = 2048


def _compiled(key: tuple | None, build: Callable[[], QuerySet]) -> tuple[str, tuple] | None:
    """(sql, params) of the queryset `build()` gives, from the cache when `key` is given;
    None when the queryset is empty by construction."""
    if key is not None and key in _SQL_CACHE:
        return _SQL_CACHE[key]
    try:
        compiled: tuple[str, tuple] | None = build().query.sql_with_params()
    except EmptyResultSet:
        compiled = None
    if key is not None:
        _sql_remember(key, compiled)
    return compiled


def _sql_remember(key: tuple, compiled: tuple[str, tuple] | None) -> None:
    # Cleared whole when full: keys are few (users × views × filters) and rebuilt cheaply.
    if len(_SQL_CACHE) >= _SQL_CACHE_MAX:
        _SQL_CACHE.clear()
    _SQL_CACHE[key] = compiled


def _fetch_ids(compiled: tuple[str, tuple] | None) -> list[int]:
    if compiled is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*compiled)
        return [row[0] for row in cursor.fetchall()]


def _union_ids(querysets: list[QuerySet[Case]], limit: int) -> tuple[str, list[Any]] | None:
    """SQL selecting the ids of the first `limit` rows of each queryset (in its own order),
    deduplicated; None when every queryset is empty by construction."""
    sqls: list[str] = []
    params: list[Any] = []
    for index, qs in enumerate(querysets):
        try:
            sql, part_params = qs.values("id")[:limit].query.sql_with_params()
        except EmptyResultSet:
            continue
        # `sql` is the ORM's (values are parameters); only our own alias is added.
        sqls.append(f"SELECT id FROM ({sql}) AS part_{index}")  # noqa: S608
        params.extend(part_params)
    if not sqls:
        return None
    return " UNION ".join(sqls), params


def inbox_view_queryset(
    *, user: User, view: str, team_ids: list[int], visible: QuerySet[Case] | None = None
) -> QuerySet[Case]:
    """The cases of one inbox view that this user may see (unordered, unfiltered).
    `visible` is case_queryset_for_user(user), passed in to build it once per request."""
    qs = case_queryset_for_user(user=user) if visible is None else visible
    spec = INBOX_VIEWS[view]
    if spec.active_only:
        qs = qs.filter(_active())
    if view == "mine":
        qs = qs.filter(owner=user)
    elif view == "team":
        qs = _team_in(qs, team_ids)
    elif view == "unassigned":
        qs = qs.filter(owner__isnull=True)
    elif view == "waiting":
        qs = qs.filter(status=CaseStatus.WAITING_CUSTOMER)
    return qs


DUE = "sla_clock__next_due_at"  # the nearest due time of a running target (guichet.sla)
RANKS = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2}


class InboxKey(NamedTuple):
    """A case's place in the inbox order. Active views: the nearest due time of a running
    target (None: no running target — paused, none set, or finished), then priority rank, then
    age. "All cases" uses only (created_at, id)."""

    due: datetime | None
    rank: int
    created_at: datetime
    id: int


def inbox_key(case: Case) -> InboxKey:
    """The key of a case as it stands now (its clock from `cases_with_clock`, else one query)."""
    try:
        due = case.sla_clock.next_due_at
    except CaseClock.DoesNotExist:
        due = None
    return InboxKey(due, RANKS.get(case.priority, 3), case.created_at, case.pk)


def _micros(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def _moment(micros: str) -> datetime:
    return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)


def inbox_cursor(key: InboxKey) -> str:
    """The key as a URL parameter ("next page", "next case"): due (µs since the epoch, or "n"),
    rank, created_at (µs), id."""
    due = "n" if key.due is None else str(_micros(key.due))
    return f"{due}.{key.rank}.{_micros(key.created_at)}.{key.id}"


def inbox_cursor_parse(value: str) -> InboxKey | None:
    """The key back from a URL parameter; None for anything malformed (never a 500)."""
    parts = (value or "").split(".")
    if len(parts) != 4 or not all(p.lstrip("-").isdigit() for p in parts[1:]):
        return None
    due, rank, created, pk = parts
    if due != "n" and not due.lstrip("-").isdigit():
        return None
    try:
        return InboxKey(None if due == "n" else _moment(due), int(rank), _moment(created), int(pk))
    except (OverflowError, OSError, ValueError):
        return None


def _untimed(expression: Any) -> SqlCase:
    """The expression for cases without a running target; NULL (all equal) for the others."""
    return SqlCase(When(**{f"{DUE}__isnull": True}, then=expression))


def inbox_order(qs: QuerySet[Case], *, view: str) -> QuerySet[Case]:
    """The inbox order, in one place: most urgent first. Active views: least time left before
    the nearest response/resolution target first (guichet.sla's case clock; among equal due
    times, the older case — smaller id — first); then the cases with no running target (paused
    while waiting on the customer, no target, no clock), by priority rank then oldest first.
    "All cases" (an archive to search in) shows the newest first.

    One ORDER BY over two tables cannot walk an index: `inbox_page` and `inbox_next_case` read
    the two segments (with / without a due time) separately (`_segments`), each along its own
    index (workspace migration 0004 for the due times), in this same order."""
    if not INBOX_VIEWS[view].active_only:
        return qs.order_by("-created_at", "-id")
    return cases_with_clock(qs.alias(rank=_rank())).order_by(
        F(DUE).asc(nulls_last=True), _untimed(F("rank")), _untimed(F("created_at")), "id"
    )


def _after_untimed(key: InboxKey) -> Q:
    """After `key` among the cases without a running target (priority rank, age, id)."""
    return (
        Q(rank__gt=key.rank)
        | Q(rank=key.rank, created_at__gt=key.created_at)
        | Q(rank=key.rank, created_at=key.created_at, id__gt=key.id)
    )


def _after_timed(key: InboxKey) -> Q:
    """After `key` among the cases with a running target (due time, id)."""
    return Q(**{f"{DUE}__gt": key.due}) | Q(**{DUE: key.due, "id__gt": key.id})


def inbox_after(qs: QuerySet[Case], *, view: str, key: InboxKey) -> QuerySet[Case]:
    """The cases that come after `key` in `inbox_order` (keyset "next page" and "next case")."""
    if not INBOX_VIEWS[view].active_only:
        return qs.filter(
            Q(created_at__lt=key.created_at) | Q(created_at=key.created_at, id__lt=key.id)
        )
    qs = qs.alias(rank=_rank())
    untimed = Q(**{f"{DUE}__isnull": True})
    if key.due is None:
        return qs.filter(untimed & _after_untimed(key))
    return qs.filter(_after_timed(key) | untimed)


def _segments(qs: QuerySet[Case], *, view: str, after: InboxKey | None) -> list[QuerySet[Case]]:
    """`inbox_order(inbox_after(qs))` as consecutive ordered pieces, each of which walks an
    index: the cases with a running target along the clock's due-time index, then the others
    along the inbox's priority indexes."""
    if not INBOX_VIEWS[view].active_only:
        if after is not None:
            qs = inbox_after(qs, view=view, key=after)
        return [inbox_order(qs, view=view)]
    ranked = qs.alias(rank=_rank())
    timed = ranked.filter(**{f"{DUE}__isnull": False})
    untimed = ranked.filter(**{f"{DUE}__isnull": True})
    if after is not None:
        if after.due is None:
            timed = None
            untimed = untimed.filter(_after_untimed(after))
        else:
            timed = timed.filter(_after_timed(after))
    pieces = []
    if timed is not None:
        # The clock's own case_id (not cases_case.id): the ORDER BY is then exactly the index.
        pieces.append(timed.order_by(DUE, "sla_clock__pk"))
    pieces.append(untimed.order_by("rank", "created_at", "id"))
    return pieces


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    priority: str = ""
    category: str = ""  # slug
    channel: str = ""
    tag: str = ""
    customer: str = ""  # id or email
    q: str = ""

    @property
    def any(self) -> bool:
        return any(
            (self.status, self.priority, self.category, self.channel, self.tag, self.customer)
        )


def inbox_filters_parse(data) -> tuple[InboxFilters, dict[str, str]]:
    """Read filters from a query dict; unknown values are dropped and reported, never a 500."""
    errors: dict[str, str] = {}

    def choice(name: str, choices: type) -> str:
        value = (data.get(name) or "").strip()
        if value and value not in choices.values:
            errors[name] = str(_("Unknown value."))
            return ""
        return value

    customer = (data.get("customer") or "").strip()[:254]
    return (
        InboxFilters(
            status=choice("status", CaseStatus),
            priority=choice("priority", Priority),
            category=(data.get("category") or "").strip()[:100],
            channel=choice("channel", Channel),
            tag=(data.get("tag") or "").strip().lower()[:50],
            customer=customer,
            q=(data.get("q") or "").strip()[:200],
        ),
        errors,
    )


def _customer_ids(value: str) -> list[int]:
    if value.isdigit():
        return [int(value)]
    if "@" in value:
        return list(
            CustomerEmail.objects.filter(address__iexact=value).values_list(
                "customer_id", flat=True
            )
        )
    return list(Customer.objects.filter(name__icontains=value).values_list("id", flat=True)[:50])


def inbox_apply_filters(qs: QuerySet[Case], filters: InboxFilters) -> QuerySet[Case]:
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.category:
        qs = qs.filter(category__slug=filters.category)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.customer:
        qs = qs.filter(customer_id__in=_customer_ids(filters.customer))
    if filters.q:
        parsed = search.search_parse(filters.q)
        if parsed.empty:
            return qs.none()
        qs = qs.filter(search.search_case_filter(parsed))
    return qs


@dataclass
class InboxPage:
    view: str
    cases: list[Case]
    page: int
    has_next: bool
    counts: dict[str, int]
    search_capped: bool = False
    next_cursor: str = ""  # the last row's key, for the keyset "next page" link

    @property
    def has_previous(self) -> bool:
        return self.page > 1


# The view counts of an agent are kept COUNTS_SECONDS in the cache: an agent going from the
# inbox to a case and back, or polling, does not recount five views (at 1,000,000 cases their
# capped counts are most of the inbox's SQL time). Any case created, assigned, or changing
# status in this process (the cases app's hooks, after commit) drops every cached count at once
# (a new generation); a change made by another process shows within COUNTS_SECONDS. The list
# itself is never cached.
COUNTS_SECONDS = 10
_COUNTS_GENERATION = "workspace:counts:generation"
COUNTS_EVENTS = ("case.created", "case.assigned", "case.status_changed", "cases.imported")


def inbox_counts_forget(**_: Any) -> None:
    """Drop every cached view count (a hook of the cases app's events; tests)."""
    cache.set(_COUNTS_GENERATION, time.time_ns(), None)


def inbox_counts_cached(
    *, user: User, team_ids: list[int], parts: list[QuerySet[Case]], key: tuple
) -> dict[str, int]:
    """`inbox_counts`, from the cache when counted less than COUNTS_SECONDS ago and no case
    changed since (see COUNTS_SECONDS). `key` holds every value the counts depend on."""
    generation = cache.get(_COUNTS_GENERATION, 0)
    digest = hashlib.sha256(repr((generation, key)).encode()).hexdigest()[:32]
    cache_key = f"workspace:counts:{digest}"
    counts = cache.get(cache_key)
    if counts is None:
        counts = inbox_counts(user=user, team_ids=team_ids, parts=parts, key=key)
        cache.set(cache_key, counts, COUNTS_SECONDS)
    return counts


def inbox_counts(
    *,
    user: User,
    team_ids: list[int],
    parts: list[QuerySet[Case]] | None = None,
    key: tuple | None = None,
) -> dict[str, int]:
    """Cases per view, capped at COUNT_CAP ("1000+" is all an agent needs to know): each part
    of each view walks at most COUNT_CAP index entries, whatever the size of the table. One
    statement for all the views: the ORM builds the queries, the database counts them.
    `key`: see `_compiled`."""
    keys = [name for name, spec in INBOX_VIEWS.items() if spec.active_only]
    statement = _SQL_CACHE.get(key) if key is not None else None
    if statement is None:
        parts = visibility_parts(user) if parts is None else parts
        counts, params = [], []
        for view in keys:
            union = _union_ids(
                [
                    inbox_view_queryset(user=user, view=view, team_ids=team_ids, visible=part)
                    for part in parts
                ],
                COUNT_CAP,
            )
            sql, union_params = union or ("SELECT 1 AS id WHERE 1 = 0", [])
            counts.append(f"(SELECT COUNT(*) FROM ({sql}) AS view_{view})")  # noqa: S608
            params.extend(union_params)
        statement = ("SELECT " + ", ".join(counts), tuple(params))
        if key is not None:
            _sql_remember(key, statement)
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        row = cursor.fetchone()
    return {view: min(value, COUNT_CAP) for view, value in zip(keys, row, strict=True)}


# The columns an inbox row shows (workspace_tags.inbox_rows): fewer columns, fewer values to
# convert and objects to fill on every page.
INBOX_ROW_FIELDS = (
    "id", "reference", "subject", "status", "priority", "channel", "created_at",
    "customer_id", "owner_id", "team_id", "category_id",
    "customer__id", "customer__name",
    "owner__id", "owner__first_name", "owner__last_name", "owner__email",
    "team__id", "team__name", "category__id", "category__name",
)  # fmt: skip
# The countdown of a row (guichet.sla.selectors.clock_countdown) and its calendar.
INBOX_CLOCK_FIELDS = (
    "case_id", "calendar_id", "paused_since", "next_kind", "next_due_at", "next_risk_at",
    "calendar__id", "calendar__name", "calendar__time_zone", "calendar__country",
    "calendar__subdivision", "calendar__updated_at",
)  # fmt: skip


def inbox_rows(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("customer", "owner", "team", "category").only(*INBOX_ROW_FIELDS)


def inbox_rows_load(ids: list[int]) -> list[Case]:
    """The rows of a page, in the order of `ids`, each with its service clock and `tag_names`.
    The clocks come in a query of their own: joined to the rows, PostgreSQL spent more time
    planning the six joins than running them (EXPLAIN at 100,000 cases: 1.0 ms against 0.4 ms
    for four). The tags are read in one plain query: prefetch_related would build a queryset
    per row."""
    loaded = {c.pk: c for c in inbox_rows(Case.objects.filter(pk__in=ids))}
    clocks = {
        clock.case_id: clock
        for clock in CaseClock.objects.filter(case_id__in=ids)
        .select_related("calendar")
        .only(*INBOX_CLOCK_FIELDS)
    }
    tags: dict[int, list[str]] = {}
    pairs = (
        Case.tags.through.objects.filter(case_id__in=ids)
        .order_by("tag__name")
        .values_list("case_id", "tag__name")
    )
    for case_id, name in pairs:
        tags.setdefault(case_id, []).append(name)
    clock_field = Case._meta.get_field("sla_clock")
    rows = [loaded[pk] for pk in ids if pk in loaded]
    for case in rows:
        clock_field.set_cached_value(case, clocks.get(case.pk))
        case.tag_names = tags.get(case.pk, [])
    return rows


def _piece_count(view: str, after: InboxKey | None) -> int:
    if not INBOX_VIEWS[view].active_only or (after is not None and after.due is None):
        return 1
    return 2


def _ordered_ids(
    bases: Callable[[], list[QuerySet[Case]]],
    *,
    view: str,
    after: InboxKey | None,
    wanted: int,
    key: tuple | None = None,
) -> list[int]:
    """The ids of the first `wanted` cases of the union of the querysets `bases()` gives, in
    inbox order (after `after` when given). Each segment of the order (see `_segments`) is read
    only while the previous ones have not given enough rows; with several bases (the parts of
    an agent's visibility), each base gives at most the rows still wanted, along its own index,
    and only those few rows are ordered again together. `key`: see `_compiled`."""
    ids: list[int] = []
    segmented: list[list[QuerySet[Case]]] = []

    def pieces_of(index: int) -> list[QuerySet[Case]]:
        if not segmented:
            segmented.extend(_segments(b, view=view, after=after) for b in bases())
        return [pieces[index] for pieces in segmented]

    def build(index: int, need: int) -> QuerySet[Case]:
        pieces = pieces_of(index)
        if len(pieces) == 1:
            return pieces[0].values_list("id", flat=True)[:need]
        union = _union_ids(pieces, need)
        if union is None:
            return Case.objects.none()
        # The same piece again over those few rows: same ORDER BY (its filters hold).
        qs = _segments(
            Case.objects.filter(pk__in=RawSQL(*union)),  # noqa: S611 (ORM-compiled SQL)
            view=view,
            after=after,
        )[index]
        return qs.values_list("id", flat=True)[:need]

    for index in range(_piece_count(view, after)):
        need = wanted - len(ids)
        if need <= 0:
            break
        piece_key = None if key is None else (*key, index, need)
        ids.extend(_fetch_ids(_compiled(piece_key, lambda i=index, n=need: build(i, n))))
    return ids


def inbox_page(
    *,
    user: User,
    view: str,
    filters: InboxFilters,
    page: int = 1,
    after: InboxKey | None = None,
    with_counts: bool = True,
) -> InboxPage:
    """One page of an inbox view: by number (page 1 is the top), or the page after the row
    whose key is `after` (keyset: the "next page" link, unaffected by rows that came or went
    above)."""
    view = view if view in INBOX_VIEWS else DEFAULT_VIEW
    page = min(max(page, 1), MAX_PAGE)
    team_ids = user_team_ids(user)
    visible_q = case_visible_q(user)
    parts = _parts_of(visible_q)
    start = 0 if after is not None else (page - 1) * PAGE_SIZE
    wanted = start + PAGE_SIZE + 1
    if len(parts) == 1 or filters.q:
        # One part, or a search (whose matches are already capped): one plain query.
        visible = parts[0] if len(parts) == 1 else case_queryset_for_user(user=user)
        parts_for_view = [visible]
    else:
        parts_for_view = parts
    who = (connection.vendor, user.pk, repr(visible_q), tuple(team_ids))
    cacheable = not filters.q and not filters.customer

    def bases() -> list[QuerySet[Case]]:
        return [
            inbox_apply_filters(
                inbox_view_queryset(user=user, view=view, team_ids=team_ids, visible=part),
                filters,
            )
            for part in parts_for_view
        ]

    ids = _ordered_ids(
        bases,
        view=view,
        after=after,
        wanted=wanted,
        key=("page", *who, view, filters, after) if cacheable else None,
    )
    page_ids = ids[start : start + PAGE_SIZE]
    rows = inbox_rows_load(page_ids)
    counts = (
        inbox_counts_cached(user=user, team_ids=team_ids, parts=parts, key=("counts", *who))
        if with_counts
        else {}
    )
    capped = False
    if filters.q:
        parsed = search.search_parse(filters.q)
        capped = not parsed.empty and search.search_cap_reached(parsed)
    has_next = len(ids) > start + PAGE_SIZE
    return InboxPage(
        view=view,
        cases=rows,
        page=page,
        has_next=has_next,
        counts=counts,
        search_capped=capped,
        next_cursor=inbox_cursor(inbox_key(rows[-1])) if has_next and rows else "",
    )


def inbox_next_case(
    *, user: User, view: str, case: Case, key: InboxKey | None = None
) -> Case | None:
    """The case an agent works on after `case` in the same inbox view ("j", next case).
    `key` is where the case stood when the agent opened it (the case page's link carries it):
    once replied to or resolved, the case itself has moved, but "next" goes on from where it
    was. Without it, from where the case stands now."""
    view = view if view in INBOX_VIEWS else DEFAULT_VIEW
    if key is None:
        key = inbox_key(Case.objects.select_related("sla_clock").get(pk=case.pk))
    team_ids = user_team_ids(user)

    def bases() -> list[QuerySet[Case]]:
        return [
            inbox_view_queryset(user=user, view=view, team_ids=team_ids, visible=part).exclude(
                pk=case.pk
            )
            for part in visibility_parts(user)
        ]

    ids = _ordered_ids(bases, view=view, after=key, wanted=1)
    if not ids:
        return None
    return Case.objects.only("id", "reference").get(pk=ids[0])


# --- Case page -----------------------------------------------------------------------------


@dataclass
class CasePage:
    case: Case
    contacts: list[Contact]
    customer_cases: list[Case]
    customer_case_count: int
    merge_targets: list[Case]
    key: InboxKey  # where the case stands in the inbox order ("next case" goes on from there)


CUSTOMER_PANEL_CASES = 10
# What the customer panel and the merge list show of the customer's other cases.
CUSTOMER_PANEL_FIELDS = (
    "id", "reference", "subject", "status", "created_at", "merged_into_id", "owner_id",
    "owner__id", "owner__first_name", "owner__last_name", "owner__email",
)  # fmt: skip


# What the case page shows of the case and its relations, in one query, with the complaint
# (guichet.quality's panel: no query of its own). The service clock and its calendar are read
# apart: with them in the same join, PostgreSQL spent 3 ms planning it (0.7 ms without; EXPLAIN
# at 100,000 cases), more than the extra query costs.
CASE_PAGE_RELATED = ("customer", "owner", "team", "category", "complaint")


def case_page(*, user: User, reference: str) -> CasePage:
    """Everything the case page shows, in a fixed number of queries. The timeline (events) is
    loaded on demand by `case_history`."""
    # One visibility lookup for the case and the customer's other cases beside it.
    visible = case_queryset_for_user(user=user)
    case = case_get_from(queryset=visible.select_related(*CASE_PAGE_RELATED), reference=reference)
    # The service clock (countdown, place in the inbox order), cached on the case for the
    # template: one query, also when the case has none.
    clock = CaseClock.objects.select_related("calendar").filter(case_id=case.pk).first()
    Case._meta.get_field("sla_clock").set_cached_value(case, clock)
    # Tags as plain names: a prefetch builds a queryset per relation.
    case.tag_names = list(
        Case.tags.through.objects.filter(case_id=case.pk)
        .order_by("tag__name")
        .values_list("tag__name", flat=True)
    )
    contacts = list(
        Contact.objects.filter(case_id=case.pk)
        .select_related("author_user", "author_customer")
        .order_by("created_at", "id")
    )
    # The attachments of the whole conversation in one plain query, as `attachment_list` on
    # each contact (prefetch_related would build a queryset per contact).
    attachments: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(contact__case_id=case.pk).order_by("id"):
        attachments.setdefault(attachment.contact_id, []).append(attachment)
    for contact in contacts:
        contact.attachment_list = attachments.get(contact.pk, [])
    # The first rows and the total in one query (a window count over the customer's cases).
    others = list(
        visible.filter(customer_id=case.customer_id)
        .exclude(pk=case.pk)
        .select_related("owner")
        .only(*CUSTOMER_PANEL_FIELDS)
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:CUSTOMER_PANEL_CASES]
    )
    count = others[0].total if others else 0
    merge_targets = [
        c for c in others if c.merged_into_id is None and c.status != CaseStatus.CLOSED
    ]
    return CasePage(
        case=case,
        contacts=contacts,
        customer_cases=others,
        customer_case_count=count,
        merge_targets=merge_targets,
        key=inbox_key(case),
    )


def case_history(*, user: User, reference: str) -> tuple[Case, list[CaseEvent]]:
    """The case's timeline, oldest first."""
    case = case_get_for_user(user=user, reference=reference)
    events = list(
        CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")
    )
    return case, events


class Choice(NamedTuple):
    pk: int
    name: str
    slug: str = ""


# The option lists of the workspace's forms change rarely (an administrator adds a team or an
# agent), and every case page shows them: they are read at most every CHOICES_SECONDS per
# process, not on every request. A new option shows up within that delay.
CHOICES_SECONDS = 30


def _cached(key: str, build: Callable[[], list[Choice]]) -> list[Choice]:
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CHOICES_SECONDS)
    return value


def agents_for_assignment() -> list[Choice]:
    def build() -> list[Choice]:
        rows = (
            User.objects.filter(is_active=True, role__in=("agent", "supervisor", "administrator"))
            .order_by("first_name", "last_name", "email")
            .values_list("id", "first_name", "last_name", "email")
        )
        return [Choice(pk, f"{first} {last}".strip() or email) for pk, first, last, email in rows]

    return _cached("workspace:choices:agents", build)


def teams_all() -> list[Choice]:
    return _cached(
        "workspace:choices:teams",
        lambda: [Choice(*row) for row in Team.objects.order_by("name").values_list("id", "name")],
    )


def categories_all() -> list[Choice]:
    return _cached(
        "workspace:choices:categories",
        lambda: [
            Choice(*row)
            for row in Category.objects.order_by("name").values_list("id", "name", "slug")
        ],
    )


_MACROS_GENERATION = "workspace:choices:macros:generation"


def macro_choices(*, user: User) -> list[Choice]:
    """The macros this agent may insert ("Name (Team)"), kept CHOICES_SECONDS per agent like the
    other option lists; the macros page drops them when a macro is added or changed there
    (`macro_choices_forget`). Inserting one still goes through the knowledge selectors' check."""
    generation = cache.get(_MACROS_GENERATION, 0)

    def build() -> list[Choice]:
        return [
            Choice(m.pk, f"{m.name} ({m.team.name})" if m.team_id else m.name)
            for m in macro_list_for_user(user=user)
        ]

    return _cached(f"workspace:choices:macros:{generation}:{user.pk}", build)


def macro_choices_forget() -> None:
    cache.set(_MACROS_GENERATION, time.time_ns(), None)


def choices_forget() -> None:
    """Drop the cached option lists (tests; after an administrator's change if wanted)."""
    cache.delete_many(
        ["workspace:choices:agents", "workspace:choices:teams", "workspace:choices:categories"]
    )
    macro_choices_forget()


# --- Customer page -------------------------------------------------------------------------

CUSTOMER_PAGE_CASES = 50
CUSTOMER_PAGE_CONTACTS = 50


@dataclass
class CustomerPage:
    customer: Customer
    emails: list[CustomerEmail]
    cases: list[Case]
    cases_more: bool
    timeline: list[Contact]


def customer_page(*, user: User, customer: Customer) -> CustomerPage:
    """A customer's identity, addresses, cases and latest contacts — only cases this agent may
    see are listed (a customer's record is shared; their cases are not)."""
    visible = case_queryset_for_user(user=user).filter(customer=customer)
    cases = list(
        visible.select_related("owner", "team", "category").order_by("-created_at", "-id")[
            : CUSTOMER_PAGE_CASES + 1
        ]
    )
    timeline = list(
        Contact.objects.filter(case__in=visible.values("id"))
        .select_related("case", "author_user")
        .order_by("-created_at", "-id")[:CUSTOMER_PAGE_CONTACTS]
    )
    return CustomerPage(
        customer=customer,
        emails=list(customer.emails.order_by("-is_primary", "address")),
        cases=cases[:CUSTOMER_PAGE_CASES],
        cases_more=len(cases) > CUSTOMER_PAGE_CASES,
        timeline=timeline,
    )
