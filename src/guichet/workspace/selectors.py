"""Reads for the agent workspace: the inbox views, their counts, the case page, the customer page.

Every read starts from guichet.cases.access (the one permission funnel). Query counts do not grow
with the number of rows: relations are joined or prefetched, counts are capped.

The inbox order lives in one place, `inbox_order` / `inbox_after`: priority rank then age for
now. The SLA work replaces these two functions with "time left before the target" ordering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Count, Prefetch, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.accounts.models import Team, User
from guichet.cases.access import case_get_for_user, case_queryset_for_user, case_visible_q
from guichet.cases.choices import CaseStatus, Channel, Priority
from guichet.cases.models import Attachment, Case, CaseEvent, Category, Contact
from guichet.customers.models import Customer, CustomerEmail
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
    q = case_visible_q(user)
    if q is None or q.negated or q.connector != Q.OR or len(q.children) < 2:
        return [case_queryset_for_user(user=user)]
    return [Case.objects.filter(c if isinstance(c, Q) else Q(c)) for c in q.children]


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
        qs = qs.filter(team_id__in=team_ids)
    elif view == "unassigned":
        qs = qs.filter(owner__isnull=True)
    elif view == "waiting":
        qs = qs.filter(status=CaseStatus.WAITING_CUSTOMER)
    return qs


def inbox_order(qs: QuerySet[Case], *, view: str) -> QuerySet[Case]:
    """The inbox order: most urgent first. Active views: priority rank, then oldest first.
    "All cases" (an archive to search in) shows the newest first."""
    if not INBOX_VIEWS[view].active_only:
        return qs.order_by("-created_at", "-id")
    return qs.alias(rank=_rank()).order_by("rank", "created_at", "id")


def inbox_after(qs: QuerySet[Case], *, view: str, case: Case) -> QuerySet[Case]:
    """The cases that come after `case` in `inbox_order` (for "next case")."""
    if not INBOX_VIEWS[view].active_only:
        return qs.filter(
            Q(created_at__lt=case.created_at) | Q(created_at=case.created_at, id__lt=case.pk)
        )
    rank = {
        Priority.URGENT: 0,
        Priority.HIGH: 1,
        Priority.NORMAL: 2,
    }.get(case.priority, 3)
    qs = qs.alias(rank=_rank())
    return qs.filter(
        Q(rank__gt=rank)
        | Q(rank=rank, created_at__gt=case.created_at)
        | Q(rank=rank, created_at=case.created_at, id__gt=case.pk)
    )


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

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def inbox_counts(
    *, user: User, team_ids: list[int], parts: list[QuerySet[Case]] | None = None
) -> dict[str, int]:
    """Cases per view, capped at COUNT_CAP ("1000+" is all an agent needs to know): each part
    of each view walks at most COUNT_CAP index entries, whatever the size of the table. One
    statement for all the views: the ORM builds the queries, the database counts them."""
    parts = visibility_parts(user) if parts is None else parts
    keys, counts, params = [], [], []
    for key, spec in INBOX_VIEWS.items():
        if not spec.active_only:
            continue
        union = _union_ids(
            [
                inbox_view_queryset(user=user, view=key, team_ids=team_ids, visible=part)
                for part in parts
            ],
            COUNT_CAP,
        )
        sql, union_params = union or ("SELECT 1 AS id WHERE 1 = 0", [])
        keys.append(key)
        counts.append(f"(SELECT COUNT(*) FROM ({sql}) AS view_{key})")  # noqa: S608
        params.extend(union_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts), params)
        row = cursor.fetchone()
    return {key: min(value, COUNT_CAP) for key, value in zip(keys, row, strict=True)}


def inbox_rows(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("customer", "owner", "team", "category").prefetch_related("tags")


def inbox_page(
    *, user: User, view: str, filters: InboxFilters, page: int = 1, with_counts: bool = True
) -> InboxPage:
    view = view if view in INBOX_VIEWS else DEFAULT_VIEW
    page = min(max(page, 1), MAX_PAGE)
    team_ids = user_team_ids(user)
    parts = visibility_parts(user)
    start = (page - 1) * PAGE_SIZE
    wanted = start + PAGE_SIZE + 1
    if len(parts) == 1 or filters.q:
        # One part, or a search (whose matches are already capped): one plain query.
        visible = parts[0] if len(parts) == 1 else case_queryset_for_user(user=user)
        qs = inbox_view_queryset(user=user, view=view, team_ids=team_ids, visible=visible)
        qs = inbox_order(inbox_apply_filters(qs, filters), view=view)
    else:
        union = _union_ids(
            [
                inbox_order(
                    inbox_apply_filters(
                        inbox_view_queryset(user=user, view=view, team_ids=team_ids, visible=p),
                        filters,
                    ),
                    view=view,
                )
                for p in parts
            ],
            wanted,
        )
        qs = (
            Case.objects.filter(pk__in=RawSQL(*union))  # noqa: S611 (ORM-compiled SQL)
            if union
            else Case.objects.none()
        )
        qs = inbox_order(qs, view=view)
    rows = list(inbox_rows(qs)[start:wanted])
    counts = inbox_counts(user=user, team_ids=team_ids, parts=parts) if with_counts else {}
    capped = False
    if filters.q:
        parsed = search.search_parse(filters.q)
        capped = not parsed.empty and search.search_cap_reached(parsed)
    return InboxPage(
        view=view,
        cases=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        counts=counts,
        search_capped=capped,
    )


def inbox_next_case(*, user: User, view: str, case: Case) -> Case | None:
    """The case an agent works on after `case` in the same inbox view ("j", next case)."""
    view = view if view in INBOX_VIEWS else DEFAULT_VIEW
    team_ids = user_team_ids(user)
    union = _union_ids(
        [
            inbox_order(
                inbox_after(
                    inbox_view_queryset(user=user, view=view, team_ids=team_ids, visible=part),
                    view=view,
                    case=case,
                ).exclude(pk=case.pk),
                view=view,
            )
            for part in visibility_parts(user)
        ],
        1,
    )
    if union is None:
        return None
    qs = Case.objects.filter(pk__in=RawSQL(*union))  # noqa: S611 (ORM-compiled SQL)
    return inbox_order(qs, view=view).only("id", "reference").first()


# --- Case page -----------------------------------------------------------------------------


@dataclass
class CasePage:
    case: Case
    contacts: list[Contact]
    customer_cases: list[Case]
    customer_case_count: int
    merge_targets: list[Case]


CUSTOMER_PANEL_CASES = 10


def case_page(*, user: User, reference: str) -> CasePage:
    """Everything the case page shows, in a fixed number of queries. The timeline (events) is
    loaded on demand by `case_history`."""
    case = case_get_for_user(user=user, reference=reference)
    contacts = list(
        Contact.objects.filter(case=case)
        .select_related("author_user", "author_customer")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    others_qs = (
        case_queryset_for_user(user=user).filter(customer_id=case.customer_id).exclude(pk=case.pk)
    )
    # The first rows and the total in one query (a window count over the customer's cases).
    others = list(
        others_qs.select_related("owner")
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


def choices_forget() -> None:
    """Drop the cached option lists (tests; after an administrator's change if wanted)."""
    cache.delete_many(
        ["workspace:choices:agents", "workspace:choices:teams", "workspace:choices:categories"]
    )


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
