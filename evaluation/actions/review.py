"""The evaluation session, second half: qualification review, scoring, the leader's review, the ranking,
dissent, more time, and the report's signatures (docs/evaluation-session.md; 招标投标法 art. 40–41;
实施条例 art. 48–53). Scores are Decimal points with 2 places; the price criterion is computed
(evaluation.scoring), never entered."""

import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.background import enqueue
from accounts.errors import DomainError

from .. import scoring
from ..models import ExtensionRequest, QualificationVote, Score
from .session import price_scores, set_stage
from .sessionbase import (
    Stage,
    active_members,
    digest,
    event,
    id_value,
    locked_session,
    log,
    member_of,
    minutes_value,
    require_leader,
    require_running,
    require_stage,
    text_value,
)

MAX_REASON = 300
MAX_DISSENT = 2000


def _bid_result(session, bid):
    bid_id = id_value(bid, "unknown_bid", _("No such bid in this evaluation."))
    result = session.results.filter(bid_id=bid_id).first()
    if result is None:
        raise DomainError("unknown_bid", _("No such bid in this evaluation."), field="bid")
    return result


def _index(value, items, code, message):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise DomainError(code, message, field="criterion")
    index = int(value)
    if not 0 <= index < len(items):
        raise DomainError(code, message, field="criterion")
    return index


# --- qualification review (实施条例 art. 51) ---------------------------------------------------------------

def vote_qualification(*, actor, session_id, bid, criterion, passed, reason=""):
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.QUALIFICATION)
        require_running(session)
        member = member_of(session, actor)
        if member.qualification_submitted_at is not None:
            raise DomainError("sheet_locked", _("Your qualification review is submitted and locked."), http_status=409)
        result = _bid_result(session, bid)
        index = _index(criterion, session.terms["qualification_criteria"], "unknown_criterion",
                       _("No such qualification criterion."))
        if not isinstance(passed, bool):
            raise DomainError("invalid_vote", _("Pass or fail?"), field="passed")
        reason = text_value(reason, "reason", max_chars=MAX_REASON, required=not passed)
        QualificationVote.objects.update_or_create(member=member, bid=result.bid, criterion=index,
                                                   defaults={"passed": passed, "reason": reason})
    return {}


def submit_qualification(*, actor, session_id):
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.QUALIFICATION)
        require_running(session)
        member = member_of(session, actor)
        if member.qualification_submitted_at is not None:
            raise DomainError("already_done", _("Your qualification review is already submitted."), http_status=409)
        votes = list(member.qualification_votes.order_by("bid_id", "criterion")
                     .values_list("bid_id", "criterion", "passed", "reason"))
        needed = session.results.count() * len(session.terms["qualification_criteria"])
        if len(votes) != needed:
            raise DomainError("sheet_incomplete", _("Decide every bid on every criterion first (%(done)d of %(all)d)."
                                                    ) % {"done": len(votes), "all": needed}, http_status=409)
        member.qualification_submitted_at = timezone.now()
        member.save(update_fields=["qualification_submitted_at"])
        log("evaluation.qualification_submitted", actor, session, {
            "member": member.pk, "sha256": digest([list(v) for v in votes])}, role="expert")
        event(session, "qualification.submitted", {"member": member.pk})
    return {}


def close_qualification(session, minutes=None):
    """Majority per bid and criterion (a tie passes: doubt goes to the bidder); a bid failing any criterion
    leaves with its reasons. Then price scores, and scoring (or the ranking, by the lowest price)."""
    if active_members(session).filter(qualification_submitted_at__isnull=True).exists():
        raise DomainError("not_ready", _("Every member must submit the qualification review first."), http_status=409)
    active = set(active_members(session).values_list("pk", flat=True))
    tally = defaultdict(lambda: {"pass": 0, "fail": 0, "reasons": []})
    for vote in QualificationVote.objects.filter(member__session=session, member_id__in=active):
        cell = tally[(vote.bid_id, vote.criterion)]
        cell["pass" if vote.passed else "fail"] += 1
        if not vote.passed:
            cell["reasons"].append(vote.reason)
    results = list(session.results.select_related("bid__bid").order_by("id"))
    logged = []
    for result in results:
        failed = [{"criterion": i, "reasons": cell["reasons"]}
                  for i in range(len(session.terms["qualification_criteria"]))
                  for cell in [tally[(result.bid_id, i)]] if cell["fail"] > cell["pass"]]
        result.qualified, result.fail_reasons = not failed, failed
        logged.append({"bid": result.bid.bid.receipt_no, "qualified": result.qualified,
                       "failed": [f["criterion"] for f in failed]})
    scores = price_scores(session, results)
    for result in results:
        result.price_score = scores.get(result.bid_id)
        result.save(update_fields=["qualified", "fail_reasons", "price_score"])
    log("evaluation.qualification_decided", None, session, {"results": logged}, role="system")
    event(session, "qualification.result", {"bids": [
        {"bid": r.bid_id, "qualified": r.qualified, "fail_reasons": r.fail_reasons,
         "price_score": str(r.price_score) if r.price_score is not None else None} for r in results]})
    if not any(r.qualified for r in results) or not _scored_criteria(session):
        _rank(session)
        set_stage(session, Stage.RANKING, minutes)
    else:
        set_stage(session, Stage.SCORING, minutes)


# --- scoring ----------------------------------------------------------------------------------------------

def _scored_criteria(session):
    """Indexes of the criteria experts score (every one but the price)."""
    return [i for i, c in enumerate(session.terms["criteria"]) if c["kind"] != "price"]


def _sheet_editable(session, member):
    if member.sheet_submitted_at is not None:
        raise DomainError("sheet_locked", _("Your score sheet is submitted and locked."), http_status=409)
    if session.stage == Stage.REVIEW and not member.sheet_returned_reason:
        raise DomainError("sheet_locked", _("Your score sheet is submitted and locked."), http_status=409)


def set_score(*, actor, session_id, bid, criterion, points):
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.SCORING, Stage.REVIEW)
        require_running(session)
        member = member_of(session, actor)
        _sheet_editable(session, member)
        result = _bid_result(session, bid)
        if not result.qualified:
            raise DomainError("bid_not_qualified", _("This bid failed the qualification review and is not scored."),
                              field="bid", http_status=409)
        criteria = session.terms["criteria"]
        index = _index(criterion, criteria, "unknown_criterion", _("No such criterion."))
        if criteria[index]["kind"] == "price":
            raise DomainError("price_computed", _("The price score is computed by the tender's formula."),
                              field="criterion")
        value = _points(points, criteria[index]["weight"])
        Score.objects.update_or_create(member=member, bid=result.bid, criterion=index, defaults={"points": value})
        filled = Score.objects.filter(member=member, bid__in=_qualified_bids(session)).count()
        event(session, "sheet.progress", {"member": member.pk, "filled": filled,
                                          "of": len(_qualified_bids(session)) * len(_scored_criteria(session))},
              audience="committee")
    return {"points": str(value)}


def _points(value, weight):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DomainError("invalid_points", _("Give the points as a number with at most 2 decimals."), field="points")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError("invalid_points", _("Give the points as a number with at most 2 decimals."),
                          field="points") from None
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        raise DomainError("invalid_points", _("Give the points as a number with at most 2 decimals."), field="points")
    if not Decimal(0) <= number <= Decimal(weight):
        raise DomainError("out_of_bounds", _("Points must be between 0 and %(max)s.") % {"max": weight},
                          field="points")
    return number.quantize(Decimal("0.01"))


def _qualified_bids(session):
    return list(session.results.filter(qualified=True).values_list("bid_id", flat=True))


def submit_sheet(*, actor, session_id):
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.SCORING, Stage.REVIEW)
        require_running(session)
        member = member_of(session, actor)
        _sheet_editable(session, member)
        bids = _qualified_bids(session)
        rows = list(Score.objects.filter(member=member, bid_id__in=bids).order_by("bid_id", "criterion")
                    .values_list("bid_id", "criterion", "points"))
        needed = len(bids) * len(_scored_criteria(session))
        if len(rows) != needed:
            raise DomainError("sheet_incomplete", _("Score every bid on every criterion first (%(done)d of %(all)d)."
                                                    ) % {"done": len(rows), "all": needed}, http_status=409)
        member.sheet_submitted_at, member.sheet_returned_reason = timezone.now(), ""
        member.save(update_fields=["sheet_submitted_at", "sheet_returned_reason"])
        log("evaluation.sheet_submitted", actor, session, {
            "member": member.pk, "sha256": digest([[b, c, str(p)] for b, c, p in rows])}, role="expert")
        event(session, "sheet.submitted", {"member": member.pk})
        if not active_members(session).filter(sheet_submitted_at__isnull=True).exists():
            if session.stage == Stage.SCORING:
                session.unmasked = True
                session.save(update_fields=["unmasked"])
                set_stage(session, Stage.REVIEW)
            event(session, "review.summary", {"summary": summary(session)}, audience="committee")
    return {}


def return_sheet(*, actor, session_id, member, reason):
    """The leader sends one sheet back with a reason (an obvious error, a score far from the others)."""
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.REVIEW)
        require_running(session)
        leader = member_of(session, actor)
        require_leader(session, leader)
        target_id = id_value(member, "unknown_member", _("No such member."))
        target = active_members(session).select_for_update().filter(pk=target_id).first()
        if target is None or target.sheet_submitted_at is None:
            raise DomainError("unknown_member", _("This member has no submitted sheet to return."), field="member")
        target.sheet_submitted_at = None
        target.sheet_returned_reason = text_value(reason, "reason", max_chars=MAX_REASON)
        target.save(update_fields=["sheet_submitted_at", "sheet_returned_reason"])
        log("evaluation.sheet_returned", actor, session, {"member": target.pk, "reason": target.sheet_returned_reason},
            role="expert")
        event(session, "sheet.returned", {"member": target.pk, "reason": target.sheet_returned_reason},
              audience="committee")
    return {}


def summary(session):
    """Per qualified bid: each member's total (their points plus the price score), the final score, and the
    scores deviating from the committee's mean of that criterion by more than the tender's threshold."""
    members = list(active_members(session).values_list("pk", flat=True))
    pct = Decimal(session.terms.get("outlier_pct", 20))
    trim = session.terms.get("trim_extremes", False)
    cells = defaultdict(dict)  # (bid, criterion) -> {member: points}
    for m, b, c, p in Score.objects.filter(member_id__in=members).values_list("member_id", "bid_id", "criterion",
                                                                              "points"):
        cells[(b, c)][m] = p
    out = []
    for result in session.results.filter(qualified=True).order_by("id"):
        price = result.price_score or Decimal(0)
        totals = {m: price + sum((cells[(result.bid_id, c)].get(m, Decimal(0)) for c in _scored_criteria(session)),
                                 Decimal(0)) for m in members}
        flags = []
        for c in _scored_criteria(session):
            values = cells[(result.bid_id, c)]
            if not values:
                continue
            mean = sum(values.values(), Decimal(0)) / len(values)
            for m, p in values.items():
                if (mean == 0 and p > 0) or (mean > 0 and abs(p - mean) * 100 > mean * pct):
                    flags.append({"member": m, "criterion": c, "points": str(p), "mean": str(scoring._round(mean))})
        out.append({"bid": result.bid_id, "mean": str(scoring.final_score(totals.values(), trim_extremes=trim)),
                    "totals": {str(m): str(t) for m, t in totals.items()}, "flags": flags})
    return {"bids": out}


def close_review(session, minutes=None):
    if active_members(session).filter(sheet_submitted_at__isnull=True).exists():
        raise DomainError("not_ready", _("A returned sheet has not been submitted again."), http_status=409)
    _rank(session)
    set_stage(session, Stage.RANKING, minutes)


def _rank(session):
    results = list(session.results.select_related("bid__bid").order_by("bid__bid__submitted_at", "bid_id"))
    order = {r.bid_id: i for i, r in enumerate(results)}
    if not any(r.qualified for r in results):
        ranking = {"method": session.terms["method"], "trimmed": False, "order": [], "candidates": []}
    elif session.terms["method"] == "lowest_price":
        ranked = scoring.rank_lowest_evaluated_price([
            scoring.PricedBid(r.bid_id, r.price_fen, order[r.bid_id], 0, bool(r.qualified)) for r in results])
        ranking = _ranking_json(session, ranked)
    else:
        totals = {b["bid"]: {m: Decimal(t) for m, t in b["totals"].items()} for b in summary(session)["bids"]}
        ranked = scoring.rank_comprehensive([
            scoring.ScoredBid(r.bid_id, r.price_fen, order[r.bid_id], totals.get(r.bid_id, {}), bool(r.qualified))
            for r in results], trim_extremes=session.terms.get("trim_extremes", False))
        ranking = _ranking_json(session, ranked)
    session.ranking = ranking
    session.save(update_fields=["ranking"])
    receipts = {r.bid_id: r.bid.bid.receipt_no for r in results}
    log("evaluation.ranked", None, session, {"order": [
        {"rank": o["rank"], "bid": receipts[o["bid"]], "score": o["score"],
         "evaluated_price_fen": o["evaluated_price_fen"]} for o in ranking["order"]]}, role="system")
    event(session, "ranking.ready", {"ranking": ranking})


def _ranking_json(session, ranked):
    return {"method": session.terms["method"], "trimmed": ranked.trimmed,
            "order": [{"rank": r.rank, "bid": r.key, "price_fen": r.price_fen,
                       "score": str(r.score) if r.score is not None else None,
                       "evaluated_price_fen": r.evaluated_price_fen} for r in ranked.order],
            "candidates": [r.key for r in ranked.candidates]}


# --- the ranking: agreement and dissent (实施条例 art. 53) ----------------------------------------------------

def agree_ranking(*, actor, session_id):
    return _agree(actor, session_id, "")


def write_dissent(*, actor, session_id, text):
    return _agree(actor, session_id, text_value(text, "text", max_chars=MAX_DISSENT))


def _agree(actor, session_id, dissent):
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.RANKING)
        require_running(session)
        member = member_of(session, actor)
        if member.agreed_at is not None:
            raise DomainError("already_done", _("You have already answered the ranking."), http_status=409)
        member.agreed_at, member.dissent = timezone.now(), dissent
        member.save(update_fields=["agreed_at", "dissent"])
        log("evaluation.ranking_answered", actor, session, {
            "member": member.pk, "dissent": bool(dissent), "sha256": digest(dissent) if dissent else ""}, role="expert")
        event(session, "member.agreed", {"member": member.pk, "dissent": bool(dissent)})
    return {}


# --- signing the report ---------------------------------------------------------------------------------

def sign_report(*, actor, session_id):
    """Each member signs in turn (their consent); with every signature the report is rendered, signed
    with each member's own certificate in seat order, sealed by the platform (evaluation.actions.report)."""
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.SIGNING)
        require_running(session)
        member = member_of(session, actor)
        if member.signed_at is not None:
            raise DomainError("already_done", _("You have already signed."), http_status=409)
        member.signed_at = timezone.now()
        member.save(update_fields=["signed_at"])
        log("evaluation.report_signed", actor, session, {"member": member.pk}, role="expert")
        event(session, "report.signed", {"member": member.pk})
        if not active_members(session).filter(signed_at__isnull=True).exists():
            session_pk = session.pk

            transaction.on_commit(lambda: enqueue("evaluation.session_report", session_pk))
    return {}


# --- more time (实施条例 art. 48) ----------------------------------------------------------------------------

EXTENDABLE = (Stage.QUALIFICATION, Stage.SCORING, Stage.REVIEW, Stage.RANKING)


def request_extension(*, actor, session_id, minutes, reason):
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, *EXTENDABLE)
        member = member_of(session, actor)
        minutes = minutes_value(minutes, None)
        if minutes is None:
            raise DomainError("invalid_minutes", _("How many minutes more?"), field="minutes")
        if session.extensions.filter(granted_at__isnull=True).exists():
            raise DomainError("already_done", _("A request for more time is already open."), http_status=409)
        extension = ExtensionRequest.objects.create(session=session, requested_by=member, minutes=minutes,
                                                    reason=text_value(reason, "reason", max_chars=MAX_REASON),
                                                    agreed=[member.pk], created_at=timezone.now())
        log("evaluation.extension_requested", actor, session, {"extension": extension.pk, "minutes": minutes},
            role="expert")
        event(session, "extension.requested", {"extension": extension.pk, "minutes": minutes,
                                               "reason": extension.reason, "by": member.pk})
        _grant_if_agreed(session, extension)
    return {"extension": extension.pk}


def agree_extension(*, actor, session_id, extension):
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, *EXTENDABLE)
        member = member_of(session, actor)
        ext_id = id_value(extension, "unknown_extension", _("No such request."))
        request = session.extensions.select_for_update().filter(pk=ext_id, granted_at__isnull=True).first()
        if request is None:
            raise DomainError("unknown_extension", _("No such open request for more time."), field="extension")
        if member.pk in request.agreed:
            raise DomainError("already_done", _("You have already agreed."), http_status=409)
        request.agreed = [*request.agreed, member.pk]
        request.save(update_fields=["agreed"])
        event(session, "extension.agreed", {"extension": request.pk, "agreed": len(request.agreed)})
        _grant_if_agreed(session, request)
    return {}


def _grant_if_agreed(session, request):
    size = active_members(session).count()
    if len(request.agreed) * 3 <= size:  # more than one third of the committee
        return
    now = timezone.now()
    request.granted_at = now
    request.save(update_fields=["granted_at"])
    base = max(session.stage_deadline or now, now)
    session.stage_deadline = base + datetime.timedelta(minutes=request.minutes)
    session.save(update_fields=["stage_deadline"])
    log("evaluation.extension_granted", None, session, {"extension": request.pk, "minutes": request.minutes,
                                                        "agreed": len(request.agreed), "of": size}, role="system")
    event(session, "extension.granted", {"extension": request.pk, "deadline": session.stage_deadline.isoformat()})

