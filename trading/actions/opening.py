"""The remote opening (不见面开标, docs/architecture.md §5): the hall, key release, decryption, 唱标, confirmations.

Every step is logged and numbered in the hall's event stream (realtime.events.append_stream_event),
so every attendee, on any ASGI process, sees the same events in the same order."""

import base64
import contextlib
import datetime
import logging
import os
import shutil
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.background import enqueue
from accounts.errors import DomainError, Forbidden, NotFound
from accounts.permissions import check
from ledger import chain
from ledger.canonical import utc_iso
from realtime import groups
from realtime.events import append_stream_event
from sealedbid import ceremony

from ..announce import announce
from ..models import (
    Bid,
    BidUpload,
    HallAttendance,
    OpenedBid,
    OpenedFile,
    Opening,
    OpeningConfirmation,
    Tender,
    TenderCustodian,
)
from ..opening_parallel import OpeningPool, open_bid

MIN_BIDS = 3  # 招标投标法 art. 28; 实施条例 art. 44
MAX_TEXT_CHARS = 2000  # an objection or an answer; the hall's socket also bounds whole messages
MAX_WINDOW_MINUTES = 24 * 60  # the host's confirmation window
MAX_ANSWERED_AT_ONCE = 500  # far above what one-open-objection-per-bidder allows; bounds one transaction
# 电子招标投标办法 art. 31: what makes a bid undecryptable through the bidder's own fault (→ revoked).
BIDDER_FAULTS = {"wrong_key", "corrupt_chunk", "truncated", "bad_manifest", "bad_signature", "bad_header",
                 "bad_wrapped_key", "bad_size", "bad_magic", "wrong_tender", "wrong_opening_key"}
REASONS = {
    "wrong_key": "开标密钥无法解开投标文件的内容密钥(投标人加密错误)",
    "corrupt_chunk": "投标文件密文校验失败(投标人加密文件损坏)",
    "truncated": "投标文件不完整(投标人加密文件损坏)",
    "bad_manifest": "投标文件内容清单无效(投标人加密错误)",
    "bad_signature": "投标人签名验证失败",
    "storage": "平台存储的投标文件无法读取(非投标人原因)",
}

logger = logging.getLogger(__name__)


def hall_stream(tender_id):
    return groups.opening_hall(tender_id)


def _event(tender, event_type, data):
    return append_stream_event(hall_stream(tender.pk), event_type, data)


def _log(action, actor, tender, payload, role=""):
    return chain.append(action, actor=actor, role=role, region=tender.region, tender_ref=tender.code,
                        payload={"tender": tender.pk, **payload})


def _locked_tender(tender_id):
    try:
        return Tender.objects.select_for_update(of=("self",)).select_related("region__parent").get(pk=tender_id)
    except (Tender.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such tender.")) from None


def start_opening(tender_id, now=None):
    """At the deadline (the clock task, or the first hall action after it): open the hall, or fail the
    tender when fewer than 3 bids are in. Idempotent."""
    now = now or timezone.now()
    # Every hall connection calls this: once the hall is open (or the tender failed), no lock is taken.
    if not Tender.objects.filter(pk=tender_id, status__in=(Tender.Status.PUBLISHED, Tender.Status.CLOSED),
                                 bid_deadline__lte=now).exists():
        return None
    with transaction.atomic():
        tender = _locked_tender(tender_id)
        if tender.status not in (Tender.Status.PUBLISHED, Tender.Status.CLOSED) or now < tender.bid_deadline:
            return tender
        if tender.objections.filter(answered_at__isnull=True).exists():
            # Suspended (实施条例 art. 22): the deadline does not pass into the opening; the answer sets a
            # new deadline (rules.resumed_deadline).
            return tender
        from .bids import close_bidding, finalize_grace

        if now < tender.bid_deadline + finalize_grace() and tender.uploads.filter(
                status=BidUpload.Status.OPEN, finalize_arrived_at__isnull=False).exists():
            # A bid delivered before the deadline is still being checked (bids.finalize_upload): it is
            # opened with the others (招标投标法 art. 36), so the bidding closes once it is decided.
            _retry_opening_soon(tender.pk)
            return tender
        close_bidding(tender)  # reveal the sealed bid log entries, expire unfinished uploads
        live = tender.bids.filter(status=Bid.Status.SUBMITTED).count()
        if live < MIN_BIDS:
            # 招标投标法 art. 28, 实施条例 art. 44: fewer than 3 bidders: do not open; re-tender.
            tender.status, tender.failure_reason = Tender.Status.FAILED, "fewer_than_three_bids"
            tender.save(update_fields=["status", "failure_reason"])
            _log("tender.failed", None, tender, {"reason": "fewer_than_three_bids", "bids": live}, role="system")
            announce(tender, "failure", source="fewer_than_three_bids")
            _event(tender, "opening.failed", {"reason": "fewer_than_three_bids", "bids": live})
            return tender
        tender.status = Tender.Status.OPENING
        tender.save(update_fields=["status"])
        Opening.objects.create(tender=tender, started_at=now)
        _log("opening.started", None, tender, {"bids": live}, role="system")
        _notify_custodians(tender)
        _event(tender, "opening.started", {"bids": live, "threshold": tender.opening_key.threshold,
                                           "bidders": _bidder_names(tender)})
    return tender


def _retry_opening_soon(tender_id):
    """start_opening again in a second (once a second, however many hall connections ask meanwhile); a
    finalize that completes calls it at once."""
    if cache.add(f"opening-retry:{tender_id}", 1, timeout=1):
        transaction.on_commit(lambda: enqueue("trading.start_opening", tender_id,
                                              run_after=timezone.now() + datetime.timedelta(seconds=1)))


def _bidder_names(tender):
    """Who bid: revealed only at the opening (招标投标法 art. 22 keeps it secret until then)."""
    return list(tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("submitted_at")
                .values_list("organization__name", flat=True))


def _notify_custodians(tender):
    """The custodians who hold a share are told to come and release it (issue 14: a notice and a text,
    sent once the opening commits)."""
    from django.urls import reverse

    from accounts.models import Notice
    from accounts.notices import notify_all

    holders = [row.user for row in TenderCustodian.objects.filter(tender=tender, released_at__isnull=True)
               .select_related("user").order_by("id")]
    notify_all(holders, Notice.Kind.SHARE,
               _("The opening of %(tender)s has started: sign in to the opening hall and release your key share."),
               reverse("trading:hall", args=[tender.pk]), params={"tender": tender.code})


def _attendee_role(user, tender):
    from accounts.models import Role
    from accounts.permissions import has_role

    if has_role(user, Role.STAFF, tender.region):
        return "host"
    if has_role(user, Role.REGULATOR, tender.region):
        return "supervisor"
    if TenderCustodian.objects.filter(tender=tender, user=user).exists():
        return "custodian"
    if user.organization_id and tender.bids.filter(organization_id=user.organization_id).exists():
        return "bidder"
    return None


def sign_in_hall(*, actor, tender_id):
    """签到: attendance is recorded once; bidders' names are shown only from the opening on."""
    with transaction.atomic():
        tender = _locked_tender(tender_id)
        check(actor, "opening.attend", tender)
        role = _attendee_role(actor, tender)
        now = timezone.now()
        if role == "bidder" and now < tender.bid_deadline:
            # 招标投标法 art. 22: a bidder signing in before the deadline would show everyone in the hall
            # (and the trading log) that it has bid.
            raise DomainError("too_early", _("Bidders sign in from the opening time on: before it, no one may "
                                             "learn who has bid (Bidding Law, art. 22)."), http_status=409)
        attendance, created = HallAttendance.objects.get_or_create(
            tender=tender, user=actor,
            defaults={"organization_id": actor.organization_id, "role": role, "signed_in_at": now})
        if created:
            _log("opening.signed_in", actor, tender, {"role": role, "organization": actor.organization_id}, role=role)
            _event(tender, "hall.signed_in", attendee_data(attendance, tender, now))
    return attendance


def attendee_data(attendance, tender, now=None):
    now = now or timezone.now()
    revealed = attendance.role != "bidder" or now >= tender.bid_deadline
    name = (attendance.organization.name if attendance.role == "bidder" and attendance.organization_id
            else str(attendance.user))
    return {"role": attendance.role, "name": name if revealed else None, "at": utc_iso(attendance.signed_in_at)}


def release_share(*, actor, tender_id, share_b64):
    """A custodian releases their share, only at or after the opening time, once, and only if it
    matches the hash kept at the ceremony. With k shares, decryption starts in the background."""
    try:
        share = base64.b64decode(share_b64 or "", validate=True)
    except ValueError:
        share = b""
    if len(share) != 33:
        raise DomainError("invalid_share", _("A share is 33 bytes, sent in base64."))
    start_opening(tender_id)
    with transaction.atomic():
        tender = _locked_tender(tender_id)
        custodian = TenderCustodian.objects.select_for_update().filter(tender=tender, user=actor).first()
        if custodian is None:
            raise Forbidden(_("You are not a key custodian of this tender."), code="not_a_custodian")
        now = timezone.now()
        if now < tender.bid_deadline:
            # 电子招标投标办法: nobody decrypts before the deadline.
            raise DomainError("too_early", _("Shares are accepted only from the opening time on."), http_status=409)
        if tender.status == Tender.Status.FAILED:
            raise DomainError("opening_failed", _("This tender failed: it will not be opened."), http_status=409)
        if custodian.released_at is not None:
            raise DomainError("already_released", _("You have already released your share."), http_status=409)
        record = ceremony.OpeningKeyCeremony.from_dict(tender.opening_key.ceremony)
        try:
            index = ceremony.check_share(record, share)
        except ceremony.WrongShares:
            index = None
        wrong = index != custodian.index
        if wrong:
            transaction.set_rollback(True)
        else:
            released = _accept_share(actor, tender, custodian, share, index, record, now)
    if wrong:
        with transaction.atomic():  # the refusal itself is on the record
            _log("opening.share_refused", actor, tender, {"index": custodian.index}, role="custodian")
        raise DomainError("wrong_share", _("This share does not match the one kept for you: check the key file."))
    return released


def _accept_share(actor, tender, custodian, share, index, record, now):
    """Called inside release_share's transaction, with the tender locked."""
    custodian.released_share, custodian.released_at = base64.b64encode(share).decode(), now
    custodian.save(update_fields=["released_share", "released_at"])
    released = TenderCustodian.objects.filter(tender=tender, released_at__isnull=False).count()
    _log("opening.share_released", actor, tender, {"index": index, "key": custodian.key.fingerprint},
         role="custodian")
    _event(tender, "opening.share_released", {"custodian": str(actor), "index": index, "released": released,
                                               "threshold": record.threshold})
    opening = Opening.objects.select_for_update().get(tender=tender)
    if released >= record.threshold and opening.status == Opening.Status.AWAITING_SHARES:
        opening.status = Opening.Status.DECRYPTING
        opening.save(update_fields=["status"])
        _event(tender, "opening.decrypting", {"bids": tender.bids.filter(status=Bid.Status.SUBMITTED).count()})
        transaction.on_commit(lambda: _enqueue_open_bids(tender.pk))
    return released


def _enqueue_open_bids(tender_id):
    enqueue("trading.open_bids", tender_id)


def open_bids(tender_id, progress_every=8 * 1024 * 1024, processes=None):
    """Rebuild the opening key in memory and open every bid not yet opened: decrypted side by side in
    `processes` worker processes (default: settings.OPENING_PROCESSES, else one per CPU; 1 opens them in
    this process, as do bids smaller than OPENING_PARALLEL_MIN_BYTES in all), each recorded in its own transaction, in 唱标 order. Safe to run again after a crash:
    bids already opened are skipped, never opened twice; what a killed run half wrote is discarded."""
    opening = Opening.objects.select_related("tender__region", "tender__opening_key").get(tender_id=tender_id)
    tender = opening.tender
    if opening.status != Opening.Status.DECRYPTING:
        return 0
    shares = [base64.b64decode(c.released_share) for c in tender.custodians.filter(released_at__isnull=False)]
    key = ceremony.recover_opening_key(tender.opening_key.ceremony, shares)  # in memory only
    with transaction.atomic():
        if Opening.objects.filter(pk=opening.pk, key_rebuilt_at__isnull=True).update(key_rebuilt_at=timezone.now()):
            _log("opening.key_rebuilt", None, tender, {"fingerprint": tender.opening_key.fingerprint}, role="system")
            _event(tender, "opening.key_rebuilt", {"fingerprint": tender.opening_key.fingerprint})
    bids = list(tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("submitted_at", "id"))
    recorded = set(OpenedBid.objects.filter(bid__in=bids).values_list("bid_id", flat=True))
    todo = []
    for number, bid in enumerate(bids, start=1):
        if bid.pk in recorded:
            _discard_leftovers(bid)  # a run killed after recording it, before tidying
        else:
            todo.append((number, bid))
    if processes is None and sum(bid.size for _, bid in todo) < settings.OPENING_PARALLEL_MIN_BYTES:
        processes = 1  # starting a pool of processes costs more than it saves on a few small bids
    processes = min(len(todo), processes or getattr(settings, "OPENING_PROCESSES", None) or os.cpu_count() or 1)
    pool = None
    if processes > 1:
        try:
            pool = OpeningPool(processes)
            # Only the opening key's bytes travel to the workers (over a pipe, never to disk).
            pool.submit([_job(bid, key.export_key(format="DER"), progress_every) for _, bid in todo])
        except OSError as exc:  # no worker process could start (e.g. a server that reaps its children)
            logger.warning("opening of tender %s: no worker processes (%s); opening the bids in this process",
                           tender.pk, exc)
            if pool is not None:
                with contextlib.suppress(Exception):
                    pool.close(abort=True)
            pool = None
    opened, failed, pending = 0, True, {bid.pk: (number, bid) for number, bid in todo}
    try:
        for number, bid in todo:
            outcome = _open_one(tender, bid, number, len(bids), key, progress_every, pool=pool, pending=pending)
            if _record(tender, bid, number, outcome):
                opened += 1
        failed = False
    finally:
        if pool is not None:
            pool.close(abort=failed)
    with transaction.atomic():
        locked = Opening.objects.select_for_update().get(pk=opening.pk)
        if locked.status == Opening.Status.DECRYPTING and not tender.bids.filter(
                status=Bid.Status.SUBMITTED, opened__isnull=True).exists():
            locked.status, locked.decrypted_at = Opening.Status.READING, timezone.now()
            locked.save(update_fields=["status", "decrypted_at"])
            summary = dict(OpenedBid.objects.filter(bid__tender=tender).values_list("outcome").annotate(n=Count("id")))
            _log("opening.decrypted", None, tender, {"outcomes": summary}, role="system")
            _event(tender, "opening.decrypted", {"outcomes": summary})
    return opened


def _record(tender, bid, number, outcome):
    """One bid's outcome, its files, its log entry and its hall event: all or nothing. False when another
    run recorded the bid meanwhile (this run's files are then discarded)."""
    with transaction.atomic():
        locked = Bid.objects.select_for_update().get(pk=bid.pk)
        if OpenedBid.objects.filter(bid=locked).exists():  # another worker finished it meanwhile
            _discard(outcome)
            return False
        result = OpenedBid.objects.create(bid=locked, outcome=outcome["outcome"], reason_code=outcome["code"],
                                          reason=outcome["reason"], bid_letter=outcome["letter"],
                                          opened_at=timezone.now())
        OpenedFile.objects.bulk_create([OpenedFile(opened=result, **f) for f in outcome["files"]])
        _log("opening.bid_opened", None, tender, {"receipt_no": bid.receipt_no, "outcome": result.outcome,
                                                  "reason": result.reason_code, "letter": result.bid_letter},
             role="system")
        _event(tender, "opening.bid_opened", result_data(result, number))
    _discard_leftovers(bid)  # after the commit: a crash before it leaves them to the next run
    return True


def result_data(result, number):
    bid = result.bid
    return {"number": number, "bidder": bid.organization.name, "receipt_no": bid.receipt_no,
            "outcome": result.outcome, "reason": result.reason, "letter": result.bid_letter}


def _bid_folder(bid):
    return f"opened/{bid.tender_id}/{bid.pk}"


def _attempt_folder(tender_id, bid_id):
    """Each attempt at a bid writes into a folder of its own: a run killed halfway, or a second run
    racing this one, never writes into the files another attempt records."""
    return default_storage.path(f"opened/{tender_id}/{bid_id}/{uuid.uuid4().hex}")


def _job(bid, key, progress_every):
    return {"bid": bid.pk, "envelope": default_storage.path(bid.envelope),
            "out_dir": _attempt_folder(bid.tender_id, bid.pk), "key": key, "progress_every": progress_every}


def _discard(outcome):
    for f in outcome["files"]:
        default_storage.delete(f["storage_name"])
    if outcome.get("folder"):
        shutil.rmtree(default_storage.path(outcome["folder"]), ignore_errors=True)


def _discard_leftovers(bid):
    """Remove what attempts at this bid left that its record does not name: a killed worker's half-written
    files, a losing run's copies. The recorded files stay."""
    kept = {name.split("/")[3] for name in OpenedFile.objects.filter(opened__bid=bid)
            .values_list("storage_name", flat=True)}
    try:
        folder = default_storage.path(_bid_folder(bid))
        leftovers = [entry for entry in os.scandir(folder) if entry.name not in kept]
    except FileNotFoundError:
        return
    for entry in leftovers:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(entry.path)


def _open_one(tender, bid, number, total, key, progress_every, pool=None, pending=None):
    """Decrypt one bid to storage in one pass (sealedbid.stream_open: each chunk is read once, hashed and
    written as it comes); returns its outcome under 电子招标投标办法 art. 31. With a `pool`, the bid was
    given to the workers by open_bids and this waits for it, relaying to the hall the progress of every
    bid in `pending` ({bid id: (number, bid)}, the bids given to the workers and not yet recorded).

    Progress counts the stored envelope's bytes read (of `bid.size`), so the hall shows real units: every
    `progress_every` bytes, and once at the end however the bid ends (to its last byte when it opened)."""
    if pool is None:
        job = _job(bid, key, progress_every)
        result = open_bid(job, progress=lambda _bid, done, elapsed: _progress(
            tender, number, total, bid, done, elapsed))
    else:
        result = pool.result(bid.pk, lambda bid_id, done, elapsed: _relay_progress(
            tender, total, pending, bid_id, done, elapsed), lambda bid_id: _attempt_folder(tender.pk, bid_id))
        pending.pop(bid.pk, None)
    folder = os.path.relpath(result["out_dir"], default_storage.path(""))
    _progress(tender, number, total, bid, result["read"], result["elapsed"])
    code = result["error"]
    if code is not None:
        shutil.rmtree(result["out_dir"], ignore_errors=True)
        with contextlib.suppress(OSError):  # the bid's folder, unless another attempt's files are in it
            os.rmdir(os.path.dirname(result["out_dir"]))
        code = code if code in BIDDER_FAULTS else "storage"
        outcome = OpenedBid.Outcome.REVOKED if code in BIDDER_FAULTS else OpenedBid.Outcome.WITHDRAWN
        return {"outcome": outcome, "code": code, "reason": REASONS.get(code, REASONS["corrupt_chunk"]),
                "letter": {}, "files": [], "folder": folder}
    files = [{"name": f["name"], "media_type": f["media_type"], "size": f["size"], "sha256": f["sha256"],
              "storage_name": f"{folder}/{os.path.basename(f['path'])}"} for f in result["files"]]
    letter = result["letter"]
    problems = _check_letter(tender, letter)
    return {"outcome": OpenedBid.Outcome.OPENED, "code": "letter_incomplete" if problems else "",
            "reason": "投标函缺少或错填:" + "、".join(problems) if problems else "", "letter": letter,
            "files": files, "folder": folder}


def _relay_progress(tender, total, pending, bid_id, done, elapsed):
    """Progress of a bid a worker is opening; a bid's late reports (after its result) are dropped."""
    if bid_id in pending:
        number, bid = pending[bid_id]
        _progress(tender, number, total, bid, done, elapsed)


def _check_letter(tender, letter):
    problems = []
    for field in tender.bid_letter_fields:
        value = letter.get(field["key"]) if isinstance(letter, dict) else None
        if value is None:
            if field.get("required", True):
                problems.append(field["label"])
        elif field["type"] in ("money", "integer") and (not isinstance(value, int) or isinstance(value, bool)):
            problems.append(field["label"])
        elif field["type"] == "text" and not isinstance(value, str):
            problems.append(field["label"])
    return problems


def _progress(tender, number, total, bid, done, elapsed):
    """Bytes of the stored envelope read so far, of its size, and the rate since this bid started (the
    server's clock, so every client shows the same figures, replays included)."""
    with transaction.atomic():
        _event(tender, "opening.progress", {"number": number, "total": total, "bytes": done, "size": bid.size,
                                            "elapsed": round(elapsed, 3),
                                            "rate": int(done / elapsed) if elapsed > 0 and done else 0})


def confirm_record(*, actor, tender_id, objection_text=None):
    """A bidder confirms the opening record or raises an objection (实施条例 art. 44).

    Objections are bounded so that one bidder cannot stall the opening (the host must answer each
    before closing): one unanswered objection per bidder at a time, at most MAX_TEXT_CHARS characters,
    and never the same text twice from the same bidder."""
    text = _checked_text(objection_text, _("Write the objection."), "text") if objection_text is not None else ""
    with transaction.atomic():
        tender = _locked_tender(tender_id)  # serialises a bidder's objections: the checks below cannot race
        check(actor, "opening.confirm", tender)
        opening = Opening.objects.filter(tender=tender).first()
        if opening is None or opening.status != Opening.Status.READING:
            raise DomainError("not_reading", _("The opening record is not being read out now."), http_status=409)
        _check_window_open(opening, timezone.now())
        kind = OpeningConfirmation.Kind.OBJECTION if objection_text is not None else OpeningConfirmation.Kind.CONFIRM
        mine = OpeningConfirmation.objects.filter(tender=tender, organization_id=actor.organization_id, kind=kind)
        if kind == OpeningConfirmation.Kind.CONFIRM and mine.exists():
            raise DomainError("already_confirmed", _("Your organization has already confirmed."), http_status=409)
        if kind == OpeningConfirmation.Kind.OBJECTION:
            _check_objection_allowed(mine, text)
        item = OpeningConfirmation.objects.create(tender=tender, organization_id=actor.organization_id, user=actor,
                                                  kind=kind, text=text, at=timezone.now())
        _log(f"opening.{kind}", actor, tender, {"confirmation": item.pk, "text": text}, role="bidder")
        _event(tender, f"opening.{kind}", confirmation_data(item))
    return item


def _check_window_open(opening, now, host=False):
    if opening.confirm_until is not None and now >= opening.confirm_until:
        message = (_("The confirmation window closed at %(time)s: it is not opened again.") if host else _(
            "The confirmation window closed at %(time)s: the record lists your organization as not having "
            "confirmed, and objections are no longer taken here."))
        raise DomainError("confirm_window_closed", message % {
            "time": timezone.localtime(opening.confirm_until).strftime("%Y-%m-%d %H:%M")}, http_status=409)


def set_confirm_window(*, actor, tender_id, minutes):
    """The host gives the bidders `minutes` from now to confirm the record or object (实施条例 art. 44:
    objections are raised at the opening). Set, lengthened or shortened while it is open; once it has
    closed it stays closed, so no bidder is listed as unconfirmed and then let back in."""
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_WINDOW_MINUTES:
        raise DomainError("bad_window", _("The confirmation window is 1 to %(max)d minutes.")
                          % {"max": MAX_WINDOW_MINUTES}, field="minutes")
    with transaction.atomic():
        tender = _locked_tender(tender_id)
        check(actor, "opening.host", tender)
        opening = Opening.objects.select_for_update().filter(tender=tender).first()
        if opening is None or opening.status != Opening.Status.READING:
            raise DomainError("not_reading", _("The opening record is not being read out now."), http_status=409)
        now = timezone.now()
        _check_window_open(opening, now, host=True)
        opening.confirm_until = now + datetime.timedelta(minutes=minutes)
        opening.save(update_fields=["confirm_until"])
        _log("opening.confirm_window", actor, tender, {"until": utc_iso(opening.confirm_until)}, role="host")
        _event(tender, "opening.confirm_window", {"until": utc_iso(opening.confirm_until), "host": str(actor)})
    return opening


def unconfirmed_data(tender):
    """The bidders (by 唱标 number) whose organization has not confirmed the record; `objected` when it
    raised an objection instead."""
    confirmed = set(OpeningConfirmation.objects.filter(tender=tender, kind=OpeningConfirmation.Kind.CONFIRM)
                    .values_list("organization_id", flat=True))
    objected = set(OpeningConfirmation.objects.filter(tender=tender, kind=OpeningConfirmation.Kind.OBJECTION)
                   .values_list("organization_id", flat=True))
    bids = tender.bids.filter(status=Bid.Status.SUBMITTED).select_related("organization").order_by("submitted_at", "id")
    return [{"number": n, "bidder": bid.organization.name, "objected": bid.organization_id in objected}
            for n, bid in enumerate(bids, start=1) if bid.organization_id not in confirmed]


def _checked_text(value, required_message, field):
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError("required", required_message, field=field)
    if len(text) > MAX_TEXT_CHARS:
        raise DomainError("too_long", _("At most %(max)d characters (this one has %(n)d).")
                          % {"max": MAX_TEXT_CHARS, "n": len(text)}, field=field)
    return text


def _same_text(a, b):
    """Chinese is written without spaces: text that differs only in whitespace is the same objection."""
    return "".join(a.split()) == "".join(b.split())


def _check_objection_allowed(earlier, text):
    """`earlier`: this bidder's objections at this opening (the tender row is locked)."""
    if earlier.filter(answered_at__isnull=True).exists():
        raise DomainError("objection_pending", _("Your organization already has an objection awaiting the host's "
                                                 "answer: raise another once it is answered."), http_status=409)
    if any(_same_text(text, before) for before in earlier.values_list("text", flat=True)):
        raise DomainError("duplicate_objection", _("Your organization has already raised this objection."),
                          http_status=409)


def confirmation_data(item):
    return {"id": item.pk, "bidder": item.organization.name, "kind": item.kind, "text": item.text,
            "at": utc_iso(item.at), "answer": item.answer, "answered_at": utc_iso(item.answered_at) if item.answered_at
            else None}


def answer_objection_on_spot(*, actor, confirmation_id, answer):
    """The host answers one objection on the spot (实施条例 art. 44)."""
    tender_id = OpeningConfirmation.objects.filter(
        pk=_confirmation_ids([confirmation_id])[0], kind="objection").values_list("tender_id", flat=True).first()
    if tender_id is None:
        raise NotFound()
    return answer_objections_on_spot(actor=actor, tender_id=tender_id, confirmation_ids=[confirmation_id],
                                     answer=answer)[0]


def _confirmation_ids(value):
    ids = value if isinstance(value, list) else None
    if not ids or len(ids) > MAX_ANSWERED_AT_ONCE or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63 for i in ids):
        raise DomainError("bad_confirmations", _("Choose the objections to answer (at most %(n)d at once).")
                          % {"n": MAX_ANSWERED_AT_ONCE}, field="confirmations")
    return sorted(set(ids))


def answer_objections_on_spot(*, actor, tender_id, confirmation_ids, answer):
    """The host answers several objections of this opening with one text, all or none (实施条例 art. 44).

    Each objection gets its own log entry and hall event, exactly as when answered alone: the log keeps
    one shape for "this objection was answered so", each verifiable on its own, and every client updates
    each objection by its id."""
    answer = _checked_text(answer, _("Write the answer."), "answer")
    ids = _confirmation_ids(confirmation_ids)
    with transaction.atomic():
        tender = _locked_tender(tender_id)
        check(actor, "opening.host", tender)
        items = list(OpeningConfirmation.objects.select_for_update().select_related("organization")
                     .filter(tender=tender, kind="objection", pk__in=ids).order_by("pk"))
        if len(items) != len(ids):
            raise NotFound(_("Some of these objections are not objections of this opening."))
        if any(item.answered_at is not None for item in items):
            raise DomainError("already_answered", _("This objection has already been answered.") if len(items) == 1
                              else _("One of these objections has already been answered: choose again."),
                              http_status=409)
        now = timezone.now()
        for item in items:
            item.answer, item.answered_by, item.answered_at = answer, actor, now
            item.save(update_fields=["answer", "answered_by", "answered_at"])
            _log("opening.objection_answered", actor, tender, {"confirmation": item.pk, "answer": answer},
                 role="host")
            _event(tender, "opening.objection_answered", confirmation_data(item))
    return items


def close_opening(*, actor, tender_id):
    """The host closes the opening once every objection is answered; the signed record follows."""
    with transaction.atomic():
        tender = _locked_tender(tender_id)
        check(actor, "opening.host", tender)
        opening = Opening.objects.select_for_update().filter(tender=tender).first()
        if opening is None or opening.status != Opening.Status.READING:
            raise DomainError("not_reading", _("The opening can be closed only after every bid is opened."),
                              http_status=409)
        if OpeningConfirmation.objects.filter(tender=tender, kind="objection", answered_at__isnull=True).exists():
            raise DomainError("unanswered_objections",
                              _("Answer every objection before closing (Regulations, art. 44)."), http_status=409)
        if (opening.confirm_until is not None and timezone.now() < opening.confirm_until
                and unconfirmed_data(tender)):
            raise DomainError("confirm_window_open", _("The confirmation window is still open and some bidders "
                                                       "have not confirmed: close after it ends."), http_status=409)
        opening.status, opening.closed_at, opening.closed_by = Opening.Status.CLOSED, timezone.now(), actor
        opening.save(update_fields=["status", "closed_at", "closed_by"])
        tender.status = Tender.Status.OPENED
        tender.save(update_fields=["status"])
        _log("opening.closed", actor, tender, {}, role="host")
        _event(tender, "opening.closed", {"host": str(actor)})
        transaction.on_commit(lambda: _enqueue_record(tender.pk))
    return opening


def _enqueue_record(tender_id):
    enqueue("trading.opening_record", tender_id)


def read_opened_file(*, actor, file_id):
    """Decrypted documents: staff of the region (and later the committee) only; every read is logged."""
    with transaction.atomic():
        try:
            item = OpenedFile.objects.select_related("opened__bid__tender__region").get(pk=file_id)
        except (OpenedFile.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        tender = item.opened.bid.tender
        check(actor, "opening.read_documents", tender)
        from ..models import DocumentRead

        DocumentRead.objects.create(file=item, user=actor)
        _log("opening.document_read", actor, tender, {"file": item.pk, "sha256": item.sha256})
    return item
