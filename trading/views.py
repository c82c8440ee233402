"""Pages of the portal (public) and of the tenderer and staff workspaces. Every write calls an action."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import Region, Role
from accounts.permissions import can, has_role, scope_region_ids

from . import actions, evaluation_terms, rules, staging
from .forms import AmendmentForm, NewTenderForm, PortalFilterForm, TenderForm, evaluation_terms_initial
from .models import Objection, Tender, TenderDocument
from .queries import (
    PUBLIC_STATUSES,
    STAGES,
    IdPaginator,
    bid_arrivals,
    own_bids,
    pause_reason,
    paused_objections,
    portal_tenders,
    stage_of,
)

PAGE_SIZE = 20


def _region_choices():
    return list(Region.objects.select_related("parent"))


def _portal_queryset(form, regions):
    data = form.cleaned_data if form.is_valid() else {}
    region_param = data.get("region") or ""
    region, city_only = None, False
    if region_param == "city":
        region, city_only = next((r for r in regions if r.parent_id is None), None), True
    elif region_param:
        region = next((r for r in regions if r.code == region_param), None)
    return portal_tenders(
        region=region,
        city_only=city_only,
        category=data.get("category"),
        stage=data.get("stage"),
        q=(data.get("q") or "").strip(),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


def home(request):
    """The unified portal of 巴中市 and its districts and counties."""
    regions = _region_choices()
    counts = dict(Tender.objects.filter(status__in=PUBLIC_STATUSES).values_list("region").annotate(n=Count("id")))
    city = next((r for r in regions if r.parent_id is None), None)
    counties = [r for r in regions if r.parent_id is not None]
    for r in regions:
        r.tender_count = counts.get(r.pk, 0)
    latest = [(t, stage_of(t)) for t in portal_tenders()[:10]]
    from .views_today import todays_openings

    now = timezone.now()
    return render(request, "home.html", {"city": city, "counties": counties, "latest": latest, "stages": STAGES,
                                         "today": todays_openings(now), "now": now})


def tender_list(request):
    regions = _region_choices()
    form = PortalFilterForm(request.GET or None)
    qs = _portal_queryset(form, regions)
    page = IdPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(t, stage_of(t)) for t in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "trading/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "stages": STAGES,
            "regions": regions,
            "query": query.urlencode(),
            "selected_region": request.GET.get("region", ""),
        },
    )


def _visible_tender(request, pk):
    tender = get_object_or_404(Tender.objects.select_related("project__owner", "region__parent"), pk=pk)
    if tender.status not in PUBLIC_STATUSES and not can(request.user, "tender.view_unpublished", tender):
        raise Http404
    return tender


def tender_detail(request, pk):
    tender = _visible_tender(request, pk)
    user = request.user
    documents = tender.documents.filter(amendment__isnull=True)
    amendments = tender.amendments.prefetch_related("documents")
    is_owner = user.is_authenticated and user.organization_id == tender.project.owner_id
    objections = tender.objections.select_related("organization")
    if not (is_owner or can(user, "tender.view_unpublished", tender)):
        objections = objections.filter(organization_id=getattr(user, "organization_id", -1) or -1)
    stage = stage_of(tender)
    context = {
        "tender": tender,
        "stage": stage,
        "pause_reason": pause_reason(stage, tender),
        "now": timezone.now(),
        "stages": STAGES,
        "documents": documents,
        "amendments": amendments,
        "objections": objections,
        "paused": paused_objections(tender).count(),
        "may_edit": can(user, "tender.edit", tender),
        "may_review": can(user, "tender.review", tender),
        "may_amend": can(user, "tender.amend", tender),
        "may_object": can(user, "tender.object", tender),
        "may_answer": can(user, "tender.answer_objection", tender),
        "amendment_form": AmendmentForm(),
        "evaluation_terms": evaluation_terms.describe(tender),
    }
    # Periods counted on the statutory floor alone say so to everyone; calendar flags go to staff.
    context["missing_years"] = actions.missing_calendar_years(tender)
    if context["may_review"] or context["may_edit"]:
        context["calendar_flags"] = actions.calendar_flags(tender)
    if context["may_review"] and tender.status in (Tender.Status.SUBMITTED, Tender.Status.DRAFT, Tender.Status.RETURNED):
        from accounts.models import PublicKey

        chosen = set(tender.custodians.values_list("user_id", flat=True))
        keyed = PublicKey.objects.filter(purpose="custodian", revoked_at__isnull=True, user__roles__role=Role.CUSTODIAN)
        context["custodian_choices"] = [(key.user, key.user_id in chosen) for key in keyed.select_related("user")
                                        .order_by("user__username").distinct()]
    context["opening_record"] = _opening_record(user, tender)
    context.update(_bid_context(request, tender))
    return render(request, "trading/detail.html", context)


def _opening_record(user, tender):
    """The signed opening record, for those who may read it (staff, regulators, the tender's bidders)."""
    from records.models import Record

    opening = getattr(tender, "opening", None)
    if opening is None or not opening.record_id or not user.is_authenticated:
        return None
    record = Record.objects.select_related("region").get(pk=opening.record_id)
    return record if can(user, "record.view", record) else None


def _bid_context(request, tender):
    """The bidder's panel (its own bids only) and, for staff and regulators, arrivals without contents."""
    from django.urls import reverse

    from accounts.actions import organization_unverified_message

    user = request.user
    context = {"opening_key": getattr(tender, "opening_key", None),
               "may_attend": user.is_authenticated and can(user, "opening.attend", tender)}
    context["arrivals"] = bid_arrivals(user, tender)  # None before the deadline (招标投标法 art. 22)
    if not can(user, "bid.submit", tender) or context["opening_key"] is None:
        return context
    context["my_bids"] = own_bids(user).filter(tender=tender).order_by("-submitted_at")
    context["accepting"] = tender.status == Tender.Status.PUBLISHED and timezone.now() < tender.bid_deadline
    if user.organization.verified_at is None:
        # Only verified companies bid: say why, and who verifies (the staff of the company's region).
        context["unverified"] = organization_unverified_message(user.organization)
        context["accepting"] = False
    context["bid_page"] = {
        "server_now": timezone.now().isoformat(),
        "user": request.user.pk,
        "tender": {
            "id": tender.pk, "code": tender.code, "deadline": tender.bid_deadline.isoformat(),
            "opening_key_pem": context["opening_key"].public_key_pem, "fields": tender.bid_letter_fields,
        },
        "keys_url": reverse("accounts:security"),
        "messages": {
            "days": _("d"), "closed": _("Bids are closed."), "choose_key": _("Choose your key file."),
            "required": _("Required"), "bad_money": _("Enter yuan with at most two decimals"),
            "bad_integer": _("Enter a whole number"), "wrong_key_kind": _("This is not a bidder key file."),
            "choose_files": _("Choose the bid files."), "retrying": _("Network error, retrying"),
            "eta": _("Time left:"), "too_slow": _("at this speed the upload will not finish before the deadline!"),
            "sealing": _("Sealing on this computer…"), "uploading": _("Uploading…"),
            "resume_found": _("An unfinished upload of a sealed bid is kept on this computer. The platform holds"),
            "discarded": _("The unfinished upload was discarded."),
            "finalizing": _("Checking the sealed bid…"), "accepted": _("Bid accepted. Receipt number:"),
            "failed": _("Failed:"), "checking": _("Downloading and decrypting with your key…"),
            "check_ok": _("The platform holds your bid intact:"), "check_failed": _("Self-check failed:"),
            "confirm_withdraw": _("Withdraw this bid? You can submit a new one before the deadline."),
        },
    }
    return context


def download_document(request, pk, doc_pk):
    tender = _visible_tender(request, pk)
    doc = get_object_or_404(TenderDocument, pk=doc_pk, tender=tender)
    response = FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.name, content_type=doc.media_type)
    response["X-Content-SHA256"] = doc.sha256
    return response


@login_required
def my_tenders(request):
    if not (has_role(request.user, Role.TENDERER) or has_role(request.user, Role.AGENCY)):
        if has_role(request.user, Role.BIDDER):
            return redirect("workspace:home")  # a bidder's tenders are its bids, listed there
        raise PermissionDenied
    tenders = Tender.objects.filter(project__owner_id=request.user.organization_id).select_related("region")
    return render(request, "trading/mine.html", {"tenders": tenders.order_by("-created_at")})


@login_required
def new_tender(request):
    """A draft tender. An attached file that passed its checks is kept across a failed save
    (trading/staging.py): the page shows it and the user need not choose it again."""
    if not (has_role(request.user, Role.TENDERER) or has_role(request.user, Role.AGENCY)):
        raise PermissionDenied
    form = NewTenderForm(request.POST or None, request.FILES or None)
    allowed = [r for r in Region.objects.select_related("parent") if can(request.user, "project.create", r)]
    form.fields["region"].queryset = Region.objects.filter(pk__in=[r.pk for r in allowed])
    kept = None
    if request.method == "POST":
        kept = staging.take(request.user, request.POST.get("staged_document"))
        if request.POST.get("discard_staged"):
            staging.discard(kept)
            kept = None
        if form.is_valid():
            tender = _create_tender(request, form, form.cleaned_data.get("document") or kept)
            if tender is not None:
                staging.discard(kept)
                messages.success(request, _("The draft tender %(code)s is saved.") % {"code": tender.code})
                return redirect("trading:detail", pk=tender.pk)
        uploaded = request.FILES.get("document")
        if uploaded is not None and "document" not in form.errors:
            staging.discard(kept)  # a new choice replaces the kept file
            kept = staging.stage(request.user, uploaded)
    status = 400 if request.method == "POST" else 200
    return render(request, "trading/form.html", {"form": form, "new": True, "kept": kept}, status=status)


def _create_tender(request, form, document):
    """The project, its tender and its document in one transaction; None (errors on the form) if refused."""
    data = form.cleaned_data
    opened = document.open() if isinstance(document, staging.Staged) else document
    try:
        with transaction.atomic():
            project = actions.create_project(actor=request.user, name=data["project_name"],
                                             region_code=data["region"].code, category=data["category"])
            tender = actions.create_tender(actor=request.user, project_id=project.pk, **form.terms())
            if opened:
                actions.add_document(actor=request.user, tender_id=tender.pk, uploaded=opened)
    except DomainError as exc:
        form.add_domain_error(exc)
        return None
    finally:
        if isinstance(document, staging.Staged):
            opened.close()
    return tender


@login_required
def edit_tender(request, pk):
    tender = _visible_tender(request, pk)
    if not can(request.user, "tender.edit", tender):
        if can(request.user, "tender.amend", tender):
            # Published: its terms change only through an amendment (变更公告), as the API says
            # (403 tender_published_use_amendment; trading/actions/tenders.py _check_editable).
            return render(request, "trading/form_published.html", {
                "tender": tender, "article": rules.amendment_article(tender.category)}, status=403)
        raise PermissionDenied
    initial = {
        "title": tender.title,
        "description": tender.description,
        "venue": tender.venue,
        "estimated_price": tender.estimated_price_fen / 100,
        "bid_security": tender.bid_security_fen / 100,
        "documents_from": tender.documents_from,
        "documents_until": tender.documents_until,
        "bid_deadline": tender.bid_deadline,
        "evaluation_method": tender.evaluation_method,
        "bid_letter_fields": [f["key"] for f in tender.bid_letter_fields],
        "max_bid_mb": tender.max_bid_bytes // 2**20,
        **evaluation_terms_initial(tender),
    }
    form = TenderForm(request.POST or None, initial=initial, category=tender.category, criteria=tender.criteria)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_tender(actor=request.user, tender_id=tender.pk, **form.terms())
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("trading:detail", pk=tender.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "trading/form.html", {"form": form, "tender": tender}, status=status)


def _post_action(request, pk, fn, success, **kwargs):
    try:
        fn(actor=request.user, **kwargs)
    except (Forbidden, NotFound):
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect("trading:detail", pk=pk)


@login_required
@require_POST
def add_document(request, pk):
    uploaded = request.FILES.get("document")
    if uploaded is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("trading:detail", pk=pk)
    return _post_action(
        request, pk, actions.add_document, _("The document is uploaded."), tender_id=pk, uploaded=uploaded
    )


@login_required
@require_POST
def submit_tender(request, pk):
    return _post_action(request, pk, actions.submit_tender, _("Submitted for review."), tender_id=pk)


@login_required
@require_POST
def approve_tender(request, pk):
    return _post_action(
        request, pk, actions.approve_tender, _("Approved: the announcement is published."), tender_id=pk
    )


@login_required
@require_POST
def return_tender(request, pk):
    return _post_action(
        request,
        pk,
        actions.return_tender,
        _("Returned to the tenderer."),
        tender_id=pk,
        reason=request.POST.get("reason", ""),
    )


@login_required
@require_POST
def amend_tender(request, pk):
    form = AmendmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Write the clarification or amendment."))
        return redirect("trading:detail", pk=pk)
    data = form.cleaned_data
    files = [data["document"]] if data.get("document") else []
    return _post_action(
        request,
        pk,
        actions.issue_amendment,
        _("Issued."),
        tender_id=pk,
        kind=data["kind"],
        text=data["text"],
        affects_bids=data["affects_bids"],
        files=files,
    )


@login_required
@require_POST
def raise_objection(request, pk):
    return _post_action(
        request,
        pk,
        actions.raise_objection,
        _("Your objection is recorded."),
        tender_id=pk,
        text=request.POST.get("text", ""),
    )


@login_required
@require_POST
def answer_objection(request, pk):
    objection = get_object_or_404(Objection, pk=pk)
    return _post_action(
        request,
        objection.tender_id,
        actions.answer_objection,
        _("Answer recorded."),
        objection_id=pk,
        answer=request.POST.get("answer", ""),
        amends_documents=request.POST.get("amends_documents") == "on",
    )


@login_required
def review_queue(request):
    if not can(request.user, "tender.review_queue", None):
        raise PermissionDenied
    ids = scope_region_ids(request.user, Role.STAFF) | scope_region_ids(request.user, Role.REGULATOR)
    from .green.queue import prioritize  # green-channel tenders first, the reason shown (issue 12)

    tenders = prioritize(
        Tender.objects.filter(status=Tender.Status.SUBMITTED, region_id__in=ids)
        .select_related("region", "project__owner")
    )
    return render(request, "trading/review.html", {"tenders": tenders})


@login_required
def opened_document(request, pk, file_pk):
    """A decrypted bid document, after the opening: permission-checked, every read logged."""
    from .actions.opening import read_opened_file

    try:
        item = read_opened_file(actor=request.user, file_id=file_pk)
    except (Forbidden, NotFound):
        raise PermissionDenied from None
    if item.opened.bid.tender_id != pk:
        raise Http404
    from . import bidstore

    return FileResponse(bidstore.open_file(item.storage_name), as_attachment=True, filename=item.name,
                        content_type=item.media_type or "application/octet-stream")


@login_required
def opening_hall(request, pk):
    """The remote opening hall (不见面开标大厅): live over a websocket."""
    tender = _visible_tender(request, pk)
    if not can(request.user, "opening.attend", tender):
        raise PermissionDenied
    hall = {
        "tender": tender.pk, "ws": f"/ws/opening/{tender.pk}/", "is_host": can(request.user, "opening.host", tender),
        "is_bidder": can(request.user, "opening.confirm", tender),
        "fields": tender.bid_letter_fields,
        "messages": {
            "connecting": _("Connecting…"), "live": _("Live"), "reconnecting": _("Connection lost, reconnecting…"),
            "until_opening": _("Time to the opening"), "opening_now": _("The opening time has come."),
            "failed": _("Fewer than 3 bids were received: the tender cannot be opened and must be re-tendered "
                        "(Bidding Law, art. 28)."),
            "released": _("keys released"), "awaiting_shares": _("Waiting for the key custodians"),
            "decrypting": _("Decrypting the bids"), "reading": _("Reading out the bids: confirm or object"),
            "closed": _("The opening is closed."), "opened": pgettext("bid outcome", "Opened"), "revoked": _("Revoked"),
            "withdrawn": _("Withdrawn"), "confirm": _("Confirmed"), "objection": _("Objection"),
            "record_ready": _("The signed opening record is ready:"), "download": _("Download"),
            "choose_key": _("Choose your custodian key file first."), "failed_action": _("Refused:"),
            "signed_in": _("Signed in"), "bidder": _("Bidder"), "host": _("Host"), "supervisor": _("Supervisor"),
            "custodian": _("Key custodian"), "anonymous_bidder": _("A bidder (named at the opening)"),
        },
    }
    # Suspended by an unanswered objection: the deadline does not pass into the opening (实施条例 art. 22).
    suspended = pause_reason(stage_of(tender), tender)
    return render(request, "trading/hall.html", {"tender": tender, "hall": hall, "suspended": suspended})


@login_required
@require_POST
def choose_custodians(request, pk):
    """Staff choose the key custodians (k of n) at review, before publication."""
    from config.ids import parse_int  # ids past the database's range would overflow the query (a 500)

    user_ids = [parse_int(v) for v in request.POST.getlist("custodians")]
    threshold = parse_int(request.POST.get("threshold", "3"), minimum=0, maximum=1000)
    if None in user_ids or threshold is None:
        messages.error(request, _("Choose the custodians and a whole-number threshold."))
        return redirect("trading:detail", pk=pk)
    return _post_action(request, pk, actions.set_custodians, _("The key custodians are set."), tender_id=pk,
                        user_ids=user_ids, threshold=threshold)
