"""The bidder's clarification workspace (澄清): the requests the committee sent to the user's company, each
with its deadline and an answer form (text and one file), live over `ws/clarifications/`; and the
answer's attachment, permission-checked and logged. Every write calls evaluation.actions.clarify.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.permissions import can

from .actions import clarify


def _page_config():
    # "0" stands for a request's id; the script puts the real one in.
    return {
        "ws": "/ws/clarifications/",
        "now": timezone.now().isoformat(),
        "answer_url": reverse("evaluation:clarification_answer", kwargs={"pk": 0}),
        "file_url": reverse("evaluation:clarification_file", kwargs={"pk": 0}),
        "messages": {
            "connecting": _("Connecting…"), "live": _("Live"), "reconnecting": _("Connection lost, reconnecting…"),
            "left": _("Time left to answer:"), "expired": _("The deadline has passed."), "answered": _("Answered"),
            "open": _("Awaiting your answer"), "closed": _("Closed without an answer"),
            "new_request": _("A new request has arrived."),
            "reload": _("This request is no longer open; reload the page to see it."),
        },
    }


def _render(request, errors=None, status=200):
    if not can(request.user, "clarification.list"):
        raise PermissionDenied
    now = timezone.now()
    rows = []
    for c in clarify.organization_clarifications(request.user.organization_id):
        row = clarify.bidder_row(c, now)
        error = (errors or {}).get(c.pk) or {}
        row.update(deadline_local=c.deadline, answered_local=c.answered_at, error=error.get("message"),
                   draft=error.get("text", ""))
        rows.append(row)
    context = {"rows": rows, "config": _page_config(), "answer_max": clarify.ANSWER_MAX}
    return render(request, "evaluation/clarification_list.html", context, status=status)


@login_required
def clarification_list(request):
    """The requests to the user's company, newest first; open ones take an answer."""
    return _render(request)


@login_required
@require_POST
def answer(request, pk):
    try:
        clarify.answer_clarification(actor=request.user, clarification_id=pk, text=request.POST.get("text", ""),
                                     uploaded=request.FILES.get("file"))
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        errors = {pk: {"message": str(exc.message), "text": request.POST.get("text", "")}}
        return _render(request, errors=errors, status=exc.http_status)
    messages.success(request, _("Your answer is sent to the evaluation committee."))
    return redirect("evaluation:clarifications")


@login_required
def answer_file(request, pk):
    """The answer's attachment: committee, staff and regulators of the region, the bidder; every read logged."""
    try:
        clarification = clarify.read_answer_file(actor=request.user, clarification_id=pk)
    except Forbidden:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    response = FileResponse(default_storage.open(clarification.answer_file, "rb"), as_attachment=True,
                            filename=clarification.answer_file_name,
                            content_type=clarify.media_type(clarification.answer_file_name))
    response["X-Content-SHA256"] = clarification.answer_sha256
    return response
