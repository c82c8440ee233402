"""The data of the award records (records.render.award_records) built from the trading models, and
their production (sealed by the platform; the caller has checked access).

The award kinds' renderers are registered in records/render/__init__.py.

`deferred()`: while it is active the records are not made (the functions return None); the demo replays
its history in the past, where no certificate is valid yet, and then signs them at the real time with
trading.actions.award.sign_deferred_records, as load_demo does for its opening records."""

import contextlib
import contextvars

from django.utils import timezone

from records.actions import produce_record
from records.render.award_records import (
    AwardNotice,
    CandidatePublicity,
    CandidateRow,
    ComplaintDecision,
    TenderHeader,
)

_DEFERRED = contextvars.ContextVar("award_records_deferred", default=False)


@contextlib.contextmanager
def deferred():
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


def header(tender):
    return TenderHeader(tender_code=tender.code, tender_name=tender.title, project_name=tender.project.name,
                        region_name=tender.region.name, tenderer_name=tender.project.owner.name,
                        category=str(tender.get_category_display()))


def candidate_rows(tender):
    return [CandidateRow(rank=c.rank, name=c.organization.name, credit_code=c.organization.credit_code,
                         price_fen=c.price_fen, score=c.score)
            for c in tender.candidates.select_related("organization").order_by("rank")]


def _bidder_ids(tender):
    return list(tender.bids.values_list("organization_id", flat=True).distinct())


def publicity_record(tender, starts, ends):
    if _DEFERRED.get():
        return None
    data = CandidatePublicity(tender=header(tender), issued_at=timezone.now(), starts=starts, ends=ends,
                              candidates=candidate_rows(tender))
    return produce_record("candidate_publicity", data, tender_ref=tender.code, region=tender.region,
                          organization=tender.project.owner_id, readers=_bidder_ids(tender))


def award_records(tender, candidate, *, reason, contract_due):
    """{"notice": Record, "result": Record, "unsuccessful": {organization id: record id}} for the award of
    `candidate` (None and {} while deferred)."""
    if _DEFERRED.get():
        return {"notice": None, "result": None, "unsuccessful": {}}
    now = timezone.now()
    winner = CandidateRow(rank=candidate.rank, name=candidate.organization.name,
                          credit_code=candidate.organization.credit_code, price_fen=candidate.price_fen,
                          score=candidate.score)
    common = {"tender": header(tender), "issued_at": now, "winner": winner, "contract_due": contract_due,
              "reason": reason}
    notice = produce_record("award_notice", AwardNotice(**common, addressee=candidate.organization.name),
                            tender_ref=tender.code, region=tender.region, organization=candidate.organization_id,
                            readers=[tender.project.owner_id])
    result = produce_record("award_result", AwardNotice(**common, candidates=candidate_rows(tender)),
                            tender_ref=tender.code, region=tender.region, organization=tender.project.owner_id,
                            readers=_bidder_ids(tender))
    others = {}
    for bid in tender.bids.exclude(organization_id=candidate.organization_id).select_related("organization"):
        if str(bid.organization_id) in others:
            continue
        record = produce_record("unsuccessful_notice", AwardNotice(**common, addressee=bid.organization.name),
                                tender_ref=tender.code, region=tender.region, organization=bid.organization_id,
                                readers=[tender.project.owner_id])
        others[str(bid.organization_id)] = record.pk
    return {"notice": notice, "result": result, "unsuccessful": others}


def decision_record(complaint, *, outcome, decision, regulator_name):
    if _DEFERRED.get():
        return None
    tender = complaint.tender
    data = ComplaintDecision(tender=header(tender), issued_at=timezone.now(), complainant=complaint.organization.name,
                             filed_at=complaint.filed_at, grounds=complaint.grounds, outcome=outcome,
                             decision=decision, regulator=regulator_name)
    return produce_record("complaint_decision", data, tender_ref=tender.code, region=tender.region,
                          organization=complaint.organization_id, readers=[tender.project.owner_id])
