"""Pages of the expert draw (docs/architecture.md §10): staff request it and follow the seats, regulators read it and
contribute their secret, drawn experts answer, and anyone verifies it once the secrets are revealed.

Every write calls an action of evaluation.actions.draw; what each person may see of a draw comes from
evaluation.queries.draw_view (staff never see who was drawn before check-in).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.permissions import can
from trading.models import Tender

from . import queries
from .actions import draw as actions
from .forms_draw import AnswerForm, DrawRequestForm, SecretForm, requirement_formset
from .models import Draw, Seat


def _form_error(form, exc):
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, str(exc.message))


def _draw(pk):
    return get_object_or_404(Draw.objects.select_related("tender__region"), pk=pk)


@login_required
def request_draw(request, tender_id):
    """Staff of the tender's region request the draw of its evaluation committee, after the opening."""
    tender = get_object_or_404(Tender.objects.select_related("region"), pk=tender_id)
    if not queries.may_request_draw(request.user, tender):
        raise PermissionDenied
    form, status = DrawRequestForm(request.POST or None), 400 if request.method == "POST" else 200
    remote = request.method == "POST" and form.is_valid() and form.cleaned_data["remote"]
    rows = requirement_formset(request.POST or None, remote=remote)
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        try:
            draw = actions.request_draw(
                actor=request.user, tender_id=tender.pk, committee_size=form.cleaned_data["committee_size"],
                tenderer_representatives=form.cleaned_data["tenderer_representatives"],
                requirements=rows.requirements(), remote=remote)
        except (Forbidden, NotFound):
            raise PermissionDenied from None
        except DomainError as exc:
            _form_error(form, exc)
            status = exc.http_status
        else:
            messages.success(request, _("The draw is requested: the candidate list is frozen and the platform's "
                                        "secret committed. Waiting for the regulator's secret."))
            return redirect("evaluation:draw", pk=draw.pk)
    context = {"tender": tender, "form": form, "rows": rows, "draws": Draw.objects.filter(tender=tender)}
    return render(request, "evaluation/draw/request.html", context, status=status)


def _status_page(request, draw, secret_form=None, status=200):
    try:
        view = queries.draw_view(request.user, draw)
    except (Forbidden, NotFound):
        raise PermissionDenied from None
    labels = dict(Seat.Status.choices)
    for requirement in view.get("requirements", []):
        requirement["tally"] = [(labels[s], n) for s, n in requirement["statuses"].items() if n]
    context = {"draw": draw, "view": view, "tender": draw.tender, "secret_form": secret_form or SecretForm(),
               "may_contribute": queries.may_contribute_secret(request.user, draw),
               "may_reveal": queries.may_reveal_draw(request.user, draw)}
    return render(request, "evaluation/draw/status.html", context, status=status)


@login_required
def draw_status(request, pk):
    """The draw's stage, commitments and seats: counts and statuses for staff, names for regulators."""
    return _status_page(request, _draw(pk))


@login_required
@require_POST
def contribute_secret(request, pk):
    """The on-duty regulator's secret, generated in their browser (static/js/draw.js) or typed."""
    draw = _draw(pk)
    if not can(request.user, "draw.contribute", draw.tender):
        raise PermissionDenied
    form, status = SecretForm(request.POST), 400
    if form.is_valid():
        try:
            actions.contribute_regulator_secret(actor=request.user, draw_id=draw.pk,
                                                secret_hex=form.cleaned_data["secret_hex"])
        except (Forbidden, NotFound):
            raise PermissionDenied from None
        except DomainError as exc:
            _form_error(form, exc)
            status = exc.http_status
        else:
            messages.success(request, _("Your secret is in: the seed is fixed and the experts are drawn."))
            return redirect("evaluation:draw", pk=draw.pk)
    draw.refresh_from_db()
    return _status_page(request, draw, secret_form=form, status=status)


@login_required
@require_POST
def reveal(request, pk):
    """Staff publish both secrets once the evaluation is closed: from then on anyone can verify the draw."""
    draw = _draw(pk)
    try:
        actions.reveal_draw(actor=request.user, draw_id=draw.pk)
    except (Forbidden, NotFound):
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Both secrets are published: anyone can now verify the draw."))
    return redirect("evaluation:draw", pk=draw.pk)


def verify(request, pk):
    """Public: after the reveal, the published data and the recomputation of the committee."""
    draw = _draw(pk)
    context = {"draw": draw, "tender": draw.tender, "revealed": draw.status == Draw.Status.REVEALED}
    if context["revealed"]:
        context["problems"] = actions.verify_draw_record(draw)
        context["picks"] = draw.seats.select_related("requirement__specialty__parent", "requirement__venue",
                                                     "replaces").order_by("counter")
    return render(request, "evaluation/draw/verify.html", context)


def frozen_list(request, pk):
    """The frozen candidate list, byte for byte as hashed. It holds expert ids: only after the reveal."""
    draw = _draw(pk)
    if draw.status != Draw.Status.REVEALED:
        raise Http404
    response = HttpResponse(draw.frozen_list.encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="draw-{draw.pk}-frozen-list.json"'
    return response


def answer(request, token):
    """A drawn expert answers with the one-time code of their text message (no sign-in). The tender and
    the venue are shown only once the code was right."""
    seat = get_object_or_404(Seat, link_token=token)
    form, status = AnswerForm(request.POST or None), 400 if request.method == "POST" else 200
    answered = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            answered = actions.respond_to_seat(seat_id=seat.pk, code=data["code"], accept=data["accept"],
                                               reason=data["reason"], conflict=not data["accept"] and data["conflict"])
        except DomainError as exc:
            _form_error(form, exc)
            status = exc.http_status
        else:
            status = 200
    context = {"form": form, "seat": answered, "details": queries.seat_details(answered) if answered else None}
    if answered is not None:
        context["tender"] = answered.draw.tender
    return render(request, "evaluation/draw/answer.html", context, status=status)
