"""The evaluation session, first half: opening, check-in, pause, moving stages on, the commitment and
conflicts, the leader's election (docs/evaluation-session.md; 招标投标法 art. 37–38; 实施条例 art. 46, 48).
The scoring half is evaluation.actions.review."""

import datetime
import secrets
from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts.errors import DomainError, NotFound
from accounts.permissions import check
from trading.models import OpenedBid, Tender

from .. import scoring
from ..models import BidResult, Draw, EvaluationSession, LeaderVote, Member, Seat
from ..terms import effective_terms
from . import draw as draw_actions
from .sessionbase import (
    Stage,
    active_members,
    event,
    id_value,
    is_host,
    locked_session,
    log,
    member_of,
    minutes_value,
    require_running,
    require_stage,
    stage_minutes,
    text_value,
)

MAX_CHECK_IN_ATTEMPTS = draw_actions.MAX_CODE_ATTEMPTS


def _codes(n):
    """Bid codes for anonymous review, 'A'… 'Z', 'AA'…, in a random order."""
    letters = []
    for i in range(n):
        code, k = "", i
        while True:
            code = chr(ord("A") + k % 26) + code
            k = k // 26 - 1
            if k < 0:
                break
        letters.append(code)
    secrets.SystemRandom().shuffle(letters)
    return letters


def _seat_venue(seat):
    return seat.requirement.venue


def sync_members(session):
    """A Member for every accepted seat of the draw that has none yet (a replacement that accepted)."""
    seats = (Seat.objects.filter(draw_id=session.draw_id, status=Seat.Status.ACCEPTED, member__isnull=True)
             .select_related("expert", "requirement__venue").order_by("counter"))
    created = []
    for seat in seats:
        member = Member.objects.create(session=session, seat=seat, expert=seat.expert, user=seat.expert.user,
                                       venue=_seat_venue(seat))
        created.append(member)
        event(session, "member.added", {"member": member.pk, "venue": member.venue_id})
    return created


def join_replacements(draw_id):
    """After a replacement expert accepts (evaluation.actions.draw, on commit): they join the open session."""
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().filter(draw_id=draw_id).first()
        if session is not None and session.stage != Stage.CLOSED:
            sync_members(session)


def open_session(*, actor, tender_id, main_venue_id=None):
    """Staff of the tender's region open its evaluation: the draw's accepted seats become the committee,
    the opened bids its business; the tender's evaluation terms are frozen into the session."""
    with transaction.atomic():
        try:
            tender = (Tender.objects.select_for_update(of=("self",)).select_related("region", "project__owner")
                      .get(pk=tender_id))
        except (Tender.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such tender.")) from None
        check(actor, "session.open", tender)
        if EvaluationSession.objects.filter(tender=tender).exists():
            raise DomainError("session_exists", _("This tender's evaluation session is already open."),
                              http_status=409)
        if tender.status != Tender.Status.OPENED:
            raise DomainError("not_opened", _("A session opens only for a tender whose bids were opened."),
                              http_status=409)
        draw = tender.draws.filter(status=Draw.Status.COMPLETE).first()
        if draw is None:
            raise DomainError("draw_incomplete", _("The expert draw of this tender is not complete."),
                              http_status=409)
        bids = list(OpenedBid.objects.filter(bid__tender=tender, outcome=OpenedBid.Outcome.OPENED)
                    .select_related("bid").order_by("bid__submitted_at", "bid_id"))
        if not bids:
            raise DomainError("no_bids", _("No bid was opened: there is nothing to evaluate."), http_status=409)
        terms = effective_terms(tender)
        requirements = list(draw.requirements.select_related("venue"))
        main = next((r.venue for r in requirements if r.is_main_venue and r.venue_id), None)
        if main_venue_id not in (None, ""):
            main = next((r.venue for r in requirements if r.venue_id and str(r.venue_id) == str(main_venue_id)), None)
            if main is None:
                raise DomainError("unknown_venue", _("The main venue must be one of the draw's venues."),
                                  field="main_venue")
        now = timezone.now()
        session = EvaluationSession.objects.create(
            tender=tender, draw=draw, main_venue=main, terms=terms, opened_by=actor, opened_at=now,
            codes=dict(zip((str(b.pk) for b in bids), _codes(len(bids)), strict=True)),
            stage_deadline=now + datetime.timedelta(minutes=stage_minutes(Stage.CHECK_IN)))
        for b in bids:
            price = b.bid_letter.get("price")
            if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
                raise DomainError("invalid_bid_price", _("Bid %(no)s has no price in its bid letter.") % {
                    "no": b.bid.receipt_no}, http_status=409)
            BidResult.objects.create(session=session, bid=b, price_fen=price)
        members = sync_members(session)
        tender.status = Tender.Status.EVALUATING
        tender.save(update_fields=["status"])
        log("evaluation.session_opened", actor, session, {
            "tender": tender.pk, "draw": draw.pk, "members": len(members), "bids": [b.bid.receipt_no for b in bids],
            "main_venue": main.pk if main else None, "terms": terms}, role="staff")
        event(session, "session.stage", {"stage": session.stage, "deadline": session.stage_deadline.isoformat()})
    return session


def check_in(*, actor, session_id, member, code, id_last4):
    """At the expert's venue: the expert gives the one-time code of their draw text, staff compare the ID
    card's last four characters. Too many wrong codes lock the seat (call the center)."""
    error = None
    with transaction.atomic():
        session = locked_session(session_id)
        member_id = id_value(member, "unknown_member", _("No such member."))
        target = (Member.objects.select_for_update(of=("self",))
                  .select_related("seat", "expert", "venue__region", "session__tender")
                  .filter(session=session, pk=member_id).first())
        if target is None:
            raise NotFound(_("No such member."), code="unknown_member")
        check(actor, "session.check_in", target)
        require_stage(session, Stage.CHECK_IN, Stage.COMMITMENTS)
        if target.removed_at is not None or target.checked_in_at is not None:
            raise DomainError("already_done", _("This member is already checked in or has left."), http_status=409)
        if target.user_id is None:
            raise DomainError("no_account", _("This expert has no account to sign in with: link one in the pool "
                                              "first."), http_status=409)
        seat = Seat.objects.select_for_update().get(pk=target.seat_id)
        if seat.code_attempts >= MAX_CHECK_IN_ATTEMPTS:
            raise DomainError("too_many_attempts", _("Too many wrong codes: call the trading center."),
                              field="code", http_status=429)
        code_ok = constant_time_compare(seat.code_hash, draw_actions._code_digest(seat.pk, str(code or "").strip()))
        id_ok = str(id_last4 or "").strip().upper() == target.expert.id_last4.upper()
        if not code_ok:
            seat.code_attempts += 1
            seat.save(update_fields=["code_attempts"])
            error = DomainError("wrong_code", _("The code is wrong."), field="code")
        elif not id_ok:
            error = DomainError("wrong_id", _("The ID card's last four characters do not match."), field="id_last4")
        else:
            now = timezone.now()
            target.checked_in_at, target.checked_in_by = now, actor
            target.save(update_fields=["checked_in_at", "checked_in_by"])
            seat.checked_in_at = now
            seat.save(update_fields=["checked_in_at"])
            log("evaluation.expert_checked_in", actor, session, {
                "member": target.pk, "counter": seat.counter, "venue": target.venue_id}, role="staff")
            event(session, "member.checked_in", {"member": target.pk, "name": target.expert.name,
                                                 "venue": target.venue_id})
    if error is not None:
        raise error
    return {"member": target.pk}


def pause_session(*, actor, session_id, reason):
    with transaction.atomic():
        session = locked_session(session_id)
        check(actor, "session.host", session)
        require_stage(session, *[s for s in Stage.values if s != Stage.CLOSED])
        if session.paused:
            raise DomainError("already_done", _("The session is already paused."), http_status=409)
        session.paused, session.paused_reason = True, text_value(reason, "reason", max_chars=200)
        session.save(update_fields=["paused", "paused_reason"])
        log("evaluation.paused", actor, session, {"reason": session.paused_reason}, role="staff")
        event(session, "session.paused", {"reason": session.paused_reason})
    return {}


def resume_session(*, actor, session_id):
    with transaction.atomic():
        session = locked_session(session_id)
        check(actor, "session.host", session)
        if not session.paused:
            raise DomainError("already_done", _("The session is not paused."), http_status=409)
        session.paused, session.paused_reason = False, ""
        session.save(update_fields=["paused", "paused_reason"])
        log("evaluation.resumed", actor, session, {}, role="staff")
        event(session, "session.resumed", {})
    return {}


def set_stage(session, stage, minutes=None):
    session.stage = stage
    session.stage_deadline = timezone.now() + datetime.timedelta(minutes=minutes or stage_minutes(stage))
    session.save(update_fields=["stage", "stage_deadline"])
    log("evaluation.stage", None, session, {"stage": stage}, role="system")
    event(session, "session.stage", {"stage": stage, "deadline": session.stage_deadline.isoformat()})


def advance(*, actor, session_id, minutes=None):
    """The host or the leader moves the session on where a person decides (docs/evaluation-session.md)."""
    from . import review

    with transaction.atomic():
        session = locked_session(session_id)
        minutes = minutes_value(minutes, None)
        require_running(session)
        host = is_host(actor, session)
        leader = (session.leader_id is not None and session.leader.user_id == getattr(actor, "pk", None)
                  and session.leader.removed_at is None)
        if session.stage == Stage.CHECK_IN:
            if not host:
                raise DomainError("not_host", _("Only the host may start the session."), http_status=403)
            _require_whole_committee(session)
            if active_members(session).filter(checked_in_at__isnull=True).exists():
                raise DomainError("not_ready", _("Every expert must be checked in first."), http_status=409)
            set_stage(session, Stage.COMMITMENTS, minutes)
        elif session.stage == Stage.QUALIFICATION:
            if not (host or leader):
                raise DomainError("not_leader", _("Only the leader or the host may close the qualification "
                                                  "review."), http_status=403)
            review.close_qualification(session, minutes)
        elif session.stage == Stage.REVIEW:
            if not leader:
                raise DomainError("not_leader", _("Only the committee's leader may do this."), http_status=403)
            review.close_review(session, minutes)
        elif session.stage == Stage.RANKING:
            if not leader:
                raise DomainError("not_leader", _("Only the committee's leader may do this."), http_status=403)
            if active_members(session).filter(agreed_at__isnull=True).exists():
                raise DomainError("not_ready", _("Every member must agree to the ranking or write a dissent."),
                                  http_status=409)
            set_stage(session, Stage.SIGNING, minutes)
        else:
            raise DomainError("wrong_stage", _("This stage moves on by itself when everyone is done."),
                              http_status=409)
    return {"stage": session.stage}


def _require_whole_committee(session):
    waiting = Seat.objects.filter(draw_id=session.draw_id, status=Seat.Status.ACCEPTED, member__isnull=True)
    if session.draw.status != Draw.Status.COMPLETE or waiting.exists():
        raise DomainError("not_ready", _("A replacement expert has not joined yet."), http_status=409)


# --- commitments and conflicts ------------------------------------------------------------------------------

def sign_commitment(*, actor, session_id, conflicts=()):
    """The member signs the commitment (承诺书): no conflict with any bidder — or declares conflicts,
    which removes them from the committee and draws a replacement (实施条例 art. 46)."""
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.COMMITMENTS)
        require_running(session)
        member = member_of(session, actor)
        if member.committed_at is not None:
            raise DomainError("already_done", _("You have already signed the commitment."), http_status=409)
        if not isinstance(conflicts, (list, tuple)) or len(conflicts) > 200:
            raise DomainError("unknown_bid", _("Conflicts are a list of bids."), field="conflicts")
        known = {str(k) for k in session.results.values_list("bid_id", flat=True)}
        wanted = {str(c) for c in conflicts}
        if not wanted <= known:
            raise DomainError("unknown_bid", _("No such bid in this evaluation."), field="conflicts")
        now = timezone.now()
        if wanted:
            member.removed_at, member.removed_reason = now, "conflict"
            member.save(update_fields=["removed_at", "removed_reason"])
            receipts = sorted(OpenedBid.objects.filter(pk__in=wanted).values_list("bid__receipt_no", flat=True))
            log("evaluation.conflict_declared", actor, session, {
                "member": member.pk, "counter": member.seat.counter, "bids": receipts}, role="expert")
            draw_actions.withdraw_for_conflict(session.draw, member.seat, now)
            event(session, "member.removed", {"member": member.pk, "reason": "conflict"})
        else:
            member.committed_at = now
            member.save(update_fields=["committed_at"])
            log("evaluation.commitment_signed", actor, session, {"member": member.pk}, role="expert")
            event(session, "member.committed", {"member": member.pk})
        maybe_start_election(session)
    return {"removed": bool(wanted)}


def maybe_start_election(session):
    session.draw.refresh_from_db(fields=["status"])
    if session.stage != Stage.COMMITMENTS or session.draw.status != Draw.Status.COMPLETE:
        return
    sync_members(session)
    members = active_members(session)
    if members.filter(committed_at__isnull=True).exists():
        return
    set_stage(session, Stage.LEADER)


# --- the leader ---------------------------------------------------------------------------------------------

def vote_leader(*, actor, session_id, member):
    """One vote per member and round; a majority of the committee elects; a tie re-votes among the tied."""
    with transaction.atomic():
        session = locked_session(session_id)
        require_stage(session, Stage.LEADER)
        require_running(session)
        voter = member_of(session, actor)
        candidate_id = id_value(member, "unknown_member", _("No such member."))
        eligible = set(session.leader_candidates) or set(active_members(session).values_list("pk", flat=True))
        if candidate_id not in eligible or not active_members(session).filter(pk=candidate_id).exists():
            raise DomainError("unknown_member", _("This member cannot be elected in this round."), field="member")
        if LeaderVote.objects.filter(session=session, round=session.leader_round, voter=voter).exists():
            raise DomainError("already_done", _("You have already voted in this round."), http_status=409)
        LeaderVote.objects.create(session=session, round=session.leader_round, voter=voter, candidate_id=candidate_id)
        votes = Counter(LeaderVote.objects.filter(session=session, round=session.leader_round)
                        .values_list("candidate_id", flat=True))
        size = active_members(session).count()
        cast = sum(votes.values())
        event(session, "leader.voted", {"round": session.leader_round, "cast": cast, "of": size})
        if cast >= size:
            _tally(session, votes, size)
    return {}


def _tally(session, votes, size):
    ranked = votes.most_common()
    top_count = ranked[0][1]
    if top_count * 2 > size:
        leader = Member.objects.get(pk=ranked[0][0])
        session.leader = leader
        session.save(update_fields=["leader"])
        log("evaluation.leader_elected", None, session, {"member": leader.pk, "round": session.leader_round,
                                                         "votes": top_count, "of": size}, role="system")
        event(session, "leader.elected", {"member": leader.pk, "round": session.leader_round})
        set_stage(session, Stage.QUALIFICATION)
        return
    tied = [m for m, n in ranked if n == top_count]
    if len(tied) == 1:  # a plurality without a majority: the top one against the runners-up
        second = ranked[1][1]
        tied += [m for m, n in ranked if n == second]
    session.leader_round += 1
    session.leader_candidates = sorted(tied)
    session.save(update_fields=["leader_round", "leader_candidates"])
    log("evaluation.leader_round", None, session, {"round": session.leader_round, "candidates": sorted(tied)},
        role="system")
    event(session, "leader.round", {"round": session.leader_round, "candidates": sorted(tied)})


def price_scores(session, results):
    """{bid id: price score} of the qualified bids by the frozen price rule (None for lowest price)."""
    rule_json = session.terms.get("price_rule")
    if not rule_json:
        return {}
    weight = next(c["weight"] for c in session.terms["criteria"] if c["kind"] == "price")
    rule = scoring.check_price_rule(rule_json, weight)
    prices = {r.bid_id: r.price_fen for r in results if r.qualified}
    return scoring.price_scores(rule, prices) if prices else {}
