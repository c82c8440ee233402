"""Service-efficiency pages: the public counts of ratings, a party's services to rate, and the staff's and
regulators' list of overdue items and 不满意 ratings. Every write calls service.actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import Role
from accounts.permissions import can, scope_region_ids

from . import actions, queries
from .models import Grade


def ratings(request):
    """Public (网上评议 counts per center): anyone, signed in or not."""
    return render(request, "service/ratings.html", {"rows": queries.public_counts(),
                                                    "comments": queries.public_comments()})


@login_required
def mine(request):
    if not queries.may_rate(request.user):
        raise PermissionDenied
    services = queries.rateable(request.user)
    return render(request, "service/mine.html", {"services": services, "grades": Grade.choices})


@login_required
def overdue(request):
    if not can(request.user, "service.view_overdue", None):
        raise PermissionDenied
    show_closed = request.GET.get("closed") == "1"
    items = queries.overdue_items(request.user, open_only=not show_closed).order_by("-due", "-id")[:200]
    return render(request, "service/overdue.html", {
        "items": items, "show_closed": show_closed, "ratings": queries.ratings_to_answer(request.user),
        "staff_ids": scope_region_ids(request.user, Role.STAFF)})


def _post(request, fn, success, to, **kwargs):
    try:
        fn(actor=request.user, **kwargs)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect(to)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def rate(request, seq):
    return _post(request, actions.rate_service, _("Thank you: your rating is recorded."), "service:mine",
                 entry_seq=seq, grade=request.POST.get("grade", ""), comment=request.POST.get("comment", ""))


@login_required
@require_POST
def close(request, pk):
    return _post(request, actions.close_overdue, _("The overdue item is closed with its cause."), "service:overdue",
                 item_id=pk, cause=request.POST.get("cause", ""))


@login_required
@require_POST
def answer(request, pk):
    return _post(request, actions.answer_rating, _("The answer is recorded."), "service:overdue",
                 rating_id=pk, answer=request.POST.get("answer", ""))
