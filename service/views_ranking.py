"""The quarterly ranking of the trading centers: a page for staff and regulators of every center (the
ranking is city-wide) and the signed PDF produced by the city's staff (service.ranking_actions)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import Role
from accounts.permissions import city_region, has_role
from records.models import Record

from . import ranking, ranking_actions


def _viewer(request):
    if not ranking.may_view(request.user):
        raise PermissionDenied


def _quarter(year, q):
    if not 1 <= q <= 4 or (year, q) not in ranking.quarters():
        raise Http404
    return year, q


@login_required
def index(request):
    _viewer(request)
    current = ranking.quarter_of(timezone.now())
    return render(request, "service/ranking_index.html", {"quarters": ranking.quarters(), "current": current})


def _records(year, q):
    title = f"{ranking_actions.record_title(year, q)}"
    return Record.objects.filter(kind=ranking_actions.KIND, title=title).order_by("-created_at")[:5]


@login_required
def detail(request, year, q):
    _viewer(request)
    year, q = _quarter(year, q)
    result = ranking.compute(year, q)
    may_produce = has_role(request.user, Role.STAFF, city_region()) and not result.provisional
    return render(request, "service/ranking_detail.html", {
        "r": result, "stages": ranking.STAGES, "may_produce": may_produce, "records": _records(year, q)})


@login_required
@require_POST
def pdf(request, year, q):
    _viewer(request)
    year, q = _quarter(year, q)
    try:
        record = ranking_actions.produce_ranking_pdf(actor=request.user, year=year, quarter=q)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The signed ranking is on record: %(title)s") % {"title": record.title})
    return redirect("ranking:detail", year=year, q=q)
