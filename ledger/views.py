from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render

from accounts.permissions import can

from . import csvsafe
from .chain import verify
from .queries import visible_entries


def _filtered(request):
    qs = visible_entries(request.user)
    action = request.GET.get("action", "").strip()[:60]
    region = request.GET.get("region", "").strip()[:12]
    tender = request.GET.get("tender", "").strip()[:40]
    if action:
        qs = qs.filter(action__startswith=action)
    if region:
        qs = qs.filter(region_code=region)
    if tender:
        qs = qs.filter(tender_ref=tender)
    return qs, {"action": action, "region": region, "tender": tender}


@login_required
def console(request):
    if not can(request.user, "ledger.view", None):
        raise PermissionDenied
    qs, filters = _filtered(request)
    page = Paginator(qs.order_by("-seq"), 50).get_page(request.GET.get("page"))
    result = verify() if request.GET.get("verify") == "1" else None
    return render(request, "ledger/console.html", {"page": page, "filters": filters, "verification": result})


@login_required
def export(request):
    if not can(request.user, "ledger.view", None):
        raise PermissionDenied
    qs, _filters = _filtered(request)
    writer = csvsafe.writer(csvsafe.Echo())
    header = ["seq", "time", "actor", "role", "region", "tender", "action", "payload", "prev_hash", "hash"]

    def rows():
        yield writer.writerow(header)
        for e in qs.order_by("seq").iterator(chunk_size=2000):
            yield writer.writerow([e.seq, e.created_at.isoformat(), e.actor_name, e.role, e.region_code,
                                   e.tender_ref, e.action, e.payload, e.prev_hash, e.hash])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="trading-log.csv"'
    return response
