"""Read side of the opening hall: the snapshot a client gets on connect."""

from django.utils import timezone

from realtime.events import stream_head

from .actions.opening import attendee_data, confirmation_data, hall_stream, result_data
from .models import Bid, HallAttendance, OpenedBid, Opening, OpeningConfirmation, Tender, TenderCustodian


def snapshot(tender_id, user):
    tender = Tender.objects.select_related("opening_key", "region").get(pk=tender_id)
    now = timezone.now()
    opening = Opening.objects.filter(tender=tender).first()
    after_deadline = now >= tender.bid_deadline
    custodians = list(TenderCustodian.objects.filter(tender=tender).select_related("user").order_by("index"))
    results = []
    if opening is not None:
        numbered = {b.pk: n for n, b in enumerate(
            tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("submitted_at", "id"), start=1)}
        for result in OpenedBid.objects.filter(bid__tender=tender).select_related("bid__organization"):
            results.append(result_data(result, numbered.get(result.bid_id, 0)))
        results.sort(key=lambda r: r["number"])
    data = {
        "tender": {"id": tender.pk, "code": tender.code, "title": tender.title, "status": tender.status,
                   "deadline": tender.bid_deadline.isoformat(), "failure_reason": tender.failure_reason},
        "server_now": now.isoformat(),
        "opening": None if opening is None else {
            "status": opening.status, "started_at": opening.started_at.isoformat(),
            "record": opening.record_id, "record_url": f"/records/{opening.record_id}/download/"
            if opening.record_id else None},
        "bids": tender.bids.filter(status=Bid.Status.SUBMITTED).count() if after_deadline else None,
        "threshold": tender.opening_key.threshold if hasattr(tender, "opening_key") else None,
        "custodians": [{"name": str(c.user), "index": c.index, "released": c.released_at is not None,
                        "me": c.user_id == user.pk} for c in custodians],
        "attendees": [attendee_data(a, tender, now) for a in
                      HallAttendance.objects.filter(tender=tender).select_related("organization", "user")],
        "results": results,
        "confirmations": [confirmation_data(c) for c in
                          OpeningConfirmation.objects.filter(tender=tender).select_related("organization")],
        "me": {"signed_in": HallAttendance.objects.filter(tender=tender, user=user).exists()},
    }
    mine = next((c for c in custodians if c.user_id == user.pk), None)
    if mine is not None:  # the custodian's own encrypted share, for their browser to decrypt
        data["me"]["encrypted_share"] = mine.encrypted_share
        data["me"]["released"] = mine.released_at is not None
    return stream_head(hall_stream(tender.pk)), data
