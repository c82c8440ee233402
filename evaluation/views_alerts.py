import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError
from accounts.permissions import can

from .alerts import mark_reviewed, visible_alerts
from .models_alerts import Alert


@login_required
def alert_list(request):
    if not can(request.user, "alerts.view", None):
        raise PermissionDenied
    qs = visible_alerts(request.user)
    rule = request.GET.get("rule", "")
    if rule in Alert.Rule.values:
        qs = qs.filter(rule=rule)
    if request.GET.get("open") == "1":
        qs = qs.filter(reviewed_at__isnull=True)
    page = Paginator(qs.select_related("reviewed_by"), 50).get_page(request.GET.get("page"))
    return render(request, "alerts/list.html", {"page": page, "rules": Alert.Rule.choices, "rule": rule})


@login_required
def alert_detail(request, pk):
    if not can(request.user, "alerts.view", None):
        raise PermissionDenied
    alert = visible_alerts(request.user).filter(pk=pk).select_related("reviewed_by").first()
    if alert is None:  # another county's alert is as absent as a missing one
        raise Http404
    return render(request, "alerts/detail.html", {
        "alert": alert, "may_review": can(request.user, "alerts.review", alert),
        "evidence_text": json.dumps(alert.evidence, ensure_ascii=False, indent=2, sort_keys=True),
    })


@login_required
@require_POST
def alert_review(request, pk):
    if not can(request.user, "alerts.view", None):
        raise PermissionDenied
    if not visible_alerts(request.user).filter(pk=pk).exists():
        raise Http404
    try:
        mark_reviewed(actor=request.user, alert_id=pk, note=request.POST.get("note", ""))
    except DomainError as exc:
        if exc.http_status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The alert is marked reviewed."))
    return redirect("evaluation:alert_detail", pk=pk)
