"""What the award part of a tender's pages shows to one user (the detail page's panel and the award page;
docs/award.md). Read only: every button it offers is checked again by its action."""

import datetime

from django.utils import timezone

from accounts.models import Role
from accounts.permissions import can, has_role

from .. import policies_award  # noqa: F401  (registers the award.* permissions)
from ..models import Award, Publicity, Tender
from . import periods

AFTER_EVALUATION = {Tender.Status.EVALUATED, Tender.Status.PUBLICIZING, Tender.Status.AWARDED}


def _one(model, tender):
    return model.objects.filter(tender=tender).first()


def _supervisor(user, tender):
    return has_role(user, Role.REGULATOR, tender.region) or has_role(user, Role.STAFF, tender.region)


def panel(user, tender, now=None):
    """The context of templates/trading/award/_panel.html and page.html for `user` (may be anonymous).
    `visible` False: nothing is shown (another county's staff, a company that did not bid)."""
    now = now or timezone.now()
    ctx = {"tender": tender, "visible": False, "now": now,
           "retender_of": tender.retender_of, "retenders": list(tender.retenders.all())}
    authenticated = user is not None and user.is_authenticated
    ctx["can_retender"] = (authenticated and tender.status == Tender.Status.FAILED and not ctx["retenders"]
                           and can(user, "award.retender", tender))
    if tender.status not in AFTER_EVALUATION or not authenticated or not can(user, "award.view", tender):
        ctx["visible"] = ctx["can_retender"]
        return ctx
    manage = can(user, "award.manage", tender)
    supervisor = _supervisor(user, tender)
    candidates = list(tender.candidates.select_related("organization").order_by("rank"))
    publicity, award = _one(Publicity, tender), _one(Award, tender)
    objections = tender.candidate_objections.select_related("organization").prefetch_related("complaints")
    if not (manage or supervisor):
        objections = objections.filter(organization_id=user.organization_id)
    objections = list(objections)
    publish_due = periods.publish_due(candidates[0].report_received_at) if candidates else None
    ctx.update({
        "visible": True, "manage": manage, "supervisor": supervisor,
        "candidates": candidates, "publicity": publicity, "award": award, "objections": objections,
        "complaints": [c for o in objections for c in o.complaints.all()],
        "publish_due": publish_due,
        "publish_warning": bool(manage and publicity is None and publish_due
                                and now >= publish_due - datetime.timedelta(days=periods.WARN_DAYS)),
        "publish_overdue": bool(publicity is None and publish_due and now > publish_due),
        "publicity_running": bool(publicity and publicity.starts <= now < publicity.ends),
        "can_publish": manage and tender.status == Tender.Status.EVALUATED and publicity is None,
        "can_object": (tender.status == Tender.Status.PUBLICIZING and publicity is not None
                       and can(user, "award.object", tender)),
        "can_decide": can(user, "award.decide_complaint", tender),
        "can_confirm": (manage and tender.status == Tender.Status.PUBLICIZING and publicity is not None
                        and now >= publicity.ends),
        "open_objections": sum(o.answered_at is None for o in objections),
        "min_publicity_end": periods.min_publicity_end(now),
    })
    if award:
        ctx["contract_late"] = award.contract_signed_at is None and now > award.contract_due
        ctx["report_late"] = award.reported_at is None and award.report_due is not None and now > award.report_due
    return ctx
