"""Pages of the candidates' publicity, objections, complaints, the award and re-tendering (docs/award.md).
One page per tender (award:page) shows what the user may see and the forms they may use; every POST
calls one action of trading.actions.award / disputes / retender and comes back with a message."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import Role
from accounts.permissions import scope_region_ids

from .actions import award as award_actions
from .actions import disputes, retender
from .actions.tenders import access_tender
from .award.panel import panel
from .calendar import LOCAL
from .models import CandidateObjection, Complaint


def panel_context(request, tender):
    """The context the tender detail page passes to templates/trading/award/_panel.html."""
    return {"award_panel": panel(request.user, tender)}


@login_required
@require_GET
def page(request, pk):
    try:
        tender = access_tender(request.user, pk, permission="award.view")
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    return render(request, "trading/award/page.html", {"p": panel(request.user, tender), "tender": tender})


@login_required
@require_GET
def complaints(request):
    """The complaints of the tenders in the user's scope (regulators and staff), open ones first, each
    with its decision due date (实施条例 art. 61: 30 working days)."""
    regions = scope_region_ids(request.user, Role.REGULATOR) | scope_region_ids(request.user, Role.STAFF)
    if not regions:
        raise PermissionDenied
    rows = (Complaint.objects.filter(tender__region_id__in=regions)
            .select_related("tender", "organization").order_by(F("decided_at").desc(nulls_first=True), "due")[:200])
    return render(request, "trading/award/complaints.html", {"complaints": rows, "now": timezone.now()})


def _run(request, back, fn, success, **kwargs):
    """Call `fn` as the user; a refusal comes back as a message on the award page of tender `back`."""
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
    return redirect("award:page", pk=back)


def _local(value, field):
    """A datetime-local form value read as Beijing time (None when empty)."""
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value).replace(tzinfo=LOCAL)
    except ValueError:
        raise DomainError("invalid_datetime", _("Enter a date and time."), field=field) from None


def _tender_of(model, pk):
    row = model.objects.filter(pk=pk).values_list("tender_id", flat=True).first()
    if row is None:
        raise Http404
    return row


@login_required
@require_POST
def publish(request, pk):
    try:
        starts = _local(request.POST.get("starts"), "starts") or timezone.now()
        ends = _local(request.POST.get("ends"), "ends")
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("award:page", pk=pk)
    return _run(request, pk, award_actions.publish_candidates, _("The candidates are publicized."),
                tender_id=pk, starts=starts, ends=ends)


@login_required
@require_POST
def object_to(request, pk):
    return _run(request, pk, disputes.raise_objection, _("Your objection is sent to the tenderer."),
                tender_id=pk, grounds=request.POST.get("grounds"), evidence=request.FILES.get("evidence"))


@login_required
@require_POST
def answer(request, pk):
    return _run(request, _tender_of(CandidateObjection, pk), disputes.answer_objection,
                _("The answer is recorded."), objection_id=pk, answer=request.POST.get("answer"))


@login_required
@require_POST
def complain(request, pk):
    return _run(request, _tender_of(CandidateObjection, pk), disputes.file_complaint,
                _("Your complaint is sent to the regulator."), objection_id=pk, grounds=request.POST.get("grounds"))


@login_required
@require_POST
def decide(request, pk):
    return _run(request, _tender_of(Complaint, pk), disputes.decide_complaint, _("The decision is recorded."),
                complaint_id=pk, outcome=request.POST.get("outcome"), decision=request.POST.get("decision"))


@login_required
@require_POST
def confirm(request, pk):
    return _run(request, pk, award_actions.confirm_award, _("The award is confirmed and its notices are sent."),
                tender_id=pk, rank=request.POST.get("rank", 1), reason=request.POST.get("reason", ""))


def _run_at(request, pk, field, action, done):
    """`action` with the moment the form gives in `field` (Beijing time; empty: now)."""
    try:
        moment = _local(request.POST.get(field), field)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("award:page", pk=pk)
    return _run(request, pk, action, done, tender_id=pk, **{field: moment})


@login_required
@require_POST
def contract(request, pk):
    return _run_at(request, pk, "signed_at", award_actions.record_contract_signed,
                   _("The contract's signature is recorded."))


@login_required
@require_POST
def report(request, pk):
    return _run_at(request, pk, "reported_at", award_actions.record_report,
                   _("The report to the regulator is recorded."))


@login_required
@require_POST
def retender_view(request, pk):
    try:
        new = retender.retender(actor=request.user, tender_id=pk)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("trading:detail", pk=pk)
    messages.success(request, _("The re-tender is a new draft: check its dates and submit it for review."))
    return redirect("trading:edit", pk=new.pk)
