"""Reminders of the deadlines after the evaluation (docs/award.md): the 3 days to publish the candidates
(实施条例 art. 54), the contract within 30 days (招标投标法 art. 46) and the written report to the regulator
within 15 days of the award (art. 47; procurement: the contract's copy within 7 working days, 政府采购法
art. 47). Each is scheduled (trading.tasks_award) for one day before its limit; when it runs and the step is
still not done, the tenderer's users are texted and `award.reminded` is logged. A step already done, or a
reminder already sent, does nothing: the task may run twice."""

import datetime
import json
import logging

from django.db import transaction
from django.utils import timezone

from accounts.background import enqueue
from accounts.models import User
from accounts.sms import send_sms
from ledger import chain
from ledger.models import Entry

from ..models import Award, Candidate, Publicity
from . import periods

logger = logging.getLogger(__name__)
KINDS = ("publish", "contract", "report")
TASK = "trading.award_reminder"


def remind_at(due):
    return due - datetime.timedelta(days=periods.WARN_DAYS)


def schedule(tender_id, kind, due):
    """Enqueue the reminder of `kind` for `due`, after the caller's transaction commits."""
    if due is None:
        return
    at = max(remind_at(due), timezone.now())
    transaction.on_commit(lambda: _enqueue(tender_id, kind, at))


def _enqueue(tender_id, kind, at):
    try:
        enqueue(TASK, tender_id, kind, run_after=at)
    except LookupError:  # trading.tasks does not import trading.tasks_award yet: the page still warns
        logger.warning("award reminder %s of tender %s not scheduled: %s is not registered", kind, tender_id, TASK)


def _pending(tender_id, kind):
    """(due, tender) if the step of `kind` is not done yet, else None."""
    if kind == "publish":
        first = Candidate.objects.select_related("tender__region", "tender__project").filter(
            tender_id=tender_id).order_by("rank").first()
        if first is None or Publicity.objects.filter(tender_id=tender_id).exists():
            return None
        return periods.publish_due(first.report_received_at), first.tender
    award = Award.objects.select_related("tender__region", "tender__project").filter(tender_id=tender_id).first()
    if award is None:
        return None
    if kind == "contract" and award.contract_signed_at is None:
        return award.contract_due, award.tender
    if kind == "report" and award.reported_at is None and award.report_due is not None:
        return award.report_due, award.tender
    return None


MESSAGES = {
    "publish": "【巴中公共资源交易】%(code)s：请于 %(due)s 前公示中标候选人（招标投标法实施条例第五十四条）。",
    "contract": "【巴中公共资源交易】%(code)s：请于 %(due)s 前与中标人订立书面合同（招标投标法第四十六条）。",
    "report": "【巴中公共资源交易】%(code)s：请于 %(due)s 前向有关行政监督部门提交招标投标情况的书面报告"
              "（招标投标法第四十七条）。",
}


def send_reminder(tender_id, kind):
    """Text the tenderer's users about `kind` if it is still pending and not reminded yet. Returns the
    number of texts sent (0 when nothing was due)."""
    if kind not in KINDS:
        raise ValueError(kind)
    with transaction.atomic():
        pending = _pending(tender_id, kind)
        if pending is None:
            return 0
        due, tender = pending
        sent = Entry.objects.filter(action="award.reminded", tender_ref=tender.code).values_list("payload", flat=True)
        if any(json.loads(payload).get("kind") == kind for payload in sent):
            return 0
        phones = list(User.objects.filter(organization_id=tender.project.owner_id, is_active=True)
                      .exclude(phone="").values_list("phone", flat=True))
        day = timezone.localtime(due - datetime.timedelta(seconds=1)).strftime("%Y-%m-%d 24:00")
        text = MESSAGES[kind] % {"code": tender.code, "due": day}  # texts go out in Chinese only
        chain.append("award.reminded", role="system", region=tender.region, tender_ref=tender.code,
                     payload={"tender": tender.pk, "kind": kind, "due": due.isoformat(), "texts": len(phones)})
        transaction.on_commit(lambda: [send_sms(phone, text) for phone in phones])
    return len(phones)
