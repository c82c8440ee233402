"""Green-channel pages (issue 12): the tenderer's request, the center's decision, the officer's board,
the city-wide overview and the monthly summary. Every write calls trading.actions.green."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import Role, User
from accounts.permissions import can, scope_region_ids

from .actions import green as actions
from .green import milestones as ms
from .green.queue import officer_requests
from .models import Project
from .models_green import GreenChannelRequest, GreenNote, Milestone


def _access(request, pk, permission):
    try:
        return actions.access_request(request.user, pk, permission=permission)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None


def _staff_choices(project):
    """Staff of the centers covering the project: the county's and the city's."""
    regions, node = [], project.region
    while node is not None:
        regions.append(node.pk)
        node = node.parent
    return (User.objects.filter(is_active=True, roles__role=Role.STAFF, roles__region_id__in=regions)
            .distinct().order_by("username"))


def _boards(requests, now=None):
    """[(request, [(tender, [MilestoneState])], notes, events)] with one log query for all milestones."""
    requests = list(requests)
    rows = Milestone.objects.filter(request__in=requests).select_related("tender").order_by("tender_id", "position")
    states = ms.states(rows, now=now)
    out = []
    for request in requests:
        tenders = {}
        for st in states:
            if st.milestone.request_id == request.pk:
                tenders.setdefault(st.milestone.tender, []).append(st)
        out.append({"request": request, "tenders": list(tenders.items()),
                    "overdue": sum(st.state == ms.OVERDUE for st in states if st.milestone.request_id == request.pk)})
    return out, states


@login_required
def board(request):
    """The officer's board: their projects, each milestone's state, notes, contacts and stage events."""
    if not can(request.user, "green.board", None):
        raise PermissionDenied
    mine = list(officer_requests(request.user))
    boards, states = _boards(mine)
    notes = GreenNote.objects.filter(request__in=mine).select_related("author", "request__project")[:30]
    events = ms.stage_events({st.milestone.tender.code for st in states})
    return render(request, "trading/green_board.html", {"boards": boards, "notes": notes, "events": events,
                                                         "note_kinds": GreenNote.Kind.choices,
                                                         "channels": GreenNote.Channel.choices})


@login_required
def overview(request):
    """Every green-channel project in the user's scope (the city's staff and regulators: the whole city)."""
    if not can(request.user, "green.overview", None):
        raise PermissionDenied
    ids = scope_region_ids(request.user, Role.STAFF) | scope_region_ids(request.user, Role.REGULATOR)
    scoped = GreenChannelRequest.objects.filter(project__region_id__in=ids).select_related(
        "project__region", "project__owner", "officer", "deputy")
    boards, _states = _boards(scoped.filter(status=GreenChannelRequest.Status.APPROVED).order_by("decided_at"))
    pending = scoped.filter(status=GreenChannelRequest.Status.REQUESTED).order_by("requested_at")
    today = timezone.localdate()
    return render(request, "trading/green_overview.html", {
        "boards": boards, "pending": pending, "may_summarize": can(request.user, "green.summary", None),
        "this_month": f"{today:%Y-%m}"})


@login_required
def request_form(request, pk):
    project = get_object_or_404(Project.objects.select_related("region__parent"), pk=pk)
    if not can(request.user, "green.request", project):
        raise PermissionDenied
    errors, data = {}, request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            amount = Decimal(request.POST.get("investment_yuan", "").strip().replace(",", ""))
            fen = int(amount * 100) if amount == amount.quantize(Decimal("0.01")) else None
        except (InvalidOperation, ValueError):
            fen = None
        if fen is None:
            errors["investment_yuan"] = _("Give the investment amount in yuan.")
        else:
            try:
                green = actions.request_green_channel(
                    actor=request.user, project_id=project.pk, reason=request.POST.get("reason", ""),
                    investment_fen=fen, evidence=request.FILES.get("evidence"),
                    explanation=request.POST.get("explanation", ""))
            except DomainError as exc:
                errors[exc.extra.get("field") or "form"] = str(exc.message)
            else:
                messages.success(request, _("The green channel request is sent to the trading center."))
                return redirect("trading:green_detail", pk=green.pk)
    return render(request, "trading/green_request.html", {
        "project": project, "reasons": GreenChannelRequest.Reason.choices, "errors": errors, "data": data,
        "existing": project.green_requests.order_by("-requested_at").first()}, status=400 if errors else 200)


@login_required
def detail(request, pk):
    green = _access(request, pk, "green.view")
    context = {"green": green, "may_decide": can(request.user, "green.decide", green),
               "may_note": can(request.user, "green.note", green)}
    if can(request.user, "green.view_plan", green):
        boards, states = _boards([green])
        context.update(board=boards[0], notes=green.notes.select_related("author"),
                       events=ms.stage_events({st.milestone.tender.code for st in states}))
    if context["may_decide"]:
        context["staff"] = _staff_choices(green.project)
    context.update(note_kinds=GreenNote.Kind.choices, channels=GreenNote.Channel.choices)
    return render(request, "trading/green_detail.html", context)


@login_required
def evidence(request, pk):
    green = _access(request, pk, "green.view")
    return FileResponse(green.evidence.open("rb"), as_attachment=True, filename=green.evidence_name)


def _post(request, pk, fn, success, **kwargs):
    try:
        fn(actor=request.user, request_id=pk, **kwargs)
    except (Forbidden, NotFound):
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect("trading:green_detail", pk=pk)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def decide(request, pk):
    approve = request.POST.get("decision") == "approve"
    return _post(request, pk, actions.decide_green_channel,
                 _("Approved: the milestone plan is made.") if approve else _("Refused."),
                 approve=approve, reason=request.POST.get("reason", ""),
                 officer_id=_int(request.POST.get("officer")), deputy_id=_int(request.POST.get("deputy")))


@login_required
@require_POST
def assign(request, pk):
    return _post(request, pk, actions.assign_officers, _("The officers are assigned."),
                 officer_id=_int(request.POST.get("officer")), deputy_id=_int(request.POST.get("deputy")))


@login_required
@require_POST
def note(request, pk):
    return _post(request, pk, actions.add_note, _("Saved."), kind=request.POST.get("kind", ""),
                 text=request.POST.get("text", ""), channel=request.POST.get("channel", ""),
                 contact_person=request.POST.get("contact_person", ""))


@login_required
@require_POST
def summary(request):
    if not can(request.user, "green.summary", None):
        raise PermissionDenied
    year, _sep, month = request.POST.get("month", "").partition("-")
    try:
        record = actions.produce_monthly_summary(actor=request.user, year=_int(year), month=_int(month))
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("trading:green_overview")
    return redirect("records:download", pk=record.pk)
