"""The receipt PDF of a bid, produced by the records engine in the background."""

from django.db import transaction

from accounts.background import enqueue

from ..models import Bid


def enqueue_receipt_pdf(bid_id):
    enqueue("trading.receipt_pdf", bid_id)


def produce_receipt_pdf(bid_id):
    """Render, sign (platform seal) and store the receipt; link it to the bid. Idempotent."""
    import datetime

    from records.actions import produce_record

    bid = Bid.objects.select_related("tender__region", "organization").get(pk=bid_id)
    if bid.receipt_record_id:
        return bid.receipt_record_id
    data = {
        "tender_code": bid.tender.code, "tender_name": bid.tender.title, "bidder_name": bid.organization.name,
        "bidder_credit_code": bid.organization.credit_code, "envelope_sha256": bid.sha256, "size_bytes": bid.size,
        "received_at": bid.submitted_at.astimezone(datetime.UTC), "receipt_no": bid.receipt_no,
        "upload_id": str(bid.upload_id),
    }
    # No region or tender on the record: its `record.signed` log entry and the record lists would tell
    # who has bid before the deadline (招标投标法 art. 22). Supervisors reach it through the bid
    # (trading.policies.supervised_bid_receipts), from the deadline on.
    record = produce_record("bid_receipt", data, tender_ref="", region=None, organization=bid.organization)
    with transaction.atomic():
        Bid.objects.filter(pk=bid.pk, receipt_record__isnull=True).update(receipt_record=record)
    return record.pk
