"""Customer-facing proximity pages, inside the portal (/portal/…, its layout and sign-in):
my advisor and "write to my advisor", booking a callback (signed in, or from a link in an
email), "talk to a person".

A customer sees only their own advisor's first name, photo and working hours (AdvisorCard) and
their own cases (guichet.cases.access); anything else is "not found"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.cases.access import case_get_for_user, case_queryset_for_user
from guichet.cases.choices import ACTIVE_STATUSES, Channel
from guichet.cases.models import Case
from guichet.channels.portal.services import portal_case_new, portal_customer_for_user
from guichet.channels.portal.views import customer_required
from guichet.core.errors import ApplicationError, NotFound
from guichet.customers.models import Customer
from guichet.proximity import selectors
from guichet.proximity.access import callback_get_for_user
from guichet.proximity.choices import CallbackSource
from guichet.proximity.forms import CallbackForm, TalkForm, WriteToAdvisorForm, slot_parse
from guichet.proximity.services.callbacks import callback_cancel, callback_request
from guichet.proximity.services.human import human_request

LINK_SALT = "guichet.proximity.callback-link"
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}


def callback_link_token(*, customer: Customer, case: Case | None = None) -> str:
    """A link for emails: "choose a time and we call you", valid GUICHET_CALLBACK_LINK_DAYS."""
    return signing.dumps({"c": customer.pk, "k": case.pk if case else None}, salt=LINK_SALT)


def callback_link_url(*, customer: Customer, case: Case | None = None) -> str:
    token = callback_link_token(customer=customer, case=case)
    return settings.GUICHET_BASE_URL + reverse("proximity_portal:callback_link", args=[token])


def _link_subject(token: str) -> tuple[Customer, Case | None]:
    try:
        data = signing.loads(
            token, salt=LINK_SALT, max_age=settings.GUICHET_CALLBACK_LINK_DAYS * 86400
        )
    except signing.BadSignature as exc:
        raise NotFound(_("This link is not valid any more.")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise NotFound(_("This link is not valid any more."))
    customer = Customer.objects.filter(pk=data["c"]).first()
    if customer is None:
        raise NotFound(_("This link is not valid any more."))
    case = None
    if isinstance(data.get("k"), int):
        case = Case.objects.filter(pk=data["k"], customer=customer).first()
    return customer, case


def _open_cases(user) -> list[Case]:
    return list(
        case_queryset_for_user(user=user)
        .filter(status__in=ACTIVE_STATUSES, merged_into__isnull=True)
        .order_by("-updated_at", "-id")[:20]
    )


def _not_found(request: HttpRequest, message: str = "") -> HttpResponse:
    context = {
        "title": _("Not found"),
        "message": message or _("We found nothing of yours at this address."),
        "status": 404,
    }
    return render(request, "portal/error.html", context, status=404)


# --- My advisor ---------------------------------------------------------------------------------


@customer_required
@require_http_methods(["GET", "POST"])
def advisor(request: HttpRequest) -> HttpResponse:
    """Who my advisor is, and a form to write to them (a new request, routed to them)."""
    customer = portal_customer_for_user(user=request.user)
    card = selectors.customer_advisor(customer)
    form = WriteToAdvisorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = portal_case_new(
                user=request.user,
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
                complaint=form.cleaned_data["is_complaint"],
                remedy_sought=form.cleaned_data["remedy_sought"],
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(
                request,
                _("Your message is sent under the reference %(reference)s.")
                % {"reference": case.reference},
            )
            return redirect("portal:request_detail", reference=case.reference)
    context = {
        "advisor": card,
        "form": form,
        "callbacks": selectors.customer_open_callbacks(customer),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "proximity/portal/advisor.html", context, status=status)


@require_GET
def advisor_photo(request: HttpRequest, agent_id: int) -> HttpResponse:
    profile = selectors.advisor_photo_visible(user=request.user, agent_id=agent_id)
    if profile is None or profile.photo_type not in PHOTO_TYPES:
        raise Http404
    try:
        handle = profile.photo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=profile.photo_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Callbacks ----------------------------------------------------------------------------------


def _callback_page(
    request: HttpRequest,
    *,
    customer: Customer,
    case: Case | None,
    cases: list[Case],
    actor,
    source: str,
    template: str,
    extra: dict[str, Any],
) -> HttpResponse:
    team = case.team if case is not None else None
    slots = selectors.callback_slots(team=team)
    initial = {"phone": customer.phone, "case": case.reference if case else ""}
    form = CallbackForm(request.POST or None, slots=slots, cases=cases, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = case
        reference = form.cleaned_data.get("case") or ""
        if reference and actor is not None:
            chosen = case_get_for_user(user=actor, reference=reference)
        try:
            callback = callback_request(
                actor=actor,
                customer=customer,
                case=chosen,
                phone=form.cleaned_data["phone"],
                slot_start=slot_parse(form.cleaned_data["slot"]),
                topic=form.cleaned_data["topic"],
                source=source,
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            return render(
                request,
                "proximity/portal/callback_booked.html",
                {"callback": callback, "advisor": selectors.advisor_card(callback.owner)},
            )
    context = {
        "form": form,
        "case": case,
        "advisor": selectors.customer_advisor(customer),
        "callbacks": selectors.customer_open_callbacks(customer),
        "no_slots": not slots,
        **extra,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, template, context, status=status)


@customer_required
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    customer = portal_customer_for_user(user=request.user)
    case = None
    if reference := request.GET.get("case"):
        try:
            case = case_get_for_user(user=request.user, reference=reference)
        except NotFound:
            return _not_found(request)
    return _callback_page(
        request,
        customer=customer,
        case=case,
        cases=_open_cases(request.user),
        actor=request.user,
        source=CallbackSource.PORTAL,
        template="proximity/portal/callback.html",
        extra={"signed_in": True},
    )


@require_http_methods(["GET", "POST"])
def callback_link(request: HttpRequest, token: str) -> HttpResponse:
    """From a link in an email: no sign-in, the link names the customer (and the request)."""
    try:
        customer, case = _link_subject(token)
    except NotFound as exc:
        return _not_found(request, exc.message)
    return _callback_page(
        request,
        customer=customer,
        case=case,
        cases=[],
        actor=None,
        source=CallbackSource.EMAIL_LINK,
        template="proximity/portal/callback.html",
        extra={"signed_in": False},
    )


@customer_required
@require_POST
def callback_cancel_view(request: HttpRequest, callback_id: int) -> HttpResponse:
    try:
        found = callback_get_for_user(user=request.user, callback_id=callback_id)
        callback_cancel(actor=request.user, callback=found)
    except NotFound:
        return _not_found(request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your callback is cancelled."))
    return redirect("proximity_portal:advisor")


# --- Talk to a person ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def talk(request: HttpRequest) -> HttpResponse:
    """On every portal page: a person, now. Signed-in customers name the request and it goes
    to someone present at once; everyone sees the numbers and how much a call costs."""
    customer = (
        portal_customer_for_user(user=request.user) if request.user.is_authenticated else None
    )
    cases = _open_cases(request.user) if customer is not None else []
    form = TalkForm(request.POST or None, cases=cases) if cases else None
    if request.method == "POST":
        if form is None:
            return redirect("proximity_portal:talk")
        if form.is_valid():
            case = case_get_for_user(user=request.user, reference=form.cleaned_data["case"])
            try:
                done = human_request(
                    actor=request.user,
                    case=case,
                    message=form.cleaned_data["message"],
                    channel=Channel.PORTAL,
                )
            except ApplicationError as exc:
                form.add_application_error(exc)
            else:
                name = selectors.advisor_card(done.routed_to).first_name if done.routed_to else ""
                if name:
                    text = _("%(name)s has your request now and will answer you in person.")
                    messages.success(request, text % {"name": name})
                else:
                    messages.success(request, _("A person has your request now."))
                return redirect("portal:request_detail", reference=case.reference)
    context = {
        "customer": customer,
        "form": form,
        "advisor": selectors.customer_advisor(customer),
        "numbers": selectors.contact_numbers_shown(),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "proximity/portal/talk.html", context, status=status)
