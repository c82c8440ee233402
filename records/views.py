from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.errors import Forbidden, NotFound
from accounts.permissions import can

from . import throttle as verify_throttle
from .actions import access_record
from .forms import VerifyForm
from .models import Record
from .queries import visible_records
from .verify import NotAPdf, describe, summary, verify_pdf


@login_required
@require_safe
def record_list(request):
    """Every record in the user's scope: read-only (regulators watch, they never act)."""
    if not can(request.user, "record.list", None):
        raise PermissionDenied
    qs = visible_records(request.user)
    filters = {"tender": request.GET.get("tender", "").strip()[:40], "kind": request.GET.get("kind", "").strip()[:30]}
    if filters["tender"]:
        qs = qs.filter(tender_ref=filters["tender"])
    if filters["kind"]:
        qs = qs.filter(kind=filters["kind"])
    page = Paginator(qs.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    return render(request, "records/list.html", {"page": page, "filters": filters, "kinds": Record.Kind.choices})


@login_required
@require_safe
def download(request, pk):
    try:
        record = access_record(request.user, pk)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    response = FileResponse(record.file.open("rb"), as_attachment=True, content_type="application/pdf",
                            filename=f"{record.kind}-{record.tender_ref or 'record'}-{record.pk}.pdf")
    response["Cache-Control"] = "private, no-store"
    response["ETag"] = f'"{record.sha256}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    """Check the signatures of any uploaded PDF (a record from here, or a copy someone holds).

    Public: the records say anyone may verify them. The result shows only what the PDF itself holds
    (its signatures, its hash, and whether this exact file is a platform record). Checking is costly,
    so checks are counted per person, or per network address for visitors (records/throttle.py)."""
    # Not `request.POST or None`: a POST carrying only a file has an empty (falsy) POST dict.
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    context = {"form": form}
    if form.is_bound and not verify_throttle.allow(request):
        return render(request, "records/verify.html", {"form": VerifyForm(), "throttled": verify_throttle.message()},
                      status=429)
    if form.is_bound and form.is_valid():
        try:
            report = verify_pdf(form.cleaned_data["file"].read())
        except NotAPdf as exc:
            form.add_error("file", str(exc.message))
        else:
            context.update(
                report=report, summary=summary(report), rows=[describe(s) for s in report.signatures],
                registered=Record.objects.filter(sha256=report.sha256).order_by("pk").first(),
            )
    return render(request, "records/verify.html", context, status=400 if form.errors else 200)
