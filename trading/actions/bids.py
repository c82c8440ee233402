"""Sealed-bid actions: resumable upload, finalize with a signed receipt, withdraw (DESIGN §5).

The server never sees a bid's content: it checks the envelope's structure and the bidder's signature,
stamps the server's time, and refuses anything after the deadline (电子招标投标办法)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import PublicKey
from accounts.permissions import check
from ledger import chain
from ledger.canonical import utc_iso
from realtime import groups
from realtime.events import send_event_on_commit

from .. import bidstore
from ..models import Bid, BidUpload, Tender
from ..receipts import RECEIPT_FORMAT, sign_receipt
from ..sealing.envelope import EnvelopeError, check_structure

PART_SIZE = 8 * 1024 * 1024


def _deadline_passed(tender, now):
    return now >= tender.bid_deadline


def _refuse_deadline():
    # 招标投标法 art. 28: bids arriving after the deadline are refused.
    return DomainError("deadline_passed", _("The bid deadline has passed: the platform accepts no more bids "
                                            "(Bidding Law, art. 28)."), http_status=409)


def create_upload(*, actor, tender_id, size):
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise DomainError("invalid_size", _("Give the size of the sealed bid in bytes."), field="size")
    with transaction.atomic():
        try:
            tender = Tender.objects.select_related("region__parent").get(pk=tender_id)
        except (Tender.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such tender.")) from None
        check(actor, "bid.submit", tender)
        if tender.status not in (Tender.Status.PUBLISHED, Tender.Status.CLOSED) or not hasattr(tender, "opening_key"):
            raise DomainError("not_accepting_bids", _("This tender does not accept bids."), http_status=409)
        if _deadline_passed(tender, timezone.now()):
            raise _refuse_deadline()
        if size > tender.max_bid_bytes:
            raise DomainError("bid_too_large", _("The bid is larger than this tender allows (%(limit)s MB).")
                              % {"limit": tender.max_bid_bytes // 2**20}, http_status=413)
        upload_id = uuid.uuid4()
        name = bidstore.create(f"bids/{tender.pk}/{upload_id}.sealed")
        upload = BidUpload.objects.create(id=upload_id, tender=tender, organization_id=actor.organization_id,
                                          user=actor, declared_size=size, storage_name=name)
    return upload


def access_upload(actor, upload_id, *, for_update=False):
    qs = BidUpload.objects.select_related("tender__region")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        upload = qs.get(pk=upload_id)
    except (BidUpload.DoesNotExist, ValueError, TypeError, ValidationError):  # ValidationError: a malformed id
        raise NotFound() from None
    # Only the user who created the upload may add to it or finalize it.
    if upload.user_id != actor.pk:
        raise Forbidden(_("Only the person who started this upload may continue it."), code="not_upload_owner")
    return upload


def receive_part(*, actor, upload_id, offset, stream, length, sha256=None):
    """Append one part. `offset` must be exactly what the server holds (ask for it to resume);
    `sha256`, if given, is the part's hash: a part that arrives different is not kept."""
    sha256 = sha256.strip().lower() if sha256 else None
    with transaction.atomic():
        upload = access_upload(actor, upload_id, for_update=True)
        if upload.status != BidUpload.Status.OPEN:
            raise DomainError("upload_closed", _("This upload is closed."), http_status=409)
        if _deadline_passed(upload.tender, timezone.now()):
            raise _refuse_deadline()
        if offset != upload.received:
            raise DomainError("offset_mismatch", _("The server holds %(n)s bytes of this upload: continue from there.")
                              % {"n": upload.received}, http_status=409, received=upload.received)
        if length > PART_SIZE:
            # The ASGI server holds a request body in memory: parts are bounded, bids are not.
            raise DomainError("part_too_large", _("A part may be at most %(n)s MiB.") % {"n": PART_SIZE // 2**20},
                              http_status=413, received=upload.received)
        if length < 0 or upload.received + length > upload.declared_size:
            raise DomainError("part_beyond_size", _("This part goes beyond the announced size of the bid."),
                              http_status=413, received=upload.received)
        written, digest = bidstore.write_at(upload.storage_name, offset, stream, length, sha256)
        if written != length:
            raise DomainError("incomplete_part", _("The part arrived incomplete; send it again."),
                              received=upload.received)
        if sha256 is not None and digest != sha256:
            raise DomainError("part_sha256_mismatch", _("The part arrived damaged; send it again."),
                              received=upload.received)
        upload.received += written
        upload.save(update_fields=["received", "updated_at"])
    return upload


def _refuse_upload(upload, code, actor):
    """Record a refusal in its own transaction (the caller's is rolled back by the error)."""
    with transaction.atomic():
        BidUpload.objects.filter(pk=upload.pk).update(status=BidUpload.Status.REFUSED, refusal_code=code)
        chain.append("bid.refused", actor=actor, role="bidder", region=upload.tender.region,
                     tender_ref=upload.tender.code, payload={"upload": str(upload.pk), "code": code})
    transaction.on_commit(lambda: bidstore.delete(upload.storage_name))


ENVELOPE_MESSAGES = {
    "bad_magic": _("This file is not a sealed bid: unencrypted bids are refused."),
    "bad_header": _("The sealed bid's header is malformed."),
    "bad_wrapped_key": _("The sealed bid's wrapped keys are malformed."),
    "bad_size": _("The sealed bid's size does not match its header."),
    "wrong_signing_key": _("The bid is not signed with your organization's registered signing key."),
    "wrong_tender": _("The bid was sealed for another tender."),
    "wrong_opening_key": _("The bid was sealed to another opening key."),
    "bad_signature": _("The bid's signature does not verify."),
}


def finalize_upload(*, actor, upload_id, sha256=None):
    """Check the envelope, stamp the server time, replace any earlier bid, sign the receipt.
    `sha256`: the whole envelope's hash as the client computed it (the CLI does; a browser cannot
    hash a stream, so it sends each part's hash instead and may omit this)."""
    sha256 = (sha256 or "").strip().lower() or None
    with transaction.atomic():
        upload = access_upload(actor, upload_id, for_update=True)
        # No lock on the tender while a large envelope is checked: other bidders finalize meanwhile.
        tender = Tender.objects.select_related("region", "opening_key").get(pk=upload.tender_id)
        if upload.status != BidUpload.Status.OPEN:
            raise DomainError("upload_closed", _("This upload is closed."), http_status=409)
        now = timezone.now()
        refusal = None
        if _deadline_passed(tender, now):
            refusal = _refuse_deadline()
        elif upload.received != upload.declared_size:
            refusal = DomainError("incomplete_upload", _("The upload is incomplete: %(got)s of %(size)s bytes.")
                                  % {"got": upload.received, "size": upload.declared_size}, received=upload.received,
                                  http_status=409)
        else:
            key = PublicKey.objects.filter(organization_id=upload.organization_id, purpose="bid_signing",
                                           revoked_at__isnull=True).first()
            if key is None:
                refusal = DomainError("no_signing_key", _("Register your organization's signing key first."))
            else:
                try:
                    with bidstore.open_file(upload.storage_name) as f:
                        info = check_structure(f, key.spki_pem, expected_tender_id=tender.code,
                                               expected_opening_fingerprint=tender.opening_key.fingerprint)
                except EnvelopeError as exc:
                    refusal = DomainError(exc.code, ENVELOPE_MESSAGES.get(exc.code, str(exc)))
                else:
                    if sha256 is not None and sha256 != info.sha256:
                        refusal = DomainError("sha256_mismatch", _("What the server received does not match the "
                                                                  "SHA-256 you sent: upload again."))
        if refusal is not None:
            transaction.set_rollback(True)
    if refusal is not None:
        if refusal.code == "incomplete_upload":
            raise refusal  # finalize came too early: the upload stays open, nothing received is lost
        _refuse_upload(upload, refusal.code, actor)
        raise refusal
    seal_key = _seal_key()  # before any lock: every finalize and ledger write would wait on it
    with transaction.atomic():
        upload = access_upload(actor, upload_id, for_update=True)
        tender = Tender.objects.select_for_update(of=("self",)).select_related("region").get(pk=upload.tender_id)
        now = timezone.now()
        if upload.status != BidUpload.Status.OPEN or _deadline_passed(tender, now):
            raise _refuse_deadline() if _deadline_passed(tender, now) else DomainError(
                "upload_closed", _("This upload is closed."), http_status=409)
        previous = list(Bid.objects.select_for_update().filter(tender=tender, organization_id=upload.organization_id,
                                                               status=Bid.Status.SUBMITTED))
        for old in previous:
            old.status = Bid.Status.REPLACED
            old.save(update_fields=["status"])
            chain.append("bid.replaced", actor=actor, role="bidder", region=tender.region, tender_ref=tender.code,
                         payload={"bid": old.pk, "receipt_no": old.receipt_no})
        number = Bid.objects.filter(tender=tender).count() + 1
        receipt_no = f"{tender.code}-R{number:04d}"
        org = actor.organization
        receipt = {
            "format": RECEIPT_FORMAT, "receipt_no": receipt_no, "tender": tender.code, "tender_title": tender.title,
            "bidder": org.name, "credit_code": org.credit_code, "envelope_sha256": info.sha256,
            "size": upload.declared_size, "received_at": utc_iso(now), "upload": str(upload.pk),
        }
        entry = chain.append("bid.submitted", actor=actor, role="bidder", region=tender.region, tender_ref=tender.code,
                             payload={"receipt_no": receipt_no, "organization": org.pk, "sha256": info.sha256,
                                      "size": upload.declared_size, "replaces": [b.receipt_no for b in previous]})
        receipt["ledger_seq"] = entry.seq
        receipt_text, signature = sign_receipt(receipt, seal_key)
        bid = Bid.objects.create(tender=tender, organization=org, submitted_by=actor, upload=upload,
                                 envelope=upload.storage_name, size=upload.declared_size, sha256=info.sha256,
                                 header=info.header, submitted_at=now, receipt_no=receipt_no, receipt=receipt_text,
                                 receipt_signature=signature)
        upload.status = BidUpload.Status.FINALIZED
        upload.save(update_fields=["status", "updated_at"])
        send_event_on_commit(groups.tender(tender.pk), "tender.bids_changed", {"tender": tender.pk})
        transaction.on_commit(lambda: _receipt_pdf(bid.pk))
    return bid


def _seal_key():
    from records.pki import cached_platform_seal

    return cached_platform_seal().private_key


def _receipt_pdf(bid_id):
    """The receipt's PDF, rendered and signed by the records engine in the background."""
    from .receipt_pdf import enqueue_receipt_pdf

    enqueue_receipt_pdf(bid_id)


def withdraw_bid(*, actor, bid_id):
    with transaction.atomic():
        try:
            bid = Bid.objects.select_for_update(of=("self",)).select_related("tender__region").get(pk=bid_id)
        except (Bid.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        check(actor, "bid.manage", bid)
        if bid.status != Bid.Status.SUBMITTED:
            raise DomainError("not_submitted", _("Only a submitted bid can be withdrawn."), http_status=409)
        now = timezone.now()
        if _deadline_passed(bid.tender, now):
            raise _refuse_deadline()
        bid.status, bid.withdrawn_at = Bid.Status.WITHDRAWN, now
        bid.save(update_fields=["status", "withdrawn_at"])
        chain.append("bid.withdrawn", actor=actor, role="bidder", region=bid.tender.region,
                     tender_ref=bid.tender.code, payload={"bid": bid.pk, "receipt_no": bid.receipt_no})
        send_event_on_commit(groups.tender(bid.tender_id), "tender.bids_changed", {"tender": bid.tender_id})
    return bid
