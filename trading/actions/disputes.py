"""Objections to the candidates (异议; procurement 质疑) and complaints to the regulator (投诉)
(docs/award.md; 实施条例 art. 54, 60, 61; 政府采购法 art. 52-56)."""

import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, NotFound
from accounts.permissions import check
from ledger.canonical import utc_iso

from .. import policies_award  # noqa: F401  (registers the award.* permissions)
from ..award import periods
from ..award import records as award_records
from ..calendar import Calendar
from ..models import CandidateObjection, Complaint, Tender
from .award import log
from .tenders import access_tender

MAX_TEXT = 5000
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


def _text(value, field, message):
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value or len(value) > MAX_TEXT:
        raise DomainError("required", message, field=field)
    return value


def _evidence(uploaded):
    """(name, sha256) of an optional evidence file: the platform keeps its digest, the file stays with
    the objector (it is handed to the tenderer and, on complaint, to the regulator)."""
    if uploaded is None:
        return "", ""
    if uploaded.size > MAX_EVIDENCE_BYTES:
        raise DomainError("file_too_large", _("The evidence file may be at most 20 MB."), field="evidence")
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    return uploaded.name[:200], digest.hexdigest()


def raise_objection(*, actor, tender_id, grounds, evidence=None):
    """`award.objection_raised`: a bidder of this tender objects during the publicity (实施条例 art. 54;
    procurement 质疑 within 7 working days, 政府采购法 art. 52). The award waits for the answer."""
    grounds = _text(grounds, "grounds", _("Write the grounds of the objection (up to 5000 characters)."))
    name, sha256 = _evidence(evidence)
    with transaction.atomic():
        tender = access_tender(actor, tender_id, for_update=True, permission="award.object")
        if tender.status != Tender.Status.PUBLICIZING:
            raise DomainError("not_publicizing", _("Objections to the candidates are raised during their publicity."),
                              http_status=409)
        now, calendar = timezone.now(), Calendar()
        periods.check_objection_in_time(now, tender.publicity, category=tender.category, calendar=calendar)
        objection = CandidateObjection.objects.create(
            tender=tender, organization_id=actor.organization_id, raised_by=actor, grounds=grounds,
            evidence_name=name, evidence_sha256=sha256, raised_at=now,
            answer_due=periods.objection_answer_due(now, category=tender.category, calendar=calendar))
        log("award.objection_raised", actor, tender, {
            "objection": objection.pk, "organization": actor.organization_id, "evidence_sha256": sha256 or None,
            "answer_due": utc_iso(objection.answer_due)}, role="bidder")
    return objection


def _locked_objection(objection_id):
    try:
        return CandidateObjection.objects.select_for_update().get(pk=objection_id)
    except (CandidateObjection.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such objection.")) from None


def answer_objection(*, actor, objection_id, answer):
    """`award.objection_answered`: the tenderer answers (3 days, 实施条例 art. 54; 7 working days,
    政府采购法 art. 53). Late answers are accepted and marked."""
    answer = _text(answer, "answer", _("Write the answer (up to 5000 characters)."))
    with transaction.atomic():
        objection = _locked_objection(objection_id)
        tender = access_tender(actor, objection.tender_id, for_update=True, permission="award.manage")
        if objection.answered_at is not None:
            raise DomainError("already_answered", _("This objection has already been answered."), http_status=409)
        now = timezone.now()
        objection.answer, objection.answered_at, objection.answered_by = answer, now, actor
        objection.answered_late = now > objection.answer_due
        objection.save(update_fields=["answer", "answered_at", "answered_by", "answered_late"])
        log("award.objection_answered", actor, tender, {
            "objection": objection.pk, "late": objection.answered_late})
    return objection


def file_complaint(*, actor, objection_id, grounds):
    """`award.complaint_filed`: the objector complains to the regulators of the tender's region within 10
    days of knowing the answer (or of its due date passing) (实施条例 art. 60; 15 working days,
    政府采购法 art. 55). Decision due in 30 working days (art. 61)."""
    grounds = _text(grounds, "grounds", _("Write the grounds of the complaint (up to 5000 characters)."))
    with transaction.atomic():
        objection = _locked_objection(objection_id)
        check(actor, "award.complain", objection)
        tender = access_tender(actor, objection.tender_id, for_update=True)
        if tender.status == Tender.Status.AWARDED:
            raise DomainError("already_awarded", _("The award is already confirmed."), http_status=409)
        if objection.complaints.filter(decided_at__isnull=True).exists():
            raise DomainError("complaint_open", _("A complaint on this objection awaits its decision."),
                              http_status=409)
        now, calendar = timezone.now(), Calendar()
        periods.check_complaint_in_time(now, objection, category=tender.category, calendar=calendar)
        complaint = Complaint.objects.create(
            tender=tender, organization_id=actor.organization_id, filed_by=actor, objection=objection,
            grounds=grounds, filed_at=now, due=periods.decision_due(now, calendar))
        log("award.complaint_filed", actor, tender, {
            "complaint": complaint.pk, "objection": objection.pk, "organization": actor.organization_id,
            "due": utc_iso(complaint.due)}, role="bidder")
    return complaint


def _check_decide(actor, complaint_id, *, lock=False):
    qs = Complaint.objects.select_related("tender__project__owner", "tender__region", "organization")
    try:
        complaint = (qs.select_for_update(of=("self",)) if lock else qs).get(pk=complaint_id)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such complaint.")) from None
    check(actor, "award.decide_complaint", complaint.tender)
    if complaint.decided_at is not None:
        raise DomainError("already_decided", _("This complaint has already been decided."), http_status=409)
    return complaint


def decide_complaint(*, actor, complaint_id, outcome, decision):
    """`award.complaint_decided`: a regulator of the tender's region decides in writing (实施条例 art. 61;
    政府采购法 art. 56), the decision sealed as a record (complaint_decision). The one write a regulator
    makes. Late decisions are accepted and marked."""
    if outcome not in Complaint.Decision.values:
        raise DomainError("invalid_outcome", _("Choose whether the complaint is upheld or dismissed."), field="outcome")
    decision = _text(decision, "decision", _("Write the decision (up to 5000 characters)."))
    complaint = _check_decide(actor, complaint_id)
    regulator = complaint.tender.region.name
    record = award_records.decision_record(complaint, outcome=outcome, decision=decision,
                                           regulator_name=f"{regulator}行政监督部门")
    with transaction.atomic():
        complaint = _check_decide(actor, complaint_id, lock=True)
        now = timezone.now()
        complaint.outcome, complaint.decision, complaint.decided_at = outcome, decision, now
        complaint.decided_by, complaint.record = actor, record
        complaint.save(update_fields=["outcome", "decision", "decided_at", "decided_by", "record"])
        log("award.complaint_decided", actor, complaint.tender, {
            "complaint": complaint.pk, "outcome": outcome, "record": record.pk if record else None,
            "late": now > complaint.due},
            role="regulator")
    return complaint
