"""Announcements for tenders published before announcements existed (`manage.py backfill_announcements`).

Each public event of a tender is announced as it would have been, dated when it happened; announce() is
idempotent per source, so running this again adds nothing. The content is built from the data as it is now
(the only data there is), with the first announced deadline for the tender announcement."""

from django.db import transaction

from ..models import Opening, Tender
from ..queries import PUBLIC_STATUSES
from . import announce


def _events(tender):
    """(kind, source, published_at) for each public event of `tender`, in order."""
    yield "tender", None, tender.published_at
    for amendment in tender.amendments.order_by("issued_at", "id"):
        yield "amendment", amendment, amendment.issued_at
    opening = Opening.objects.filter(tender=tender, record__isnull=False).select_related("record").first()
    if opening is not None:
        yield "opening_record", opening, opening.record.created_at
    publicity = getattr(tender, "publicity", None)
    if publicity is not None:
        yield "candidates", publicity, publicity.published_at
    award = getattr(tender, "award", None)
    if award is not None:
        yield "result", award, award.confirmed_at
    if tender.status == Tender.Status.FAILED:
        yield "failure", None, tender.bid_deadline
    if tender.status == Tender.Status.TERMINATED:
        yield "termination", None, tender.bid_deadline


def backfill_tender(tender_id):
    """Announce every past public event of one tender not announced yet. Returns how many were added."""
    added = 0
    with transaction.atomic():
        tender = (Tender.objects.select_for_update(of=("self",)).select_related("project__owner", "region")
                  .get(pk=tender_id))
        for kind, source, moment in _events(tender):
            before = tender.announcements.count()
            announce(tender, kind, source=source, published_at=moment)
            added += tender.announcements.count() - before
    return added


def backfill():
    """(tenders seen, announcements added) over every published tender."""
    ids = list(Tender.objects.filter(status__in=PUBLIC_STATUSES, published_at__isnull=False)
               .order_by("published_at", "id").values_list("pk", flat=True))
    return len(ids), sum(backfill_tender(pk) for pk in ids)
