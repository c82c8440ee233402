import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError
from accounts.permissions import can
from config.ids import int_param

from . import csvsafe, sth, tree, witness
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


def _verification():
    """The hash chain and its anchors, then the Merkle tree and every signed tree head."""
    result = verify()
    if not result.ok:
        return result
    heads = sth.TreeHead.objects.order_by("tree_size").iterator(chunk_size=2000)
    try:
        checked = tree.verify(heads, sth.signature_valid)
    except DomainError as exc:  # no seal registered to check the heads with
        result.ok, result.bad_seq, result.reason = False, None, str(exc.message)
        return result
    if not checked.ok:
        result.ok, result.bad_seq, result.reason = False, checked.bad_seq, checked.reason
    result.heads = checked.heads
    return result


@login_required
def console(request):
    if not can(request.user, "ledger.view", None):
        raise PermissionDenied
    qs, filters = _filtered(request)
    page = Paginator(qs.order_by("-seq"), 50).get_page(request.GET.get("page"))
    result = _verification() if request.GET.get("verify") == "1" else None
    return render(request, "ledger/console.html", {
        "page": page, "filters": filters, "verification": result, "witness": witness.status(request.user),
        "may_witness": can(request.user, "ledger.witness"),
    })


@login_required
@require_POST
def cosign(request):
    """The witness console's cosignature (JSON in, JSON out): {"tree_size": n, "root_hash": hex}."""
    if not can(request.user, "ledger.witness"):
        return JsonResponse({"code": "permission_denied", "detail": _("You are not allowed to do this.")}, status=403)
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"code": "invalid", "detail": _("The request body must be a JSON object.")}, status=400)
    try:
        size = int_param(body.get("tree_size", ""), "tree_size")
        root = str(body.get("root_hash", ""))
        if len(root) != 64 or any(c not in "0123456789abcdef" for c in root):
            raise DomainError("invalid_parameter", _("The parameter “root_hash” must be 64 lowercase hex digits."),
                              parameter="root_hash")
        cosignature = witness.cosign_head(actor=request.user, tree_size=size, root_hash=root)
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "detail": str(exc.message), **exc.extra}, status=exc.http_status)
    return JsonResponse({"tree_size": cosignature.head.tree_size, "root_hash": cosignature.head.root_hash,
                         "cosigned_at": cosignature.created_at.isoformat()})


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
