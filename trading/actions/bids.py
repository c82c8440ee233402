"""Sealed-bid actions: resumable upload, finalize with a signed receipt, withdraw (docs/architecture.md §5).

The server never sees a bid's content: it checks the envelope's structure and the bidder's signature,
stamps the server's time, and refuses anything after the deadline (电子招标投标办法)."""

import datetime
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actions import check_organization_verified
from accounts.background import enqueue
from accounts.errors import DomainError, Forbidden, NotFound
from accounts.models import PublicKey
from accounts.permissions import check
from ledger import chain
from ledger.canonical import utc_iso
from sealedbid.envelope import EnvelopeError, check_structure

from .. import bidstore, rules, sealed_log
from ..models import Bid, BidUpload, Tender
from ..receipts import RECEIPT_FORMAT, sign_receipt

PART_SIZE = 8 * 1024 * 1024
# Unfinished uploads one bidder may hold per tender: a resumed upload plus a fresh one is enough, and
# the platform's disk is not an open store (each may be as large as the tender allows).
MAX_OPEN_UPLOADS = 2
UPLOAD_SWEEP_DELAY = datetime.timedelta(minutes=15)  # longer than any one part or envelope check takes
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread
# Tender states in which bidding is open (until the deadline; past it, for a finalize that arrived before
# it): the clock marks the deadline (CLOSED) before the opening closes the bidding (start_opening).
BIDDING_STATES = (Tender.Status.PUBLISHED, Tender.Status.CLOSED)


def finalize_grace():
    """How long past the deadline the opening waits for finalizes that arrived before it
    (settings.BID_FINALIZE_GRACE, seconds)."""
    return datetime.timedelta(seconds=float(settings.BID_FINALIZE_GRACE))


def new_receipt_no():
    """An unguessable receipt number. A count per tender would tell a bidder holding R0003 that two
    others have bid (招标投标法 art. 22)."""
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(15))
    return f"R-{chars[:5]}-{chars[5:10]}-{chars[10:]}"


def _deadline_passed(tender, now):
    return now >= tender.bid_deadline


def _suspended(tender):
    """An objection to the documents is unanswered: no bid is finalized (实施条例 art. 22); uploads go on."""
    return tender.objections.filter(answered_at__isnull=True).exists()


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
        check_organization_verified(actor.organization)
        # The bidder's row: the open-upload bound below is checked and kept under it. The tender's share
        # lock: the deadline's reveal (close_bidding) waits for the commitment logged here, other bidders
        # do not.
        sealed_log.lock_organization(actor.organization_id)
        tender = sealed_log.lock_tender(tender.pk, share=True)
        # The deadline first: once the opening has started the tender is no longer PUBLISHED, and a bidder
        # arriving late is told that its deadline passed (the load run found "does not accept bids").
        if _deadline_passed(tender, timezone.now()):
            raise _refuse_deadline()
        if tender.status not in BIDDING_STATES or not hasattr(tender, "opening_key"):
            raise DomainError("not_accepting_bids", _("This tender does not accept bids."), http_status=409)
        if size > tender.max_bid_bytes:
            raise DomainError("bid_too_large", _("The bid is larger than this tender allows (%(limit)s MB).")
                              % {"limit": tender.max_bid_bytes // 2**20}, http_status=413)
        open_uploads = BidUpload.objects.filter(tender=tender, organization_id=actor.organization_id,
                                                status=BidUpload.Status.OPEN).count()
        if open_uploads >= MAX_OPEN_UPLOADS:
            raise DomainError("too_many_open_uploads",
                              _("Your organization already has %(n)s unfinished uploads for this tender: continue "
                                "one of them or discard it first.") % {"n": open_uploads}, http_status=409)
        upload_id = uuid.uuid4()
        name = bidstore.create(f"bids/{tender.pk}/{upload_id}.sealed")
        upload = BidUpload.objects.create(id=upload_id, tender=tender, organization_id=actor.organization_id,
                                          user=actor, declared_size=size, storage_name=name)
        sealed_log.log_bid_event("bid.upload_created", actor=actor, tender_id=tender.pk,
                                 payload={"upload": str(upload_id), "size": size})
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
        _check_open(upload)
        if _deadline_passed(upload.tender, timezone.now()):
            raise _refuse_deadline()
        if offset != upload.received:
            raise DomainError("offset_mismatch", _("The server holds %(n)s bytes of this upload: continue from there.")
                              % {"n": upload.received}, http_status=409, received=upload.received)
        if length > PART_SIZE:
            # daphne spools a whole request body before the platform sees it: parts are bounded, bids are not.
            raise DomainError("part_too_large", _("A part may be at most %(n)s MiB.") % {"n": PART_SIZE // 2**20},
                              http_status=413, received=upload.received)
        if length < 0 or upload.received + length > upload.declared_size:
            raise DomainError("part_beyond_size", _("This part goes beyond the announced size of the bid."),
                              http_status=413, received=upload.received)
        written, digest = bidstore.write_at(upload.storage_name, offset, stream, length, sha256)
        if written > length:
            raise DomainError("invalid_part", _("The part is longer than its Content-Length."),
                              received=upload.received)
        if written != length:
            raise DomainError("incomplete_part", _("The part arrived incomplete; send it again."),
                              received=upload.received)
        if sha256 is not None and digest != sha256:
            raise DomainError("part_sha256_mismatch", _("The part arrived damaged; send it again."),
                              received=upload.received)
        upload.received += written
        upload.save(update_fields=["received", "updated_at"])
    return upload


def _check_open(upload):
    if upload.status == BidUpload.Status.EXPIRED:
        raise _refuse_deadline()
    if upload.status != BidUpload.Status.OPEN:
        raise DomainError("upload_closed", _("This upload is closed."), http_status=409)


def _refuse_upload(upload, code, actor):
    """Record a refusal in its own transaction (the caller's is rolled back by the error)."""
    with transaction.atomic():
        BidUpload.objects.filter(pk=upload.pk).update(status=BidUpload.Status.REFUSED, refusal_code=code)
        sealed_log.log_bid_event("bid.refused", actor=actor, tender_id=upload.tender_id,
                                 payload={"upload": str(upload.pk), "code": code})
    transaction.on_commit(lambda: bidstore.delete(upload.storage_name))


def abandon_upload(*, actor, upload_id):
    """The bidder discards an unfinished upload: its file is deleted and it no longer counts toward
    MAX_OPEN_UPLOADS."""
    with transaction.atomic():
        upload = access_upload(actor, upload_id, for_update=True)
        if upload.status != BidUpload.Status.OPEN:
            raise DomainError("upload_closed", _("This upload is closed."), http_status=409)
        upload.status = BidUpload.Status.ABANDONED
        upload.save(update_fields=["status", "updated_at"])
        sealed_log.log_bid_event("bid.upload_abandoned", actor=actor, tender_id=upload.tender_id,
                                 payload={"upload": str(upload.pk), "received": upload.received})
        name = upload.storage_name
        transaction.on_commit(lambda: bidstore.delete(name))
    return upload


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


def finalize_upload(*, actor, upload_id, sha256=None, client_ip=None, client_device="", arrived=None):
    """Check the envelope, stamp the time it arrived, replace any earlier bid, sign the receipt.
    `sha256`: the whole envelope's hash as the client computed it (the CLI does; a browser cannot
    hash a stream, so it sends each part's hash instead and may omit this). `client_ip`, `client_device`:
    where the request came from, kept for the collusion alerts only (evaluation/alerts_origin.py). `arrived`:
    when the request reached the server (before it queued there), else now."""
    sha256 = (sha256 or "").strip().lower() or None
    now = timezone.now()
    arrived = _note_arrival(actor, upload_id, min(arrived, now) if arrived is not None else now)
    with transaction.atomic():
        upload = access_upload(actor, upload_id, for_update=True)
        check_organization_verified(actor.organization)
        # No lock on the tender while a large envelope is checked: other bidders finalize meanwhile.
        tender = Tender.objects.select_related("region", "opening_key").get(pk=upload.tender_id)
        _check_open(upload)
        refusal = None
        if _deadline_passed(tender, arrived):
            refusal = _refuse_deadline()
        elif _suspended(tender):
            refusal = rules.tender_suspended(tender.category)
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
        if refusal.code in ("incomplete_upload", "tender_suspended"):
            raise refusal  # finalize came too early: the upload stays open, nothing received is lost
        _refuse_upload(upload, refusal.code, actor)
        raise refusal
    seal_key = _seal_key()  # before any lock: every finalize and ledger write would wait on it
    with transaction.atomic():
        upload = access_upload(actor, upload_id, for_update=True)
        # The bidder's row: its earlier bid is replaced by one finalize at a time. The tender's share lock:
        # the bidding cannot close meanwhile, and other bidders finalize side by side.
        sealed_log.lock_organization(upload.organization_id)
        tender = sealed_log.lock_tender(upload.tender_id, share=True)
        # Received when it arrived, however long the check took; unless the opening has closed the bidding
        # meanwhile (it waited BID_FINALIZE_GRACE for this one), which expired the upload too.
        now = arrived
        if _deadline_passed(tender, now) or tender.status not in BIDDING_STATES:
            raise _refuse_deadline()
        if _suspended(tender):  # an objection raised meanwhile (it takes the tender's lock too)
            raise rules.tender_suspended(tender.category)
        _check_open(upload)
        previous = list(Bid.objects.select_for_update().filter(tender=tender, organization_id=upload.organization_id,
                                                               status=Bid.Status.SUBMITTED))
        for old in previous:
            old.status = Bid.Status.REPLACED
            old.save(update_fields=["status"])
            sealed_log.log_bid_event("bid.replaced", actor=actor, tender_id=tender.pk, now=now,
                                     payload={"bid": old.pk, "receipt_no": old.receipt_no})
        receipt_no = new_receipt_no()
        org = actor.organization
        receipt = {
            "format": RECEIPT_FORMAT, "receipt_no": receipt_no, "tender": tender.code, "tender_title": tender.title,
            "bidder": org.name, "credit_code": org.credit_code, "envelope_sha256": info.sha256,
            "size": upload.declared_size, "received_at": utc_iso(now), "upload": str(upload.pk),
        }
        entry, commitment = sealed_log.log_bid_event(
            "bid.submitted", actor=actor, tender_id=tender.pk, now=now,
            payload={"receipt_no": receipt_no, "organization": org.pk, "credit_code": org.credit_code,
                     "sha256": info.sha256, "size": upload.declared_size, "upload": str(upload.pk),
                     "replaces": [b.receipt_no for b in previous]})
        # The bidder's own evidence that the log recorded its bid when it arrived: the entry and the
        # commitment revealed at the deadline (docs/trading-log-commitments.md).
        receipt["ledger_seq"] = entry.seq
        receipt["ledger_commitment"] = commitment
        receipt_text, signature = sign_receipt(receipt, seal_key)
        bid = Bid.objects.create(tender=tender, organization=org, submitted_by=actor, upload=upload,
                                 envelope=upload.storage_name, size=upload.declared_size, sha256=info.sha256,
                                 header=info.header, submitted_at=now, receipt_no=receipt_no, receipt=receipt_text,
                                 receipt_signature=signature, client_ip=client_ip or None,
                                 client_device=(client_device or "")[:64])
        upload.status = BidUpload.Status.FINALIZED
        upload.save(update_fields=["status", "updated_at"])
        # No realtime event: anyone listening to the tender would learn that someone has bid.
        transaction.on_commit(lambda: _receipt_pdf(bid.pk))
        if timezone.now() >= tender.bid_deadline:  # the opening may have been waiting for this bid
            tender_id = tender.pk
            transaction.on_commit(lambda: enqueue("trading.start_opening", tender_id))
    return bid


def _note_arrival(actor, upload_id, now):
    """When this finalize arrived, for the rest of it to be judged by: a bid is delivered when the bidder
    submits the complete upload (招标投标法 art. 28), and every bid delivered before the deadline is opened
    (art. 36), however long the platform then takes to check the envelope. Returns the first arrival of a
    finalize of this upload before the deadline, recorded here in a transaction of its own before the
    check starts, else `now`. The opening sees the record and waits for the bid (start_opening). The
    tender's lock orders the two: the record is written before the bidding closes, or not at all."""
    with transaction.atomic():
        upload = access_upload(actor, upload_id, for_update=True)
        if upload.finalize_arrived_at is not None:
            return min(upload.finalize_arrived_at, now)
        if upload.status != BidUpload.Status.OPEN or upload.received != upload.declared_size:
            return now
        tender = sealed_log.lock_tender(upload.tender_id, share=True)
        if not _deadline_passed(tender, now) and tender.status in BIDDING_STATES and not _suspended(tender):
            BidUpload.objects.filter(pk=upload.pk).update(finalize_arrived_at=now)
    return now


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
            tender_id = Bid.objects.values_list("tender_id", flat=True).get(pk=bid_id)
        except (Bid.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        # The tender first, then the bid: finalize locks in that order, so the two never deadlock.
        tender = sealed_log.lock_tender(tender_id)
        bid = Bid.objects.select_for_update(of=("self",)).get(pk=bid_id)
        bid.tender = tender
        check(actor, "bid.manage", bid)
        if bid.status != Bid.Status.SUBMITTED:
            raise DomainError("not_submitted", _("Only a submitted bid can be withdrawn."), http_status=409)
        now = timezone.now()
        if _deadline_passed(tender, now):
            raise _refuse_deadline()
        bid.status, bid.withdrawn_at = Bid.Status.WITHDRAWN, now
        bid.save(update_fields=["status", "withdrawn_at"])
        sealed_log.log_bid_event("bid.withdrawn", actor=actor, tender_id=tender.pk, now=now,
                                 payload={"bid": bid.pk, "receipt_no": bid.receipt_no})
    return bid


def close_bidding(tender):
    """At the deadline, inside start_opening's transaction with the tender locked: publish what the
    trading log sealed before it (trading.sealed_log) and expire the uploads nobody finished."""
    sealed_log.reveal(tender)
    # An upload busy right now (a part being written, an envelope being checked) is skipped rather than
    # waited for with the tender locked; the follow-up sweep scheduled here expires it if still open.
    expire_uploads(tender, skip_locked=True)
    tender_id = tender.pk
    transaction.on_commit(lambda: _schedule_upload_sweep(tender_id))


def _schedule_upload_sweep(tender_id):
    enqueue("trading.expire_uploads", tender_id, run_after=timezone.now() + UPLOAD_SWEEP_DELAY)


def expire_uploads(tender, *, skip_locked=False):
    """Expire the unfinished uploads of a tender past its deadline and delete their files, each logged.
    Who started them may be logged now: the deadline has passed (招标投标法 art. 22)."""
    expired = list(BidUpload.objects.select_for_update(skip_locked=skip_locked)
                   .filter(tender=tender, status=BidUpload.Status.OPEN).order_by("created_at", "id"))
    for upload in expired:
        upload.status = BidUpload.Status.EXPIRED
        upload.save(update_fields=["status", "updated_at"])
        chain.append("bid.upload_expired", role="system", region=tender.region, tender_ref=tender.code, payload={
            "upload": str(upload.pk), "organization": upload.organization_id, "received": upload.received,
            "size": upload.declared_size})
    names = [u.storage_name for u in expired]
    transaction.on_commit(lambda: [bidstore.delete(name) for name in names])
    return expired


def sweep_expired_uploads(tender_id):
    """The follow-up sweep (a background task a while after the deadline)."""
    with transaction.atomic():
        tender = Tender.objects.select_related("region").get(pk=tender_id)
        if not _deadline_passed(tender, timezone.now()):
            return 0
        return len(expire_uploads(tender))
