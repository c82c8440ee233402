"""Clarifications (澄清): the committee, through its leader, asks one bidder in writing; the bidder answers
in its workspace before the deadline (招标投标法 art. 39; 实施条例 art. 52: only obvious errors or
ambiguities, the answer may not go beyond the bid or change its substance, and the committee may not
prompt or lead the bidder). docs/evaluation-session.md.

The trading log carries SHA-256 digests of the question and the answer, never their text: what the
committee asks is part of the evaluation, which stays confidential (实施条例 art. 49). The bidder's
organization hears of its own requests only (group `organization-<id>`), never of the session itself.
"""

import datetime
import hashlib
import secrets
from pathlib import PurePath

from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, NotFound
from accounts.models import Notice, Role
from accounts.notices import members_with_role, notify_all
from accounts.permissions import check, has_role
from config.ids import parse_int
from ledger.canonical import utc_iso
from realtime import groups
from realtime.events import send_event_on_commit
from trading.files import ALLOWED, check_document
from trading.models import OpenedBid

from ..models_session import Clarification, EvaluationSession, Member
from . import sessionbase as base

QUESTION_MAX = 2000
ANSWER_MAX = 5000
MIN_MINUTES, MAX_MINUTES = 10, 1440
MAX_ANSWER_FILE_BYTES = 20 * 1024 * 1024
# Clarifying what a bid says matters while the committee reviews and scores it.
ASKING_STAGES = {EvaluationSession.Stage.QUALIFICATION, EvaluationSession.Stage.SCORING,
                 EvaluationSession.Stage.REVIEW}


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bidder_row(clarification, now=None):
    """What the bidder's organization sees of one request: its tender, its own bid, the question and
    the answer. Nothing of the session (no experts, no scores, no other bidders)."""
    c = clarification
    tender = c.bid.bid.tender
    now = now or timezone.now()
    return {
        "id": c.pk,
        "tender": {"code": tender.code, "title": tender.title},
        "receipt_no": c.bid.bid.receipt_no,
        "question": c.question,
        "asked_at": utc_iso(c.asked_at),
        "deadline": utc_iso(c.deadline),
        "answer": c.answer if c.answered_at else None,
        "answered_at": utc_iso(c.answered_at) if c.answered_at else None,
        "file": ({"name": c.answer_file_name, "sha256": c.answer_sha256} if c.answer_file else None),
        "open": c.answered_at is None and now < c.deadline and c.session.stage != EvaluationSession.Stage.CLOSED,
    }


def committee_row(clarification):
    """One request as the committee sees it: the session snapshot's `clarifications` row, with `file` the
    attachment's name and `file_id` what its download URL takes (evaluation:clarification_file)."""
    c = clarification
    return {"id": c.pk, "bid": c.bid_id, "question": c.question, "asked_at": utc_iso(c.asked_at),
            "deadline": utc_iso(c.deadline), "answer": c.answer,
            "answered_at": utc_iso(c.answered_at) if c.answered_at else None,
            "file": c.answer_file_name or None, "file_id": c.pk if c.answer_file else None,
            "file_sha256": c.answer_sha256 or None}


def session_clarifications(session):
    """Every request of a session, oldest first, as committee rows."""
    return [committee_row(c) for c in Clarification.objects.filter(session=session)]


def organization_clarifications(organization_id, *, open_only=False):
    """The requests sent to one organization, newest first (its workspace), as model instances."""
    qs = (Clarification.objects.filter(bid__bid__organization_id=organization_id or -1)
          .select_related("bid__bid__tender", "session").order_by("-asked_at", "-id"))
    if open_only:
        qs = qs.filter(answered_at__isnull=True, deadline__gt=timezone.now()).exclude(
            session__stage=EvaluationSession.Stage.CLOSED)
    return qs


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _notify_organization(clarification, kind):
    organization_id = clarification.bid.bid.organization_id
    send_event_on_commit(groups.organization(organization_id), "clarification.event",
                         {"kind": kind, "clarification": bidder_row(clarification)})


def ask_clarification(*, actor, session_id, bid, question, minutes):
    """The leader asks the bidder of one opened bid (实施条例 art. 52: in writing, on obvious errors or
    ambiguities only). Returns `{"clarification": id}`."""
    with transaction.atomic():
        session = base.locked_session(session_id)
        member = base.member_of(session, actor)
        base.require_leader(session, member)
        base.require_stage(session, *ASKING_STAGES)
        base.require_running(session)
        bid_id = parse_int(bid) if isinstance(bid, int | str) and not isinstance(bid, bool) else None
        opened = (OpenedBid.objects.select_related("bid__tender")
                  .filter(pk=bid_id, bid__tender_id=session.tender_id, outcome=OpenedBid.Outcome.OPENED).first()
                  if bid_id else None)
        if opened is None:
            raise DomainError("unknown_bid", _("No such opened bid in this tender."), field="bid")
        question = question.strip() if isinstance(question, str) else ""
        if not 0 < len(question) <= QUESTION_MAX:
            raise DomainError("invalid_question", _("Write the question (1 to %(n)d characters).")
                              % {"n": QUESTION_MAX}, field="question")
        minutes = (parse_int(minutes, minimum=MIN_MINUTES, maximum=MAX_MINUTES)
                   if isinstance(minutes, int | str) and not isinstance(minutes, bool) else None)
        if minutes is None:
            raise DomainError("invalid_minutes", _("Give the bidder %(min)d to %(max)d minutes to answer.")
                              % {"min": MIN_MINUTES, "max": MAX_MINUTES}, field="minutes")
        now = timezone.now()
        clarification = Clarification.objects.create(
            session=session, bid=opened, asked_by=member, question=question, asked_at=now,
            deadline=now + datetime.timedelta(minutes=minutes))
        base.log("evaluation.clarification_asked", actor, session, {
            "clarification": clarification.pk, "member": member.pk, "bid": opened.bid.receipt_no,
            "deadline": utc_iso(clarification.deadline), "question_sha256": _sha256(question)}, role="expert")
        base.event(session, "clarification.asked", committee_row(clarification), audience="committee")
        _notify_organization(clarification, "asked")
        notify_all(members_with_role(opened.bid.organization_id, Role.BIDDER), Notice.Kind.CLARIFICATION,
                   _("The evaluation committee of %(tender)s asks your company for a clarification; answer "
                     "before %(deadline)s."), reverse("evaluation:clarifications"),
                   params={"tender": session.tender.code, "deadline": _local(clarification.deadline)})
    return {"clarification": clarification.pk}


def _check_answer_file(uploaded):
    """(clean name, media type, size, sha256) of the answer's attachment, checked like tender documents."""
    if uploaded.size is not None and uploaded.size > MAX_ANSWER_FILE_BYTES:
        raise DomainError("file_too_large", _("The attachment may be at most 20 MB."), field="file")
    return check_document(uploaded)


def _store(uploaded, name):
    now = timezone.now()
    suffix = PurePath(name).suffix.lower()
    # A random storage name: the bidder's file name is kept on the row, never used as a path.
    return default_storage.save(f"clarifications/{now:%Y/%m}/{secrets.token_hex(16)}{suffix}", uploaded)


def answer_clarification(*, actor, clarification_id, text, uploaded=None):
    """A bidder of the asked organization answers once, before the deadline, with text and an optional
    file (PDF, Word, Excel or ZIP, at most 20 MB). The answer may not change the bid's substance
    (实施条例 art. 52): the committee judges that; the platform keeps what was said, hashed in the log."""
    with transaction.atomic():
        try:
            clarification = (Clarification.objects.select_for_update(of=("self",))
                             .select_related("session__tender__region__parent", "bid__bid__tender")
                             .get(pk=clarification_id))
        except (Clarification.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound(_("No such clarification request.")) from None
        check(actor, "clarification.answer", clarification)
        session = clarification.session
        if clarification.answered_at is not None:
            raise DomainError("already_answered", _("This request has already been answered."), http_status=409)
        now = timezone.now()
        if now >= clarification.deadline or session.stage == EvaluationSession.Stage.CLOSED:
            raise DomainError("too_late", _("The deadline to answer this request has passed."), http_status=409)
        text = text.strip() if isinstance(text, str) else ""
        if not 0 < len(text) <= ANSWER_MAX:
            raise DomainError("invalid_answer", _("Write the answer (1 to %(n)d characters).") % {"n": ANSWER_MAX},
                              field="text")
        checked = _check_answer_file(uploaded) if uploaded is not None else None
        stored = _store(uploaded, checked[0]) if checked else ""
        try:
            clarification.answer = text
            clarification.answered_by = actor
            clarification.answered_at = now
            if checked:
                clarification.answer_file, clarification.answer_file_name = stored, checked[0]
                clarification.answer_sha256 = checked[3]
            clarification.save(update_fields=["answer", "answered_by", "answered_at", "answer_file",
                                              "answer_file_name", "answer_sha256"])
            base.log("evaluation.clarification_answered", actor, session, {
                "clarification": clarification.pk, "bid": clarification.bid.bid.receipt_no,
                "text_sha256": _sha256(text), "file_sha256": checked[3] if checked else "",
                "file_size": checked[2] if checked else 0}, role="bidder")
            base.event(session, "clarification.answered", committee_row(clarification), audience="committee")
            _notify_organization(clarification, "answered")
        except Exception:
            if stored:
                default_storage.delete(stored)  # no file without its row
            raise
    return clarification


def _reader(user, clarification):
    """(the log's role, member id or None) of someone `clarification.read_file` let through."""
    member_id = (Member.objects.filter(session=clarification.session, user_id=user.pk, removed_at__isnull=True,
                                       checked_in_at__isnull=False).values_list("pk", flat=True).first())
    region = clarification.session.tender.region
    if member_id is not None:
        return "expert", member_id
    if has_role(user, Role.STAFF, region):
        return "staff", None
    return ("regulator" if has_role(user, Role.REGULATOR, region) else "bidder"), None


def read_answer_file(*, actor, clarification_id):
    """The answer's attachment, for the committee, staff and regulators of the region and the bidder's
    own organization; every read is logged. Returns the Clarification (`answer_file` its storage name)."""
    with transaction.atomic():
        try:
            clarification = (Clarification.objects.select_related("session__tender__region__parent", "bid__bid")
                             .get(pk=clarification_id))
        except (Clarification.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound(_("No such clarification request.")) from None
        check(actor, "clarification.read_file", clarification)
        if not clarification.answer_file:
            raise NotFound(_("This answer has no attachment."))
        role, member_id = _reader(actor, clarification)
        payload = {"clarification": clarification.pk, "sha256": clarification.answer_sha256}
        if member_id is not None:
            payload["member"] = member_id
        base.log("evaluation.clarification_file_read", actor, clarification.session, payload, role=role)
    return clarification


def media_type(name):
    return ALLOWED.get(PurePath(name).suffix.lower(), ("application/octet-stream",))[0]
