"""Read-side queries for the portal and the staff pages."""

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import rules
from .models import Bid, Objection, Tender

PUBLIC_STATUSES = [s for s in Tender.Status.values if s not in ("draft", "submitted", "returned")]

# Portal stages: stored status plus the server's clock (the clock, not a person, closes bidding).
STAGES = {
    "announced": _("Announced"),
    "documents": _("Documents available"),
    "bidding": _("Accepting bids"),
    "paused": pgettext_lazy("tender stage", "Paused"),
    "closed": _("Bids closed"),
    "evaluation": _("Opening and evaluation"),
    "result": _("Result"),
    "failed": _("Failed or terminated"),
}


PAUSE_REASON = rules.suspension_reason("works")  # a procurement tender's reason cites its own law
LIVE = ("published", "closed")


def _unanswered_objection():
    return Exists(Objection.objects.filter(tender=OuterRef("pk"), answered_at__isnull=True))


def is_paused(tender):
    """A live tender with an unanswered objection to its documents (实施条例 art. 22). Uses the
    `objection_pending` annotation of portal_tenders when present (one query for a whole page)."""
    if tender.status not in LIVE:
        return False
    pending = getattr(tender, "objection_pending", None)
    return pending if pending is not None else paused_objections(tender).exists()


def stage_of(tender, now=None):
    now = now or timezone.now()
    if tender.status in LIVE:
        if is_paused(tender):
            return "paused"
        if now < tender.documents_from:
            return "announced"
        if now < tender.documents_until:
            return "documents"
        if now < tender.bid_deadline:
            return "bidding"
        return "closed"
    if tender.status in ("opening", "opened", "evaluating", "evaluated"):
        return "evaluation"
    if tender.status in ("publicizing", "awarded"):
        return "result"
    if tender.status in ("failed", "terminated"):
        return "failed"
    return tender.status


def pause_reason(stage, tender=None):
    """Why the tender is suspended (实施条例 art. 22; for procurement, the procurement law), or None."""
    if stage != "paused":
        return None
    return rules.suspension_reason(tender.category if tender is not None else "works")


def stage_filter(stage, now=None):
    now = now or timezone.now()
    paused = Q(status__in=LIVE) & _unanswered_objection()
    live = Q(status__in=LIVE) & ~_unanswered_objection()
    return {
        "announced": live & Q(documents_from__gt=now),
        "documents": live & Q(documents_from__lte=now, documents_until__gt=now),
        "bidding": live & Q(documents_until__lte=now, bid_deadline__gt=now),
        "paused": paused,
        "open": Q(status__in=LIVE, bid_deadline__gt=now),
        "closed": live & Q(bid_deadline__lte=now),
        "evaluation": Q(status__in=["opening", "opened", "evaluating", "evaluated"]),
        "result": Q(status__in=["publicizing", "awarded"]),
        "failed": Q(status__in=["failed", "terminated"]),
    }.get(stage)


def portal_tenders(*, region=None, city_only=False, category=None, stage=None, q=None, date_from=None, date_to=None):
    qs = Tender.objects.filter(status__in=PUBLIC_STATUSES).select_related("region").annotate(
        objection_pending=_unanswered_objection())
    if region is not None:
        qs = qs.filter(region=region) if city_only or region.parent_id else qs
    if category:
        qs = qs.filter(category=category)
    condition = stage_filter(stage) if stage else None
    if condition is not None:
        qs = qs.filter(condition)
    if q:
        # Codes are upper case: an exact match can use the unique index (iexact could not).
        qs = qs.filter(Q(title__icontains=q) | Q(code=q.upper()))
    if date_from:
        qs = qs.filter(published_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(published_at__date__lte=date_to)
    return qs.order_by("-published_at", "-id")


def paused_objections(tender):
    """Unanswered objections: the procedure is paused for that matter (实施条例 art. 22)."""
    return tender.objections.filter(answered_at__isnull=True)


def own_bids(user):
    """The bids a user may list: its own organization's, whatever the time. Nobody else's, before or after
    the deadline (after it, staff read bids through the opening, never through this list)."""
    return Bid.objects.filter(organization_id=getattr(user, "organization_id", None) or -1)


def bid_arrivals(user, tender):
    """When each live bid arrived, for staff and regulators of the region, from the deadline on only
    (招标投标法 art. 22); None for anyone else."""
    from accounts.permissions import can

    if not can(user, "bid.count", tender):
        return None
    return list(tender.bids.filter(status=Bid.Status.SUBMITTED).values_list("submitted_at", flat=True))


class IdPaginator(Paginator):
    """Pages deep in a large filtered list: the database finds the page's ids from an index-only
    subquery, then reads just those rows (one statement), instead of sorting every matching row."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        qs = self.object_list
        return self._get_page(qs.filter(pk__in=qs.values("pk")[bottom:top]), number, self)
