"""Recording the ranked candidates of a tender's evaluation report (实施条例 art. 53-54)."""

from django.db import transaction
from django.utils import timezone

from ledger import chain

from ..models import Bid, Candidate, OpenedBid, Tender
from . import periods, reminders

MAX_CANDIDATES = 3  # 实施条例 art. 53


def record_candidates(tender, rows, *, report_received_at=None):
    """Store `rows` [(bid id, rank, price_fen, score or None)] as the tender's candidates, ranks 1..n,
    n ≤ 3. Runs inside the caller's transaction (evaluation's close of the report); a second call for
    a tender that has candidates changes nothing. Returns the candidates."""
    existing = list(tender.candidates.all())
    if existing:
        return existing
    rows = sorted(rows, key=lambda row: row[1])[:MAX_CANDIDATES]
    if [row[1] for row in rows] != list(range(1, len(rows) + 1)):
        raise ValueError(f"candidate ranks must be 1..n, got {[row[1] for row in rows]}")
    at = report_received_at or timezone.now()
    bids = Bid.objects.in_bulk([row[0] for row in rows])
    created = []
    for bid_id, rank, price_fen, score in rows:
        bid = bids[bid_id]
        if bid.tender_id != tender.pk:
            raise ValueError(f"bid {bid_id} is not a bid on tender {tender.pk}")
        created.append(Candidate.objects.create(tender=tender, rank=rank, bid=bid, organization_id=bid.organization_id,
                                                price_fen=price_fen, score=score, report_received_at=at))
    if created:
        reminders.schedule(tender.pk, "publish", periods.publish_due(at))
    return created


def rows_from_opening(tender):
    """Candidates of a tender that has no evaluation to read (the demo): the opened bids ranked by their
    bid-letter price, lowest first, without scores. Never used for a tender the evaluation closed."""
    opened = (OpenedBid.objects.filter(bid__tender=tender, outcome=OpenedBid.Outcome.OPENED)
              .select_related("bid"))
    priced = sorted((o for o in opened if isinstance(o.bid_letter.get("price"), int)),
                    key=lambda o: (o.bid_letter["price"], o.bid.submitted_at))
    return [(o.bid_id, rank, o.bid_letter["price"], None) for rank, o in enumerate(priced[:MAX_CANDIDATES], 1)]


def record_candidates_from_opening(tender_id, *, report_received_at=None):
    """For a tender already evaluated (or opened, in the demo) without candidates: rank the opened bids by
    price, mark the tender evaluated and log `award.candidates_recorded`. Idempotent."""
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("region").get(pk=tender_id)
        if tender.candidates.exists():
            return list(tender.candidates.all())
        candidates = record_candidates(tender, rows_from_opening(tender), report_received_at=report_received_at)
        if tender.status == Tender.Status.OPENED:
            tender.status = Tender.Status.EVALUATED
            tender.save(update_fields=["status"])
        chain.append("award.candidates_recorded", role="system", region=tender.region, tender_ref=tender.code,
                     payload={"tender": tender.pk, "source": "opening",
                              "candidates": [{"rank": c.rank, "organization": c.organization_id,
                                              "price_fen": c.price_fen} for c in candidates]})
    return candidates
