"""The customer's answer on its complaint, posted from the portal's request page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.core.errors import ApplicationError, NotFound
from guichet.quality import services
from guichet.quality.access import (
    complaint_get_for_user,
)


@require_POST
@login_required
def customer_answer(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's answer from the portal: accept or refuse the response, or contest a closed
    complaint. Only the complaint's own customer; back to the portal's request page."""
    user = request.user
    if not user.is_customer:
        raise Http404
    try:
        complaint = complaint_get_for_user(user=user, reference=reference)
        decision = request.POST.get("decision", "")
        comment = request.POST.get("comment", "")
        if decision == "contest":
            services.complaint_reopen(actor=user, complaint=complaint, reason=comment)
        else:
            services.complaint_decide(
                actor=user, complaint=complaint, decision=decision, comment=comment
            )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you, your answer is recorded."))
    try:
        target = reverse("portal:request_detail", args=[complaint.case.reference])
    except NoReverseMatch:  # no portal installed
        target = reverse("home")
    return redirect(target + "#complaint")
