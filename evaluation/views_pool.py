"""Pages of the expert pool and the venues. Every write calls an action in evaluation.actions.pool."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import Region, Role
from accounts.permissions import can, has_role, scope_region_ids

from . import pool_io
from .actions import pool as actions
from .forms_pool import ExpertFilterForm, ExpertForm, ImportForm, SuspendForm, VenueForm
from .models import Draw, Expert, Seat, Venue

PAGE_SIZE = 50


def _scope_ids(user):
    return scope_region_ids(user, Role.STAFF) | scope_region_ids(user, Role.REGULATOR)


def _form_error(form, exc):
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, str(exc.message))


def _filtered_experts(request):
    """(form, queryset) of the experts in the user's scope that match the filters in the query string."""
    if not can(request.user, "expert.list", None):
        raise PermissionDenied
    ids = _scope_ids(request.user)
    form = ExpertFilterForm(request.GET or None, regions=Region.objects.filter(pk__in=ids))
    qs = Expert.objects.filter(region_id__in=ids)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(name__contains=data["q"].strip())
        if data["specialty"]:
            qs = qs.filter(specialties__code=data["specialty"])
        if data["region"]:
            qs = qs.filter(region__code=data["region"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
    return form, qs.select_related("region", "employer").prefetch_related("specialties__parent").order_by("pk")


@login_required
def expert_list(request):
    form, qs = _filtered_experts(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "evaluation/pool/list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "may_manage": can(request.user, "expert.manage", None),
    })


@login_required
def expert_export(request):
    """The filtered pool as CSV (UTF-8 with BOM) or .xlsx; ID numbers as their last four characters only."""
    _form, qs = _filtered_experts(request)
    stamp = timezone.localdate().strftime("%Y%m%d")
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(pool_io.export_xlsx(qs), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="experts-{stamp}.xlsx"'
    else:
        response = HttpResponse(pool_io.export_csv(qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="experts-{stamp}.csv"'
    return response


def _access(request, pk, permission="expert.view"):
    try:
        return actions.access_expert(request.user, pk, permission=permission)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None


def history(user, expert):
    """The expert's seats a user may see, and their counts. Until a draw's secrets are revealed after
    the evaluation, who was drawn is sealed (docs/architecture.md §10): staff see a seat in this history only once the
    expert checked in or the draw is revealed; regulators read the whole record."""
    seats = Seat.objects.filter(expert=expert).select_related("draw__tender").order_by("-notified_at", "-pk")
    if not has_role(user, Role.REGULATOR, expert.region):
        seats = seats.filter(Q(checked_in_at__isnull=False) | Q(draw__status=Draw.Status.REVEALED))
    counts = seats.aggregate(
        drawn=Count("pk"), accepted=Count("pk", filter=Q(status=Seat.Status.ACCEPTED)),
        declined=Count("pk", filter=Q(status=Seat.Status.DECLINED)),
        timed_out=Count("pk", filter=Q(status=Seat.Status.TIMED_OUT)),
        conflicted=Count("pk", filter=Q(status=Seat.Status.CONFLICTED)),
        attended=Count("pk", filter=Q(checked_in_at__isnull=False)),
    )
    return list(seats[:200]), counts


@login_required
def expert_detail(request, pk):
    expert = _access(request, pk)
    seats, counts = history(request.user, expert)
    return render(request, "evaluation/pool/detail.html", {
        "expert": expert, "seats": seats, "counts": counts, "suspend_form": SuspendForm(),
        "may_manage": can(request.user, "expert.manage", expert),
        "sees_all": has_role(request.user, Role.REGULATOR, expert.region),
    })


@login_required
def expert_create(request):
    if not can(request.user, "expert.manage", None):
        raise PermissionDenied
    form = ExpertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            expert = actions.create_expert(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(name)s is in the pool.") % {"name": expert.name})
            return redirect("evaluation:expert_detail", pk=expert.pk)
    return render(request, "evaluation/pool/form.html", {"form": form})


@login_required
def expert_edit(request, pk):
    expert = _access(request, pk, "expert.manage")
    form = ExpertForm(request.POST or None, initial=ExpertForm.initial_for(expert), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_expert(actor=request.user, expert_id=expert.pk, data=form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("evaluation:expert_detail", pk=expert.pk)
    return render(request, "evaluation/pool/form.html", {"form": form, "expert": expert})


def _status_change(request, pk, action, **kwargs):
    try:
        action(actor=request.user, expert_id=pk, **kwargs)
    except Forbidden:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("evaluation:expert_detail", pk=pk)


@login_required
@require_POST
def expert_suspend(request, pk):
    form = SuspendForm(request.POST)
    if not form.is_valid():
        _access(request, pk, "expert.manage")
        messages.error(request, _("Give the date the suspension ends and its reason."))
        return redirect("evaluation:expert_detail", pk=pk)
    return _status_change(request, pk, actions.suspend_expert, until=form.cleaned_data["until"],
                          reason=form.cleaned_data["reason"])


@login_required
@require_POST
def expert_reinstate(request, pk):
    return _status_change(request, pk, actions.reinstate_expert)


@login_required
@require_POST
def expert_retire(request, pk):
    return _status_change(request, pk, actions.retire_expert)


@login_required
def expert_import(request):
    """All or nothing: the report lists every refused row and why; a file with any refused row imports
    nothing."""
    if not can(request.user, "expert.manage", None):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > pool_io.MAX_BYTES:
                raise pool_io._bad_file(_("The file is larger than 10 MB: split it."))
            data = upload.read()
            rows = pool_io.read_rows(data)
            report = actions.import_experts(actor=request.user, rows=rows, file_name=upload.name,
                                            file_sha256=actions.sha256_hex(data),
                                            dry_run=form.cleaned_data["dry_run"])
        except DomainError as exc:
            _form_error(form, exc)
    return render(request, "evaluation/pool/import.html", {
        "form": form, "report": report, "columns": [title for _k, title in pool_io.COLUMNS],
        "dry_run": form.is_bound and form.is_valid() and form.cleaned_data["dry_run"],
    })


# --- venues ------------------------------------------------------------------------------------------

def _venue_regions(user):
    return Region.objects.filter(pk__in=scope_region_ids(user, Role.STAFF))


@login_required
def venue_list(request):
    if not can(request.user, "venue.list", None):
        raise PermissionDenied
    regions = list(_venue_regions(request.user))
    may_create = any(can(request.user, "venue.manage", r) for r in regions)
    if request.method == "POST" and not may_create:
        raise PermissionDenied
    form = VenueForm(request.POST or None, regions=regions, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            actions.create_venue(actor=request.user, data=form.cleaned_data)
        except Forbidden:
            raise PermissionDenied from None
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("evaluation:venue_list")
    venues = Venue.objects.filter(region_id__in=_scope_ids(request.user)).select_related("region")
    rows = [(v, can(request.user, "venue.manage", v.region)) for v in venues]
    return render(request, "evaluation/pool/venues.html", {"rows": rows, "form": form if may_create else None})


@login_required
def venue_edit(request, pk):
    venue = Venue.objects.select_related("region__parent").filter(pk=pk).first()
    if venue is None:
        raise Http404
    if not can(request.user, "venue.manage", venue.region):
        raise PermissionDenied
    initial = {"name": venue.name, "region": venue.region.code, "address": venue.address, "seats": venue.seats,
               "active": venue.active}
    form = VenueForm(request.POST or None, regions=_venue_regions(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_venue(actor=request.user, venue_id=venue.pk, data=form.cleaned_data)
        except Forbidden:
            raise PermissionDenied from None
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("evaluation:venue_list")
    return render(request, "evaluation/pool/venue_form.html", {"form": form, "venue": venue})
