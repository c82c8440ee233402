"""Read-side queries for the portal and the staff pages."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Tender

PUBLIC_STATUSES = [s for s in Tender.Status.values if s not in ("draft", "submitted", "returned")]

# Portal stages: stored status plus the server's clock (the clock, not a person, closes bidding).
STAGES = {
    "announced": _("Announced"),
    "documents": _("Documents available"),
    "bidding": _("Accepting bids"),
    "closed": _("Bids closed"),
    "evaluation": _("Opening and evaluation"),
    "result": _("Result"),
    "failed": _("Failed or terminated"),
}


def stage_of(tender, now=None):
    now = now or timezone.now()
    if tender.status in ("published", "closed"):
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


def stage_filter(stage, now=None):
    now = now or timezone.now()
    live = Q(status__in=["published", "closed"])
    return {
        "announced": live & Q(documents_from__gt=now),
        "documents": live & Q(documents_from__lte=now, documents_until__gt=now),
        "bidding": live & Q(documents_until__lte=now, bid_deadline__gt=now),
        "open": live & Q(bid_deadline__gt=now),
        "closed": live & Q(bid_deadline__lte=now),
        "evaluation": Q(status__in=["opening", "opened", "evaluating", "evaluated"]),
        "result": Q(status__in=["publicizing", "awarded"]),
        "failed": Q(status__in=["failed", "terminated"]),
    }.get(stage)


def portal_tenders(*, region=None, city_only=False, category=None, stage=None, q=None, date_from=None, date_to=None):
    qs = Tender.objects.filter(status__in=PUBLIC_STATUSES).select_related("region")
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
