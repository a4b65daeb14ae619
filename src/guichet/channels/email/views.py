"""The agent's view of a case's emails: an email's body with its remote images (on request)
and its inline images, served from our own origin behind the case access check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from guichet.channels.email import selectors
from guichet.core.errors import NotFound


@login_required
@require_GET
def contact_body(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One email's body (an htmx fragment); `?images=1` loads its remote images."""
    try:
        contact = selectors.contact_for_user(user=request.user, contact_id=contact_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    inbound = getattr(contact, "inbound_email", None)
    email = selectors.contact_email_view(
        contact=contact, inbound=inbound, show_images=request.GET.get("images") == "1"
    )
    return render(request, "email_channel/partials/contact_body.html", {"email": email})


@login_required
@require_GET
def inline_image(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """An inline (`cid:`) image of an email, for an <img> on the case page. Only raster images;
    sent as an attachment with nosniff and a sandbox, so it can never run as a page here."""
    try:
        attachment = selectors.inline_image_for_user(user=request.user, attachment_id=attachment_id)
        handle = attachment.file.open("rb")
    except (NotFound, FileNotFoundError) as exc:
        raise Http404(str(exc)) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type.split(";")[0].strip().lower(),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
