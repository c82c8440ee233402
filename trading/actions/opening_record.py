"""The signed opening record (开标记录): rendered by the records engine from the opening's data,
signed by the host, then the platform seal (招标投标法 art. 36, 实施条例 art. 44)."""

from django.db import transaction

from realtime.events import append_stream_event

from ..announce import announce
from ..models import Bid, HallAttendance, Opening, OpeningConfirmation, TenderCustodian
from .opening import hall_stream


def opening_record_data(tender):
    opening = tender.opening
    present = set(HallAttendance.objects.filter(tender=tender, role="bidder").values_list("organization_id", flat=True))
    bids = []
    for number, bid in enumerate(tender.bids.filter(status=Bid.Status.SUBMITTED).select_related(
            "organization", "opened").order_by("submitted_at", "id"), start=1):
        result = getattr(bid, "opened", None)
        bids.append({
            "seq": number, "bidder_name": bid.organization.name, "credit_code": bid.organization.credit_code,
            "receipt_no": bid.receipt_no, "received_at": bid.submitted_at, "sha256": bid.sha256,
            # A bid never opened (the opening closed without it) is withdrawn, not the bidder's fault (art. 31).
            "status": result.outcome if result else "withdrawn",
            "reason": result.reason if result else "平台未能在开标过程中解密该投标文件(非投标人原因)",
            "letter": result.bid_letter if result else {}, "signed_in": bid.organization_id in present,
        })
    custodians = [{"name": str(c.user), "released_at": c.released_at}
                  for c in TenderCustodian.objects.filter(tender=tender).select_related("user").order_by("index")]
    confirmations = [{
        "bidder_name": c.organization.name, "kind": c.kind, "text": c.text, "at": c.at, "answer": c.answer,
        "answered_by": str(c.answered_by) if c.answered_by_id else "", "answered_at": c.answered_at,
    } for c in OpeningConfirmation.objects.filter(tender=tender).select_related("organization", "answered_by")
        .order_by("at", "id")]
    supervisors = [str(a.user) for a in HallAttendance.objects.filter(tender=tender, role="supervisor")
                   .select_related("user")]
    return {
        "tender_code": tender.code, "tender_name": tender.title, "project_name": tender.project.name,
        "region_name": tender.region.name, "tenderer_name": tender.project.owner.name, "venue": tender.venue,
        "bid_deadline": tender.bid_deadline, "opened_at": opening.key_rebuilt_at or opening.started_at,
        "closed_at": opening.closed_at, "host_name": str(opening.closed_by), "supervisors": supervisors,
        "custodians": custodians, "threshold": tender.opening_key.threshold,
        "bid_letter_fields": [{"key": f["key"], "label": f["label"], "type": f["type"]}
                              for f in tender.bid_letter_fields],
        "bids": bids, "confirmations": confirmations, "total_bids": len(bids),
        "opened_count": sum(1 for b in bids if b["status"] == "opened"),
    }


def produce_opening_record(tender_id):
    """Idempotent: one record per opening."""
    from records.actions import produce_record

    opening = Opening.objects.select_related("tender__region", "tender__project__owner", "closed_by",
                                             "tender__opening_key").get(tender_id=tender_id)
    if opening.record_id:
        return opening.record_id
    tender = opening.tender
    # Every bidder whose bid was in at the deadline may read the record of its opening.
    bidders = tender.bids.filter(status=Bid.Status.SUBMITTED).values_list("organization_id", flat=True)
    record = produce_record("opening_record", opening_record_data(tender), tender_ref=tender.code,
                            signers=[opening.closed_by], region=tender.region, readers=set(bidders))
    with transaction.atomic():
        if Opening.objects.filter(pk=opening.pk, record__isnull=True).update(record=record):
            announce(tender, "opening_record", source=opening)
            append_stream_event(hall_stream(tender.pk), "opening.record_ready",
                                {"record": record.pk, "sha256": record.sha256,
                                 "url": f"/records/{record.pk}/download/"})
    return record.pk
