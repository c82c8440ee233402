"""Collusion alert rules on where bids came from and what their files say of themselves (围标串标,
实施条例 art. 40: bid files made by one unit or person; one company's staff handling another's bid).

- same_origin: bids of one tender by different organizations finalized from one IP address, or from one
  device (Bid.client_device: a digest of the bidder tool's device id, else of the browser's User-Agent).
- same_metadata: opened PDF files of different bidders with identical document metadata: author,
  creating software and creation time all equal (one of them alone is common; the three together are not).

Both read only bids whose tender's deadline has passed (招标投标法 art. 22: nobody learns who has bid before).
"""

from collections import defaultdict

from trading import bidstore
from trading.models import Bid, OpenedBid, OpenedFile

from .models_alerts import Alert

METADATA_KEYS = ("/Author", "/Creator", "/CreationDate")


def _finding(rule, key, tender, evidence):
    return {"rule": rule, "subject_key": key, "tender_ref": tender.code, "region_code": tender.region.code,
            "evidence": evidence}


def same_origin(tender):
    # Replaced and withdrawn bids count too: where a bid was sent from stays evidence after it is replaced.
    bids = Bid.objects.filter(tender=tender).select_related("organization").order_by("id")
    findings = []
    for field, label in (("client_ip", "ip"), ("client_device", "device")):
        groups = defaultdict(list)
        for bid in bids:
            value = getattr(bid, field)
            if value:
                groups[value].append(bid)
        for value, group in sorted(groups.items()):
            if len({b.organization_id for b in group}) < 2:
                continue
            findings.append(_finding(Alert.Rule.SAME_ORIGIN, f"{tender.code}:{label}:{value}", tender, {
                "field": label, "value": value,
                "bids": [{"organization_id": b.organization_id, "organization": b.organization.name,
                          "bid_id": b.pk, "receipt_no": b.receipt_no, "submitted_at": b.submitted_at.isoformat()}
                         for b in group],
            }))
    return findings


def pdf_metadata(storage_name):
    """(author, creator, creation date) of a stored PDF, or None when any is missing or the file does
    not parse (a damaged file is not evidence of anything)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        with bidstore.open_file(storage_name) as f:
            info = PdfFileReader(f, strict=False).trailer_view.get("/Info")
            if info is None:
                return None
            info = info.get_object()
            values = tuple(str(info.get(key, "")).strip() for key in METADATA_KEYS)
    except Exception:  # noqa: BLE001  (any parse error: no metadata to compare)
        return None
    return values if all(values) else None


def same_metadata(tender):
    files = (OpenedFile.objects.filter(opened__bid__tender=tender, opened__outcome=OpenedBid.Outcome.OPENED,
                                       media_type="application/pdf")
             .select_related("opened__bid__organization").order_by("id"))
    groups = defaultdict(list)
    for f in files:
        meta = pdf_metadata(f.storage_name)
        if meta is not None:
            groups[meta].append(f)
    findings = []
    for (author, creator, created), group in sorted(groups.items()):
        if len({f.opened.bid.organization_id for f in group}) < 2:
            continue
        findings.append(_finding(Alert.Rule.SAME_METADATA, f"{tender.code}:meta:{author}|{creator}|{created}"[:200],
                                 tender, {
            "author": author, "creator": creator, "created": created,
            "files": [{"organization_id": f.opened.bid.organization_id, "organization": f.opened.bid.organization.name,
                       "bid_id": f.opened.bid_id, "receipt_no": f.opened.bid.receipt_no, "file": f.name,
                       "sha256": f.sha256} for f in group],
        }))
    return findings
