"""The customer portal's pages. Thin: forms in, services and selectors called, templates out.

Every case is reached through guichet.cases.access.case_get_for_user, so a customer gets
"not found" for anyone else's case; every write goes through a service."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from guichet.cases.access import case_get_for_user
from guichet.channels.portal import selectors, services
from guichet.channels.portal.choices import LinkState, ThrottledAction
from guichet.channels.portal.forms import (
    HONEYPOT_FIELD,
    NewCaseForm,
    PasswordSetForm,
    PasswordSignInForm,
    PortalForm,
    ReopenForm,
    ReplyForm,
    RequestForm,
    SignInLinkForm,
    attachments_from,
)
from guichet.channels.portal.throttle import (
    client_ip,
    throttle_exceeded,
    throttle_keys,
    throttle_record,
)
from guichet.core.errors import ApplicationError, NotFound
from guichet.core.errors import PermissionDenied as AppPermissionDenied
from guichet.knowledge.selectors import answers_matching

SESSION_SENT = "portal_sent"


def _complaint_noted() -> str:
    return _(
        "We have noted that this is a complaint. A person confirms it and sends you its "
        "reference; you can follow it on this page."
    )


AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"

# Files are served as downloads; these types are kept, anything else becomes a plain download.
SAFE_DOWNLOAD_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/csv",
        "text/plain",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)


def _error_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    context = {"title": title, "message": message, "status": status}
    return render(request, "portal/error.html", context, status=status)


def _not_found(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        status=404,
        title=_("Request not found"),
        message=_("We found no request of yours at this address."),
    )


def _too_many(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        status=429,
        title=_("Too many attempts"),
        message=_(
            "We received several attempts from you in a short time. Please wait an hour and "
            "try again, or talk to a person: the ways to reach us are at the top of this page."
        ),
    )


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Only a path inside the portal: a sign-in link must not send anyone elsewhere."""
    value = value or ""
    portal_root = reverse("portal:front")
    if (
        value.startswith(portal_root)
        and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()})
        and "\\" not in value
    ):
        return value
    return ""


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in customers only. Visitors are asked to sign in; staff accounts are told the
    portal is for customers (a staff member sees cases in the workspace, not here)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            url = reverse("portal:sign_in")
            return redirect(f"{url}?next={request.get_full_path()}")
        if services.portal_customer_for_user(user=user) is None:
            return _error_page(
                request,
                status=403,
                title=_("This space is for customers"),
                message=_(
                    "You are signed in with a staff account. Cases are handled in the workspace."
                ),
            )
        return view(request, *args, **kwargs)

    return wrapped


def _invalid(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context, status=422)


# --- Asking without an account ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def front(request: HttpRequest) -> HttpResponse:
    """Anyone can open a request here: name, email, message, optional topic and files."""
    customer = (
        services.portal_customer_for_user(user=request.user)
        if request.user.is_authenticated
        else None
    )
    if request.method == "GET":
        return render(request, "portal/front.html", {"form": RequestForm(), "customer": customer})

    if request.POST.get(HONEYPOT_FIELD):
        # A robot filled the hidden field: nothing is written, nothing is counted.
        return _error_page(
            request,
            status=400,
            title=_("Your request could not be sent"),
            message=_(
                "Please try again, or talk to a person: the ways to reach us are at the top of "
                "this page."
            ),
        )
    keys = throttle_keys(ip=client_ip(request), email=request.POST.get("email", ""))
    if throttle_exceeded(action=ThrottledAction.REQUEST, keys=keys):
        return _too_many(request)
    form = RequestForm(request.POST, request.FILES)
    context = {"form": form, "customer": customer}
    if not form.is_valid():
        return _invalid(request, "portal/front.html", context)
    data = form.cleaned_data
    try:
        case = services.portal_request_open(
            name=data["name"],
            email=data["email"],
            message=data["message"],
            category=data["category"],
            attachments=attachments_from(data["attachments"]),
            language=get_language() or "",
            complaint=data["is_complaint"],
            remedy_sought=data["remedy_sought"],
        )
    except ApplicationError as exc:
        form.add_application_error(exc)
        return _invalid(request, "portal/front.html", context)
    throttle_record(action=ThrottledAction.REQUEST, keys=keys)
    request.session[SESSION_SENT] = {
        "reference": case.reference,
        "email": data["email"].lower(),
        "complaint": bool(data["is_complaint"]),
    }
    return redirect("portal:sent")


def sent(request: HttpRequest) -> HttpResponse:
    """The confirmation after asking: the reference, and where the follow link went."""
    info = request.session.get(SESSION_SENT)
    if not info:
        return redirect("portal:front")
    return render(request, "portal/sent.html", {"info": info})


# --- Signing in ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Two ways in: a one-time link by email, or a password for those who set one."""
    next_path = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and services.portal_customer_for_user(user=request.user):
        return redirect(next_path or "portal:requests")  # already signed in
    link_form = SignInLinkForm()
    password_form = PasswordSignInForm()
    which = request.POST.get("way", "")
    if request.method == "POST" and which == "link":
        link_form = SignInLinkForm(request.POST)
        keys = throttle_keys(ip=client_ip(request), email=request.POST.get("link-email", ""))
        if throttle_exceeded(action=ThrottledAction.SIGN_IN_LINK, keys=keys):
            return _too_many(request)
        if link_form.is_valid():
            try:
                services.portal_sign_in_link_request(
                    email=link_form.cleaned_data["email"], next_path=next_path
                )
            except ApplicationError as exc:
                link_form.add_application_error(exc)
            else:
                throttle_record(action=ThrottledAction.SIGN_IN_LINK, keys=keys)
                return redirect("portal:link_sent")
    elif request.method == "POST" and which == "password":
        password_form = PasswordSignInForm(request.POST)
        keys = throttle_keys(ip=client_ip(request), email=request.POST.get("password-email", ""))
        if throttle_exceeded(action=ThrottledAction.PASSWORD_FAILURE, keys=keys):
            return _too_many(request)
        if password_form.is_valid():
            user = authenticate(
                request,
                username=password_form.cleaned_data["email"].lower(),
                password=password_form.cleaned_data["password"],
            )
            if user is None:
                throttle_record(action=ThrottledAction.PASSWORD_FAILURE, keys=keys)
                password_form.add_error(
                    None, _("This email address and password do not match. Try again.")
                )
            elif services.portal_customer_for_user(user=user) is None:
                password_form.add_error(
                    None, _("This is a staff account: sign in on the workspace instead.")
                )
            else:
                login(request, user, backend=AUTH_BACKEND)
                return redirect(next_path or "portal:requests")
    elif request.method == "POST":
        return _error_page(
            request, status=400, title=_("Unknown form"), message=_("Please try again.")
        )
    context = {"link_form": link_form, "password_form": password_form, "next": next_path}
    # Reaching here after a POST means the form had errors.
    return render(
        request, "portal/sign_in.html", context, status=422 if request.method == "POST" else 200
    )


def link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/link_sent.html")


def _link_unusable(request: HttpRequest, state: str) -> HttpResponse:
    status = 404 if state == LinkState.FORGED else 410
    context = {"state": state, "link_form": SignInLinkForm()}
    return render(request, "portal/link_invalid.html", context, status=status)


@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-time link. Opening it shows a button; only pressing it uses the link, so a mail
    scanner that fetches the page does not burn it."""
    if request.method == "GET":
        check = services.portal_link_check(token=token)
        if check.state != LinkState.VALID or check.link is None:
            return _link_unusable(request, check.state)
        return render(request, "portal/link_confirm.html", {"link": check.link, "token": token})
    try:
        user, used = services.portal_link_use(token=token)
    except AppPermissionDenied as exc:
        return _error_page(
            request, status=403, title=_("This link cannot sign you in"), message=exc.message
        )
    except ApplicationError as exc:
        return _link_unusable(request, exc.code.removeprefix("link_"))
    login(request, user, backend=AUTH_BACKEND)
    if used.case_id is not None:
        return redirect("portal:request_detail", reference=used.case.reference)
    return redirect(_safe_next(request, used.next_path) or "portal:requests")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("portal:front")


# --- My requests ----------------------------------------------------------------------------


@customer_required
def requests_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.portal_case_list(user=request.user), 20).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "case": case,
            "status": selectors.status_words(case.status),
            "handler": selectors.agent_first_name(case.owner) if case.owner_id else "",
        }
        for case in page.object_list
    ]
    return render(request, "portal/requests.html", {"page": page, "rows": rows})


def _detail_context(request: HttpRequest, reference: str, **forms: PortalForm) -> dict[str, Any]:
    case, entries = selectors.portal_case_detail(user=request.user, reference=reference)
    can_reply = services.portal_can_reply(case)
    can_reopen = services.portal_can_reopen(case)
    return {
        "case": case,
        "entries": entries,
        "status": selectors.status_words(case.status),
        "status_explained": selectors.STATUS_EXPLAINED.get(case.status, ""),
        "handler": selectors.agent_first_name(case.owner) if case.owner_id else "",
        "can_reply": can_reply,
        "can_reopen": can_reopen,
        "reopen_deadline": services.portal_reopen_deadline(case),
        "reply_form": forms.get("reply_form") or (ReplyForm() if can_reply else None),
        "reopen_form": forms.get("reopen_form") or (ReopenForm() if can_reopen else None),
    }


@customer_required
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        context = _detail_context(request, reference)
    except NotFound:
        return _not_found(request)
    return render(request, "portal/request_detail.html", context)


@customer_required
@require_POST
def request_reply(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        case = case_get_for_user(user=request.user, reference=reference)
    except NotFound:
        return _not_found(request)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.portal_reply(
                user=request.user,
                case=case,
                message=form.cleaned_data["message"],
                attachments=attachments_from(form.cleaned_data["attachments"]),
                complaint=form.cleaned_data["is_complaint"],
                remedy_sought=form.cleaned_data["remedy_sought"],
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(request, _("Your message is sent."))
            if form.cleaned_data["is_complaint"]:
                messages.info(request, _complaint_noted())
            return redirect(reverse("portal:request_detail", args=[case.reference]) + "#latest")
    context = _detail_context(request, case.reference, reply_form=form)
    return _invalid(request, "portal/request_detail.html", context)


@customer_required
@require_POST
def request_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        case = case_get_for_user(user=request.user, reference=reference)
    except NotFound:
        return _not_found(request)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.portal_case_reopen(
                user=request.user, case=case, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            if exc.code == "reopen_too_late":
                messages.error(request, exc.message)
                return redirect("portal:request_detail", reference=case.reference)
            form.add_application_error(exc)
        else:
            messages.success(request, _("Your request is reopened. We will come back to you."))
            return redirect(reverse("portal:request_detail", args=[case.reference]) + "#latest")
    context = _detail_context(request, case.reference, reopen_form=form)
    context["reopen_form"] = form
    return _invalid(request, "portal/request_detail.html", context)


@customer_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """Always available: a new request, possibly following up a finished one."""
    follows = None
    if about := request.GET.get("follows") or request.POST.get("follows"):
        try:
            follows = case_get_for_user(user=request.user, reference=about)
        except NotFound:
            follows = None
    if request.method == "GET":
        initial = {}
        if follows is not None:
            initial["subject"] = _("Follow-up: %(subject)s") % {"subject": follows.subject}
            initial["category"] = follows.category_id
        form = NewCaseForm(initial=initial)
        return render(request, "portal/request_new.html", {"form": form, "follows": follows})
    form = NewCaseForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = services.portal_case_new(
                user=request.user,
                subject=data["subject"],
                message=data["message"],
                category=data["category"],
                attachments=attachments_from(data["attachments"]),
                follows=follows,
                complaint=data["is_complaint"],
                remedy_sought=data["remedy_sought"],
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(
                request,
                _("Your request is registered under the reference %(reference)s.")
                % {"reference": case.reference},
            )
            if data["is_complaint"]:
                messages.info(request, _complaint_noted())
            return redirect("portal:request_detail", reference=case.reference)
    return _invalid(request, "portal/request_new.html", {"form": form, "follows": follows})


@customer_required
def attachment_download(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    """Always a download (Content-Disposition: attachment), never shown on our origin."""
    try:
        attachment = selectors.portal_attachment_get(
            user=request.user, reference=reference, attachment_id=attachment_id
        )
    except NotFound:
        return _not_found(request)
    content_type = attachment.content_type.split(";")[0].strip().lower()
    if content_type not in SAFE_DOWNLOAD_TYPES:
        content_type = "application/octet-stream"
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        return _not_found(request)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Account --------------------------------------------------------------------------------


@customer_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Set a password, for customers who prefer one to the emailed link."""
    user = request.user
    if request.method == "GET":
        return render(request, "portal/account.html", {"form": PasswordSetForm(user=user)})
    form = PasswordSetForm(request.POST, user=user)
    if form.is_valid():
        try:
            services.portal_password_set(user=user, password=form.cleaned_data["new_password1"])
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password is set. You can now sign in with it."))
            return HttpResponseRedirect(reverse("portal:account"))
    return _invalid(request, "portal/account.html", {"form": form})


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switch: Django's set_language (cookie, back to the page), and for a signed-in
    customer their Customer.language too, which the emails follow."""
    choice = request.POST.get("language", "")
    # An unknown language: set_language ignores it too, and goes back to the page.
    with contextlib.suppress(ApplicationError):
        services.portal_language_set(user=request.user, language=choice)
    return set_language(request)


@require_GET
def answers(request: HttpRequest) -> HttpResponse:
    """Published knowledge answers matching what the customer types as a subject (htmx, beside
    the new-request form, which stays the way to ask)."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    found = answers_matching(text=request.GET.get("subject", "")[:300], language=language)
    return render(request, "portal/includes/answers.html", {"answers": found})
