"""The candidates' publicity and the award (docs/award.md; 招标投标法 art. 45-47, 实施条例 art. 54).

Records are rendered and sealed before the action's transaction (records.actions: signing takes
seconds and must not hold the ledger's lock); the transaction then locks the tender, checks everything
again and writes. A run refused at that second check leaves a sealed record nobody points to, which is
harmless: the log says which record each step used."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError, NotFound
from ledger import chain
from ledger.canonical import utc_iso
from realtime import groups
from realtime.events import send_event_on_commit

from .. import policies_award  # noqa: F401  (registers the award.* permissions)
from ..announce import announce
from ..award import periods, reminders
from ..award import records as award_records
from ..calendar import Calendar
from ..models import Award, Publicity, Tender
from .tenders import access_tender

MAX_REASON = 2000


def log(action, actor, tender, payload, role="tenderer"):
    chain.append(action, actor=actor, role=role, region=tender.region, tender_ref=tender.code,
                 payload={"tender": tender.pk, **payload})
    send_event_on_commit(groups.tender(tender.pk), "tender.changed", {"tender": tender.pk, "action": action})


def _iso(value):
    return utc_iso(value) if value else None


def _pk(record):
    return record.pk if record is not None else None


def candidates_payload(tender):
    return [{"rank": c.rank, "organization": c.organization_id, "name": c.organization.name,
             "price_fen": c.price_fen, "score": None if c.score is None else str(c.score)}
            for c in tender.candidates.select_related("organization").order_by("rank")]


# --- publicity -------------------------------------------------------------------------------


def _check_publish(actor, tender_id, starts, ends, *, for_update=False):
    tender = access_tender(actor, tender_id, for_update=for_update, permission="award.manage")
    if tender.status != Tender.Status.EVALUATED:
        raise DomainError("wrong_status", _("Candidates are publicized once the evaluation report is in."),
                          http_status=409)
    if not tender.candidates.exists():
        raise DomainError("no_candidates", _("The evaluation report names no candidates."), http_status=409)
    if Publicity.objects.filter(tender=tender).exists():
        raise DomainError("already_published", _("The candidates are already publicized."), http_status=409)
    for name, value in (("starts", starts), ("ends", ends)):
        if not isinstance(value, datetime.datetime) or value.tzinfo is None:
            raise DomainError("invalid_datetime", _("A date and time with a time zone is required."), field=name)
    now = timezone.now()
    if starts < now - datetime.timedelta(minutes=5) or starts > now + datetime.timedelta(days=30):
        raise DomainError("invalid_start", _("The publicity starts now or within 30 days."), field="starts")
    if ends > starts + datetime.timedelta(days=60):
        raise DomainError("invalid_end", _("The publicity lasts at most 60 days."), field="ends")
    periods.check_publicity_period(starts, ends, Calendar())
    return tender


def publish_candidates(*, actor, tender_id, starts=None, ends=None):
    """`publicity.published`: the tenderer publicizes the candidates, within 3 days of the report, for
    at least 3 days (实施条例 art. 54). Published later it is accepted and marked late (the regulators
    see it in the log); a shorter period is refused (`publicity_too_short`)."""
    starts = starts or timezone.now()
    if ends is None:
        ends = periods.min_publicity_end(starts)
    tender = _check_publish(actor, tender_id, starts, ends)
    record = award_records.publicity_record(tender, starts, ends)
    with transaction.atomic():
        tender = _check_publish(actor, tender_id, starts, ends, for_update=True)
        now = timezone.now()
        received = tender.candidates.order_by("rank").first().report_received_at
        late = now > periods.publish_due(received)
        publicity = Publicity.objects.create(tender=tender, starts=starts, ends=ends, published_at=now,
                                             published_by=actor, published_late=late, record=record)
        tender.status = Tender.Status.PUBLICIZING
        tender.save(update_fields=["status"])
        log("publicity.published", actor, tender, {
            "record": record.pk if record else None, "candidates": candidates_payload(tender),
            "starts": utc_iso(starts), "ends": utc_iso(ends), "late": late,
        })
        announce(tender, "candidates", actor=actor, source=publicity)
    return publicity


# --- the award -------------------------------------------------------------------------------


def _check_confirm(actor, tender_id, rank, reason, *, for_update=False):
    tender = access_tender(actor, tender_id, for_update=for_update, permission="award.manage")
    if tender.status != Tender.Status.PUBLICIZING:
        raise DomainError("wrong_status", _("The award is confirmed after the candidates' publicity."),
                          http_status=409)
    publicity = tender.publicity
    if timezone.now() <= publicity.ends:
        raise DomainError("publicity_running", _("The publicity has not ended yet (Regulations on the "
                                                 "Implementation of the Bidding Law, art. 54)."), http_status=409)
    if tender.candidate_objections.filter(answered_at__isnull=True).exists():
        # 实施条例 art. 54: until the objection is answered, the procedure is suspended.
        raise DomainError("objection_open", _("An objection to the candidates has not been answered: the award "
                                              "waits for the answer (Regulations on the Implementation of the "
                                              "Bidding Law, art. 54)."), http_status=409)
    if tender.complaints.filter(decided_at__isnull=True).exists():
        raise DomainError("complaint_open", _("A complaint awaits the regulator's decision: the award waits for it "
                                              "(Regulations on the Implementation of the Bidding Law, art. 61)."),
                          http_status=409)
    candidate = tender.candidates.select_related("organization").filter(rank=rank).first()
    if candidate is None:
        raise DomainError("no_such_candidate", _("There is no candidate of this rank."), field="rank")
    if rank != 1 and not reason:
        # 实施条例 art. 55: rank 1 unless it gives up, cannot perform, or does not provide the security.
        raise DomainError("reason_required", _("Give the reason for not awarding the first-ranked candidate "
                                               "(Regulations on the Implementation of the Bidding Law, art. 55)."),
                          field="reason")
    return tender, candidate


def confirm_award(*, actor, tender_id, rank=1, reason=""):
    """`award.confirmed`: the tenderer confirms the winner after the publicity; refused while an objection
    is unanswered (`objection_open`) or a complaint undecided (`complaint_open`). Produces the award
    notice, the result announcement and a notice to each other bidder (招标投标法 art. 45)."""
    reason = (reason or "").strip()[:MAX_REASON]
    try:
        rank = int(rank)
    except (TypeError, ValueError):
        raise DomainError("no_such_candidate", _("There is no candidate of this rank."), field="rank") from None
    tender, candidate = _check_confirm(actor, tender_id, rank, reason)
    now = timezone.now()
    calendar = Calendar()
    contract_due = periods.contract_due(now, calendar)
    made = award_records.award_records(tender, candidate, reason=reason, contract_due=contract_due)
    with transaction.atomic():
        tender, candidate = _check_confirm(actor, tender_id, rank, reason, for_update=True)
        report_due = periods.report_due(now, category=tender.category, calendar=calendar)
        award = Award.objects.create(
            tender=tender, organization=candidate.organization, bid=candidate.bid, rank=rank, reason=reason,
            price_fen=candidate.price_fen, confirmed_at=now, confirmed_by=actor, notice_record=made["notice"],
            result_record=made["result"], unsuccessful_records=made["unsuccessful"], contract_due=contract_due,
            report_due=report_due)
        tender.status = Tender.Status.AWARDED
        tender.save(update_fields=["status"])
        log("award.confirmed", actor, tender, {
            "organization": candidate.organization_id, "name": candidate.organization.name, "rank": rank,
            "reason": reason, "price_fen": candidate.price_fen,
            "records": {"notice": _pk(made["notice"]), "result": _pk(made["result"]),
                        "unsuccessful": made["unsuccessful"]},
            "contract_due": utc_iso(contract_due), "report_due": _iso(report_due),
        })
        announce(tender, "result", actor=actor, source=award)
        reminders.schedule(tender.pk, "contract", contract_due)
        reminders.schedule(tender.pk, "report", report_due)
    return award


def _access_award(actor, tender_id):
    tender = access_tender(actor, tender_id, for_update=True, permission="award.manage")
    try:
        return tender, Award.objects.select_for_update().get(tender=tender)
    except Award.DoesNotExist:
        raise NotFound(_("This tender has no award yet.")) from None


def _moment(value, field):
    if value is None:
        return timezone.now()
    if not isinstance(value, datetime.datetime) or value.tzinfo is None:
        raise DomainError("invalid_datetime", _("A date and time with a time zone is required."), field=field)
    return value


def record_contract_signed(*, actor, tender_id, signed_at=None):
    """`award.contract_signed`: the tenderer records the contract's signature (招标投标法 art. 46: within
    30 days of the notice; past that it is recorded and marked late)."""
    with transaction.atomic():
        tender, award = _access_award(actor, tender_id)
        if award.contract_signed_at is not None:
            raise DomainError("already_recorded", _("The contract is already recorded."), http_status=409)
        signed_at = _moment(signed_at, "signed_at")
        if not award.confirmed_at <= signed_at <= timezone.now():
            raise DomainError("invalid_date", _("The contract is signed after the award and not in the future."),
                              field="signed_at")
        award.contract_signed_at = signed_at
        fields = ["contract_signed_at"]
        if award.report_due is None:  # procurement: the copy is filed within 7 working days (政府采购法 art. 47)
            award.report_due = periods.filing_due(signed_at)
            fields.append("report_due")
            reminders.schedule(tender.pk, "report", award.report_due)
        award.save(update_fields=fields)
        log("award.contract_signed", actor, tender, {
            "signed_at": utc_iso(signed_at), "late": signed_at > award.contract_due,
            "report_due": _iso(award.report_due)})
    return award


def record_report(*, actor, tender_id, reported_at=None):
    """`award.reported`: the written report to the regulator (招标投标法 art. 47: within 15 days of the award)."""
    with transaction.atomic():
        tender, award = _access_award(actor, tender_id)
        if award.reported_at is not None:
            raise DomainError("already_recorded", _("The report is already recorded."), http_status=409)
        reported_at = _moment(reported_at, "reported_at")
        if not award.confirmed_at <= reported_at <= timezone.now():
            raise DomainError("invalid_date", _("The report is made after the award and not in the future."),
                              field="reported_at")
        award.reported_at = reported_at
        award.save(update_fields=["reported_at"])
        log("award.reported", actor, tender, {
            "reported_at": utc_iso(reported_at),
            "late": award.report_due is not None and reported_at > award.report_due})
    return award


def sign_deferred_records(tender_id):
    """`award.records_signed`: the records of a tender's publicity and award made while
    trading.award.records.deferred() was active (the demo's replay), signed now and attached. The
    platform acts (no actor): the caller is the demo loader. Idempotent."""
    tender = Tender.objects.select_related("region", "project__owner").get(pk=tender_id)
    publicity = Publicity.objects.filter(tender=tender, record__isnull=True).first()
    award = Award.objects.select_related("organization").filter(tender=tender, notice_record__isnull=True).first()
    made = {}
    if publicity is not None:
        made["publicity"] = award_records.publicity_record(tender, publicity.starts, publicity.ends)
    if award is not None:
        candidate = tender.candidates.select_related("organization").get(rank=award.rank)
        made.update(award_records.award_records(tender, candidate, reason=award.reason,
                                                contract_due=award.contract_due))
    if not made:
        return {}
    with transaction.atomic():
        if "publicity" in made:
            Publicity.objects.filter(pk=publicity.pk, record__isnull=True).update(record=made["publicity"])
        if "notice" in made:
            Award.objects.filter(pk=award.pk, notice_record__isnull=True).update(
                notice_record=made["notice"], result_record=made["result"],
                unsuccessful_records=made["unsuccessful"])
        chain.append("award.records_signed", role="system", region=tender.region, tender_ref=tender.code,
                     payload={"tender": tender.pk, "publicity": _pk(made.get("publicity")),
                              "notice": _pk(made.get("notice")), "result": _pk(made.get("result")),
                              "unsuccessful": made.get("unsuccessful", {})})
    return made
