import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError
from accounts.permissions import can
from config.ids import int_param, parse_int

from . import csvsafe, sentences, sequencer, sth, tree, witness
from . import export as exports
from .chain import verify
from .queries import newest_seq, visible_entries

LIVE_ROWS = 100  # at most this many new entries per live-tail request; the tail asks again for the rest
PAGE_ROWS = 50


@dataclass
class LogPage:
    """One page of the console: the matching entries numbered below `before`, newest first. Pages are
    addressed by entry number (`?before=N`), not counted: numbering 5,000,000 entries into pages took an
    exact COUNT of every match on every request. `older` and `newer` are the `before` of the next pages
    (None: there is none, or the newer page is the first one, where the live tail runs)."""

    object_list: list
    first: bool
    older: int | None
    newer: int | None

    def __iter__(self):
        return iter(self.object_list)


def _page(qs, head, before):
    """The page below `before` (None: the newest page), read up to `head`."""
    upto = head if before is None else min(head, before - 1)
    rows = list(qs.filter(seq__lte=upto).order_by("-seq")[:PAGE_ROWS + 1])
    older = rows[PAGE_ROWS - 1].seq if len(rows) > PAGE_ROWS else None
    newer = None
    if before is not None:
        above = list(qs.filter(seq__gt=upto, seq__lte=head).order_by("seq").values_list("seq", flat=True)
                     [:PAGE_ROWS + 1])
        if len(above) > PAGE_ROWS:
            newer = above[PAGE_ROWS - 1] + 1
    return LogPage(rows[:PAGE_ROWS], before is None, older, newer)


def _filtered(request):
    qs = visible_entries(request.user)
    action = request.GET.get("action", "").strip()[:60]
    region = request.GET.get("region", "").strip()[:12]
    tender = request.GET.get("tender", "").strip()[:40]
    if action in sentences.PHRASES:
        # A whole action: matched exactly, read newest first from the (action, seq) index. A prefix
        # ("opening.") matches every action of its group.
        qs = qs.filter(action=action)
    elif action:
        qs = qs.filter(action__startswith=action)
    if region:
        qs = qs.filter(region_code=region)
    if tender:
        qs = qs.filter(tender_ref=tender)
    return qs, {"action": action, "region": region, "tender": tender}


def _verification():
    """The hash chain and its anchors, the Merkle tree and every signed tree head, in one read of the log.
    Reads only: entries the sequencer has not hashed yet are counted, not hashed here."""
    walk = tree.Walk(sth.TreeHead.objects.order_by("tree_size").iterator(chunk_size=2000), sth.signature_valid)
    try:
        result = verify(integrate_first=False, walk=walk)
        if not result.ok:
            return result
        checked = walk.finish()
    except DomainError as exc:  # no seal registered to check the heads with
        result = verify(integrate_first=False)
        if result.ok:
            result.ok, result.bad_seq, result.reason = False, None, str(exc.message)
        return result
    finally:
        walk.close()
    if not checked.ok:
        result.ok, result.bad_seq, result.reason = False, checked.bad_seq, checked.reason
    result.heads = checked.heads
    return result


@login_required
def console(request):
    """The log as sentences, 50 a page. With `?after=N` (the live tail, static/js/ledger.js): only the
    entries after N that match the filter, as list items, with the head they were read up to."""
    if not can(request.user, "ledger.view", None):
        raise PermissionDenied
    qs, filters = _filtered(request)
    if "after" in request.GET:
        return _live_rows(request, qs)
    before = None
    if request.GET.get("before"):
        before = parse_int(request.GET["before"], minimum=1, maximum=2**62)
        if before is None:
            return HttpResponseBadRequest(_("The parameter “before” must be a whole number."),
                                          content_type="text/plain; charset=utf-8")
    head = newest_seq()  # first: the live tail goes on from here, so nothing appended meanwhile is missed
    page = _page(qs, head, before)
    page.object_list = sentences.annotate(page.object_list)
    result = _verification() if request.GET.get("verify") == "1" else None
    return render(request, "ledger/console.html", {
        "page": page, "filters": filters, "verification": result, "witness": witness.status(request.user),
        "may_witness": can(request.user, "ledger.witness"), "head": head,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "action_choices": sentences.action_choices(filters["action"]),
        "integration_delay": sequencer.delay(), "pending": sequencer.unhashed_count(),
    })


def _live_rows(request, qs):
    after = parse_int(request.GET.get("after", ""), minimum=0, maximum=2**62)
    if after is None:
        return HttpResponseBadRequest(_("The parameter “after” must be a whole number."), content_type="text/plain; charset=utf-8")
    head = newest_seq()
    rows = list(qs.filter(seq__gt=after, seq__lte=head).order_by("seq")[:LIVE_ROWS])
    # Read up to `head`, or up to the last row sent when there were more: the tail asks again from there.
    through = rows[-1].seq if len(rows) == LIVE_ROWS else head
    response = render(request, "ledger/console_entries.html", {"entries": sentences.annotate(reversed(rows))})
    response["X-Ledger-Through"] = str(through)
    return response


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
    """The console's filtered set with the proofs to check it against a signed tree head
    (ledger/export.py; docs/trading-log.md): CSV, or JSON with `?format=json`."""
    if not can(request.user, "ledger.view", None):
        raise PermissionDenied
    qs, filters = _filtered(request)
    as_json = request.GET.get("format") == "json"
    try:
        job = exports.Export(request.user, qs, filters)
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "detail": str(exc.message)}, status=exc.http_status)
    if as_json:
        response = StreamingHttpResponse(exports.stream_json(job), content_type="application/json; charset=utf-8")
    else:
        response = StreamingHttpResponse(exports.stream_csv(job, csvsafe.writer(csvsafe.Echo())),
                                         content_type="text/csv; charset=utf-8")
    name = f"trading-log-{job.size}.{'json' if as_json else 'csv'}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
