"""What one viewer of an evaluation session may see: the snapshot (docs/evaluation-session.md, "The
snapshot"), the audience filter of its events, and the presence board's counts.

Confidentiality (招标投标法 art. 37, 44): an expert's name appears once they are checked in (regulators
see the drawn names as they do in the draw); no one sees another expert's scores before every sheet is
in; while an anonymous technical review runs (暗标) the committee sees bid codes, not names.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role
from realtime import groups
from realtime.events import append_stream_event, stream_head
from trading.models import OpenedFile

from .actions.clarify import session_clarifications
from .models import EvaluationSession, LeaderVote, Member, QualificationVote, Score

Stage = EvaluationSession.Stage
COMMITTEE_STAGES = {Stage.REVIEW, Stage.RANKING, Stage.SIGNING, Stage.CLOSED}


@dataclass
class Viewer:
    role: str  # member | host | venue_staff | regulator
    member_id: int | None = None
    is_leader: bool = False
    venue_ids: list = field(default_factory=list)

    @property
    def committee(self):
        return self.role in ("member", "host")


def viewer(session, user):
    """The viewer `user` is in `session`, or None (may not watch)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    member = session.members.filter(user=user, removed_at__isnull=True).first()
    if member is not None:
        return Viewer("member", member.pk, session.leader_id == member.pk)
    tender = session.tender
    venues = list(session.members.exclude(venue=None).values_list("venue__pk", "venue__region__code").distinct())
    if has_role(user, Role.STAFF, tender.region):
        return Viewer("host", venue_ids=sorted({v for v, _code in venues}))
    from accounts.models import Region

    hosted = sorted({v for v, code in venues if has_role(user, Role.STAFF, Region.objects.get(code=code))})
    if hosted:
        return Viewer("venue_staff", venue_ids=hosted)
    if has_role(user, Role.REGULATOR, tender.region):
        return Viewer("regulator")
    return None


def visible(data, who: Viewer) -> bool:
    """May `who` receive an event whose data is `data`?"""
    audience = data.get("audience", "all")
    if audience == "all":
        return True
    if audience == "committee":
        return who.committee
    if audience == "staff":
        return who.role in ("host", "venue_staff", "regulator")
    return False


def presence(session_id, user, delta):
    """A member's socket opened (+1) or closed (−1): the presence board's count, and its event."""
    with transaction.atomic():
        member = Member.objects.filter(session_id=session_id, user=user, removed_at__isnull=True).first()
        if member is None:
            return None
        Member.objects.filter(pk=member.pk).update(online=F("online") + delta)
        member.refresh_from_db(fields=["online"])
        if member.online < 0:
            Member.objects.filter(pk=member.pk).update(online=0)
            member.online = 0
        append_stream_event(groups.evaluation_session(session_id), "member.presence",
                            {"audience": "all", "member": member.pk, "online": member.online > 0})
    return member.online


def _iso(value):
    return value.isoformat() if value else None


def snapshot(session_id, user):
    """(seq, data): the stream's head and what `user` sees of the session now."""
    session = (EvaluationSession.objects.select_related("tender__region", "tender__project", "main_venue")
               .get(pk=session_id))
    who = viewer(session, user)
    if who is None:
        return None
    seq = stream_head(groups.evaluation_session(session.pk))  # read first: later events arrive as events
    tender = session.tender
    members = list(session.members.select_related("expert", "venue").order_by("id"))
    terms = session.terms
    masked = terms.get("anonymous_technical") and not session.unmasked and who.role == "member"
    results = list(session.results.select_related("bid__bid__organization").order_by("id"))
    files = {}
    for f in OpenedFile.objects.filter(opened_id__in=[r.bid_id for r in results]).order_by("id"):
        files.setdefault(f.opened_id, []).append({"id": f.pk, "name": f.name, "size": f.size})
    data = {
        "session": {
            "id": session.pk, "stage": session.stage, "paused": session.paused, "paused_reason": session.paused_reason,
            "tender": {"id": tender.pk, "code": tender.code, "title": tender.title, "method": terms.get("method")},
            "deadline": _iso(session.stage_deadline), "now": timezone.now().isoformat(),
            "anonymous": bool(terms.get("anonymous_technical")), "unmasked": session.unmasked,
            "leader": session.leader_id, "leader_round": session.leader_round,
            "leader_candidates": session.leader_candidates, "report": session.report_id,
            "report_error": session.report_error, "closed_at": _iso(session.closed_at),
            "main_venue": session.main_venue_id,
        },
        "me": {"role": who.role, "member": who.member_id, "is_leader": who.is_leader, "venues": who.venue_ids},
        "venues": _venues(session, members),
        "members": [_member(m, session, who) for m in members],
        "bids": [{
            "id": r.bid_id, "code": session.codes.get(str(r.bid_id), ""),
            "name": None if masked else r.bid.bid.organization.name, "price_fen": r.price_fen,
            "qualified": r.qualified, "fail_reasons": r.fail_reasons,
            "price_score": str(r.price_score) if r.price_score is not None else None,
            "files": _files(files.get(r.bid_id, []), session.codes.get(str(r.bid_id), ""), masked)
            if who.role in ("member", "host") else [],
        } for r in results],
        "criteria": [{"index": i, **c} for i, c in enumerate(terms.get("criteria", []))],
        "qualification_criteria": [{"index": i, "name": n} for i, n in enumerate(terms.get("qualification_criteria", []))],
        "mine": _mine(who) if who.role == "member" else None,
        "leader_votes": {
            "round": session.leader_round,
            "cast": LeaderVote.objects.filter(session=session, round=session.leader_round).count(),
            "of": sum(1 for m in members if m.removed_at is None),
            "mine": LeaderVote.objects.filter(session=session, round=session.leader_round,
                                              voter_id=who.member_id).values_list("candidate_id", flat=True).first(),
        },
        "summary": None,
        "ranking": session.ranking,
        "extensions": [{
            "id": e.pk, "minutes": e.minutes, "reason": e.reason, "agreed": len(e.agreed),
            "needed": sum(1 for m in members if m.removed_at is None) // 3 + 1,
            "granted": e.granted_at is not None, "mine": who.member_id in e.agreed,
        } for e in session.extensions.order_by("id")],
        "clarifications": session_clarifications(session) if who.committee else [],
    }
    if (who.committee and session.stage in COMMITTEE_STAGES and terms.get("method") == "comprehensive"
            and session.results.filter(qualified=True).exists()):
        from .actions.review import summary

        data["summary"] = summary(session)
    return seq, data


def _files(rows, code, masked):
    """While the review is anonymous a file's own name may name its bidder: show the bid's code instead."""
    if not masked:
        return rows
    return [{**f, "name": f"{code}-{i}{('.' + f['name'].rsplit('.', 1)[1]) if '.' in f['name'] else ''}"}
            for i, f in enumerate(rows, 1)]


def _venues(session, members):
    seen = {}
    for m in members:
        if m.venue_id and m.venue_id not in seen:
            seen[m.venue_id] = {"id": m.venue_id, "name": m.venue.name, "main": m.venue_id == session.main_venue_id}
    return sorted(seen.values(), key=lambda v: (not v["main"], v["name"]))


def _member(m, session, who):
    named = m.checked_in_at is not None or who.role == "regulator"
    return {
        "id": m.pk, "name": m.expert.name if named else None, "venue": m.venue_id,
        "checked_in": m.checked_in_at is not None, "committed": m.committed_at is not None,
        "removed": m.removed_at is not None, "online": m.online > 0, "is_leader": session.leader_id == m.pk,
        "qualification_submitted": m.qualification_submitted_at is not None,
        "sheet_submitted": m.sheet_submitted_at is not None, "agreed": m.agreed_at is not None,
        "dissent": m.dissent if session.stage in (Stage.SIGNING, Stage.CLOSED) or m.pk == who.member_id else "",
        "signed": m.signed_at is not None, "returned_reason": m.sheet_returned_reason,
        "id_last4_needed": m.checked_in_at is None and who.role in ("host", "venue_staff")
        and (who.role == "host" or m.venue_id in who.venue_ids),
    }


def _mine(who):
    qualification, scores = {}, {}
    for bid, criterion, passed, reason in QualificationVote.objects.filter(member_id=who.member_id).values_list(
            "bid_id", "criterion", "passed", "reason"):
        qualification.setdefault(str(bid), {})[str(criterion)] = {"passed": passed, "reason": reason}
    for bid, criterion, points in Score.objects.filter(member_id=who.member_id).values_list("bid_id", "criterion",
                                                                                            "points"):
        scores.setdefault(str(bid), {})[str(criterion)] = str(points)
    return {"qualification": qualification, "scores": scores}
