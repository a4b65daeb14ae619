"""The agent workspace: small views that read through selectors and write through services.

Permissions: every view is wrapped by `agent_view` (anonymous → login, customers → portal or
403) and reaches cases only through guichet.cases.access, so an agent outside a case's team gets
a 404 from every URL of that case, GET or POST.

Forms work without JavaScript (POST, then redirect); htmx swaps the case page's main region in
place (the templates set hx-select/hx-target), and the server's answer is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.accounts.models import Team, User
from guichet.cases import flows, services
from guichet.cases.access import case_get_for_user
from guichet.cases.choices import CaseStatus, Channel, ContactKind, Priority
from guichet.cases.models import Case, Category
from guichet.core.errors import ApplicationError, NotFound, PermissionDenied
from guichet.customers.selectors import customer_get_for_user
from guichet.knowledge import services as knowledge_services
from guichet.knowledge.placeholders import PLACEHOLDERS
from guichet.knowledge.selectors import macro_get_for_user, macro_list_for_user, macro_render
from guichet.workspace import selectors

PORTAL_PATH = "/portal/"


def _portal_exists() -> bool:
    try:
        resolve(PORTAL_PATH)
    except Resolver404:
        return False
    return True


def agent_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only agents (agents, supervisors, administrators) reach the workspace."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_agent:
            # A customer signing in lands on "/": send them to their own pages.
            if request.method == "GET" and request.path == "/" and _portal_exists():
                return HttpResponseRedirect(PORTAL_PATH)
            raise DjangoPermissionDenied
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Inbox ---------------------------------------------------------------------------------


def _inbox_context(request: HttpRequest, *, with_counts: bool = True) -> dict[str, Any]:
    view = request.GET.get("view") or selectors.DEFAULT_VIEW
    if view not in selectors.INBOX_VIEWS:
        view = selectors.DEFAULT_VIEW
    filters, errors = selectors.inbox_filters_parse(request.GET)
    try:
        page_number = int(request.GET.get("page") or 1)
    except ValueError:
        page_number = 1
    after = selectors.inbox_cursor_parse(request.GET.get("after", ""))
    page = selectors.inbox_page(
        user=request.user,
        view=view,
        filters=filters,
        page=page_number,
        after=after,
        with_counts=with_counts,
    )
    params = {
        k: v
        for k, v in (
            ("q", filters.q),
            ("status", filters.status),
            ("priority", filters.priority),
            ("category", filters.category),
            ("channel", filters.channel),
            ("tag", filters.tag),
            ("customer", filters.customer),
        )
        if v
    }
    query = urlencode(params)
    return {
        "inbox": page,
        "filters": filters,
        "filter_errors": errors,
        "view": view,
        "views": [
            (spec, page.counts.get(key), key == view) for key, spec in selectors.INBOX_VIEWS.items()
        ],
        "count_cap": selectors.COUNT_CAP,
        # How often the open inbox asks for new cases (seconds); tests make it short.
        "poll_seconds": getattr(settings, "GUICHET_INBOX_POLL_SECONDS", 15),
        "filter_query": query,
        "page_query": urlencode({"view": view, **params}),
        # The page reached by "next page" (keyset): polling refreshes that same page.
        "after": request.GET.get("after", "") if after is not None else "",
        # The filters' options as (value, label) strings (`value_options` keeps their markup).
        "statuses": [(value, str(label)) for value, label in CaseStatus.choices],
        "priorities": [(value, str(label)) for value, label in Priority.choices],
        "channels": [(value, str(label)) for value, label in Channel.choices],
        "categories": [(c.slug, c.name) for c in selectors.categories_all()],
    }


@agent_view
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = _inbox_context(request)
    status = 200 if not context["filter_errors"] else 400
    return render(request, "workspace/inbox.html", context, status=status)


@agent_view
@require_GET
def inbox_results(request: HttpRequest) -> HttpResponse:
    """The list and the view counts, for htmx polling (new cases appear without reloading)."""
    return render(request, "workspace/partials/inbox_poll.html", _inbox_context(request))


# --- Case page -----------------------------------------------------------------------------


def _case_url(case: Case, view: str | None = None, at: str = "") -> str:
    url = reverse("workspace:case", args=[case.reference])
    params = {k: v for k, v in (("view", view), ("at", at)) if v}
    return f"{url}?{urlencode(params)}" if params else url


def _view_param(request: HttpRequest) -> str:
    view = request.GET.get("view") or request.POST.get("view") or ""
    return view if view in selectors.INBOX_VIEWS else ""


def _at_param(request: HttpRequest) -> str:
    """Where the case stood in the inbox when the agent opened it (see `inbox_next_case`)."""
    value = request.GET.get("at") or request.POST.get("at") or ""
    return value if selectors.inbox_cursor_parse(value) is not None else ""


_CASE_ACTIONS = ("reply", "status", "details", "assign", "merge", "next", "history")


def _case_urls(reference: str, others: list[Case]) -> dict[str, str]:
    """The case's own URLs, and `url` on each of the customer's other cases listed beside it."""
    urls = {"case": reverse("workspace:case", args=[reference])}
    urls.update(
        (name, reverse(f"workspace:case_{name}", args=[reference])) for name in _CASE_ACTIONS
    )
    other_url = reverse("workspace:case", args=["REF"]).replace("REF", "{}")
    for other in others:
        other.url = other_url.format(quote(other.reference))
    return urls


def _keep_fields(view: str, at: str) -> SafeString:
    """The hidden fields every form of the case page carries: the inbox view and where the case
    stood in it, so "next case" goes on from there after the redirect."""
    fields = [("view", view), ("at", at)]
    return format_html_join(
        "", '<input type="hidden" name="{}" value="{}">', ((k, v) for k, v in fields if v)
    )


def _case_context(
    request: HttpRequest, reference: str, *, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    page = selectors.case_page(user=request.user, reference=reference)
    case = page.case
    macros = selectors.macro_choices(user=request.user)
    composer: dict[str, Any] = {"kind": ContactKind.REPLY, "body": "", "then": ""}
    if request.method == "POST" and request.POST.get("form") == "reply":
        composer = {
            "kind": request.POST.get("kind") or ContactKind.REPLY,
            "body": request.POST.get("body", ""),
            "then": request.POST.get("then", ""),
        }
    elif (macro_id := request.GET.get("macro", "")).isdigit():
        # Without JavaScript, "Insert" reloads the page with the macro's text in the composer.
        try:
            macro = macro_get_for_user(user=request.user, macro_id=int(macro_id))
        except NotFound:
            macro = None
        if macro is not None:
            composer["body"] = macro_render(macro=macro, case=case, agent=request.user)
    transitions = sorted(flows.TRANSITIONS.get(case.status, ()), key=CaseStatus.values.index)
    view = _view_param(request)
    at = _at_param(request) or selectors.inbox_cursor(page.key)
    return {
        "page": page,
        "case": case,
        "view": view,
        "at": at,
        # Built once here rather than by a dozen {% url %} tags and hidden-field blocks: the
        # case page's forms all post to the case's own URLs and carry the same two fields.
        "urls": _case_urls(case.reference, page.customer_cases),
        "keep": _keep_fields(view, at),
        "errors": errors or {},
        "posted": request.POST if request.method == "POST" else {},
        "composer": composer,
        "macros": macros,
        "placeholders": [(name, str(label)) for name, (label, _fn) in PLACEHOLDERS.items()],
        "status_choices": [(s, str(CaseStatus(s).label)) for s in transitions],
        "can_resolve": CaseStatus.RESOLVED in transitions,
        "can_wait": CaseStatus.WAITING_CUSTOMER in transitions,
        "priorities": [(value, str(label)) for value, label in Priority.choices],
        "categories": selectors.categories_all(),
        "teams": selectors.teams_all(),
        "agents": selectors.agents_for_assignment(),
        "tags_text": ", ".join(case.tag_names),
        "is_merged": case.merged_into_id is not None,
    }


@agent_view
@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return render(request, "workspace/case.html", _case_context(request, reference))


def _case_action(
    request: HttpRequest,
    reference: str,
    form: str,
    action: Callable[[Case], str | HttpResponse],
) -> HttpResponse:
    """Run one change on a case: success → redirect with a message; a broken rule → the page
    again, with the error next to the form that caused it (422)."""
    case = case_get_for_user(user=request.user, reference=reference)
    try:
        with transaction.atomic():
            outcome = action(case)
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        context = _case_context(request, reference, errors={form: exc.message})
        return render(request, "workspace/case.html", context, status=422)
    if isinstance(outcome, HttpResponse):
        return outcome
    messages.success(request, outcome)
    return HttpResponseRedirect(
        _case_url(case, _view_param(request), _at_param(request)), status=303
    )


@agent_view
@require_POST
def case_reply(request: HttpRequest, reference: str) -> HttpResponse:
    """A public reply or an internal note, optionally followed by a status change."""

    def action(case: Case) -> str:
        kind = request.POST.get("kind") or ContactKind.REPLY
        if kind not in (ContactKind.REPLY, ContactKind.NOTE):
            raise ApplicationError(_("Choose a reply or a note."), code="invalid_kind")
        services.contact_add(
            actor=request.user, case=case, kind=kind, body_text=request.POST.get("body", "")
        )
        then = request.POST.get("then") or ""
        if then:
            case.refresh_from_db(fields=["status"])
            if then != case.status:
                services.case_change_status(actor=request.user, case=case, status=then)
        return _("Reply sent.") if kind == ContactKind.REPLY else _("Note added.")

    return _case_action(request, reference, "reply", action)


@agent_view
@require_POST
def case_status(request: HttpRequest, reference: str) -> HttpResponse:
    def action(case: Case) -> str:
        status = request.POST.get("status", "")
        services.case_change_status(
            actor=request.user, case=case, status=status, reason=request.POST.get("reason", "")
        )
        label = CaseStatus(status).label if status in CaseStatus.values else status
        return _("Status changed to %(status)s.") % {"status": label}

    return _case_action(request, reference, "status", action)


def _category_from_post(value: str) -> Category | None:
    if not value:
        return None
    category = Category.objects.filter(pk=value).first() if value.isdigit() else None
    if category is None:
        raise ApplicationError(_("Unknown category."), code="unknown_category")
    return category


@agent_view
@require_POST
def case_details(request: HttpRequest, reference: str) -> HttpResponse:
    """Priority, category and tags, changed in place."""

    def action(case: Case) -> str:
        tags = [t for t in request.POST.get("tags", "").split(",") if t.strip()]
        services.case_update(
            actor=request.user,
            case=case,
            priority=request.POST.get("priority") or None,
            category=_category_from_post(request.POST.get("category", "")),
            tags=tags,
        )
        return _("Details saved.")

    return _case_action(request, reference, "details", action)


@agent_view
@require_POST
def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    """Assign to a colleague or a team (a transfer needs a reason), or take it yourself."""

    def action(case: Case) -> str:
        if request.POST.get("take"):
            services.case_assign(actor=request.user, case=case, owner=request.user)
            return _("The case is yours.")
        owner_value = request.POST.get("owner", "")
        team_value = request.POST.get("team", "")
        owner = None
        if owner_value:
            owner = (
                User.objects.filter(pk=owner_value, is_active=True).first()
                if owner_value.isdigit()
                else None
            )
            if owner is None or not owner.is_agent:
                raise ApplicationError(_("Unknown agent."), code="unknown_agent")
        team = None
        if team_value:
            team = Team.objects.filter(pk=team_value).first() if team_value.isdigit() else None
            if team is None:
                raise ApplicationError(_("Unknown team."), code="unknown_team")
        services.case_assign(
            actor=request.user,
            case=case,
            owner=owner,
            team=team,
            reason=request.POST.get("reason", ""),
        )
        return _("Assignment saved.")

    return _case_action(request, reference, "assign", action)


@agent_view
@require_POST
def case_merge(request: HttpRequest, reference: str) -> HttpResponse:
    """Fold this duplicate into another case of the same customer, then show that case."""

    def action(case: Case) -> HttpResponse:
        target_ref = (request.POST.get("target") or "").strip()
        if not target_ref:
            raise ApplicationError(_("Choose the case to merge into."), code="merge_target")
        try:
            target = case_get_for_user(user=request.user, reference=target_ref)
        except NotFound as exc:
            raise ApplicationError(_("No case with this reference."), code="merge_target") from exc
        kept = services.case_merge(actor=request.user, source=case, target=target)
        messages.success(
            request,
            _("%(source)s was merged into this case.") % {"source": case.reference},
        )
        return HttpResponseRedirect(_case_url(kept, _view_param(request)), status=303)

    return _case_action(request, reference, "merge", action)


@agent_view
@require_GET
def case_history(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's timeline: a fragment for the case page (htmx), or a page of its own."""
    case, events = selectors.case_history(user=request.user, reference=reference)
    template = (
        "workspace/partials/case_history.html"
        if _is_htmx(request)
        else ("workspace/case_history.html")
    )
    return render(request, template, {"case": case, "events": events})


@agent_view
@require_GET
def case_macro(request: HttpRequest, reference: str, macro_id: int) -> HttpResponse:
    """A macro's text filled for this case, as plain text for the composer."""
    case = case_get_for_user(user=request.user, reference=reference)
    macro = macro_get_for_user(user=request.user, macro_id=macro_id)
    body = macro_render(macro=macro, case=case, agent=request.user)
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@agent_view
@require_GET
def case_next(request: HttpRequest, reference: str) -> HttpResponse:
    """The next case of the same inbox view ("j"); back to the inbox after the last one."""
    case = case_get_for_user(user=request.user, reference=reference)
    view = _view_param(request) or selectors.DEFAULT_VIEW
    key = selectors.inbox_cursor_parse(request.GET.get("at", ""))
    following = selectors.inbox_next_case(user=request.user, view=view, case=case, key=key)
    if following is None:
        messages.info(request, _("No more cases in this view."))
        return HttpResponseRedirect(f"{reverse('workspace:inbox')}?{urlencode({'view': view})}")
    return HttpResponseRedirect(_case_url(following, view))


# --- Macros --------------------------------------------------------------------------------


def _macro_teams(user: User) -> list[Team]:
    """Teams whose macros this user manages (supervisors: all)."""
    qs = Team.objects.order_by("name")
    return list(qs if user.sees_all_teams else qs.filter(members=user))


@agent_view
def macros(request: HttpRequest) -> HttpResponse:
    """Saved replies: the ones this agent may use, a form to add one for a team, and each one's
    name and text editable in place. Who may change a macro is decided by the knowledge
    services (its team's agents, supervisors; shared macros: supervisors only): refused → 403."""
    errors: dict[str, str] = {}
    editing = 0
    if request.method == "POST":
        team_value = request.POST.get("team", "")
        team = None
        if team_value:
            team = Team.objects.filter(pk=team_value).first() if team_value.isdigit() else None
        try:
            if request.POST.get("macro"):
                macro = macro_get_for_user(
                    user=request.user,
                    macro_id=int(request.POST["macro"]) if request.POST["macro"].isdigit() else 0,
                    include_inactive=True,
                )
                if request.POST.get("action") == "edit":
                    editing = macro.pk
                    knowledge_services.macro_update(
                        actor=request.user,
                        macro=macro,
                        name=request.POST.get("name", ""),
                        body=request.POST.get("body", ""),
                    )
                else:
                    knowledge_services.macro_update(
                        actor=request.user,
                        macro=macro,
                        is_active=request.POST.get("active") == "1",
                    )
                selectors.macro_choices_forget()
                messages.success(request, _("Macro updated."))
            else:
                if team_value and team is None:
                    raise ApplicationError(_("Unknown team."), code="unknown_team")
                knowledge_services.macro_create(
                    actor=request.user,
                    team=team,
                    name=request.POST.get("name", ""),
                    body=request.POST.get("body", ""),
                )
                selectors.macro_choices_forget()
                messages.success(request, _("Macro saved."))
            return HttpResponseRedirect(reverse("workspace:macros"), status=303)
        except NotFound:
            raise
        except PermissionDenied:
            if request.POST.get("macro"):
                raise  # an existing macro this agent may not change: 403 (agent_view)
            errors["macro"] = _("You can only manage the macros of your teams.")
        except ApplicationError as exc:
            errors[f"macro-{editing}" if editing else "macro"] = exc.message
    context = {
        "macros": list(macro_list_for_user(user=request.user, include_inactive=True)),
        "teams": _macro_teams(request.user),
        "placeholders": [(name, label) for name, (label, _fn) in PLACEHOLDERS.items()],
        "errors": errors,
        "editing": editing,
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "workspace/macros.html", context, status=422 if errors else 200)


# --- Customer page -------------------------------------------------------------------------


@agent_view
@require_GET
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    page = selectors.customer_page(user=request.user, customer=customer)
    return render(request, "workspace/customer.html", {"page": page, "customer": customer})
