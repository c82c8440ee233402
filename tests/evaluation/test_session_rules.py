"""The session's rules, each refusal leaving everything as it was: stages, membership, bounds, the leader's
election, qualification by majority, conflicts with their replacement, pause, more time, returned sheets."""

from decimal import Decimal

import pytest

from accounts.errors import DomainError
from evaluation.actions import draw as draw_actions
from evaluation.actions import review
from evaluation.actions import session as actions
from evaluation.models import Member, Score, Seat
from evaluation.session_view import snapshot
from ledger.models import Entry
from realtime.models import StreamEvent
from tests.evaluation.draw_setup import close_evaluation
from tests.evaluation.session_setup import accept_replacements, session_scene
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(opened_tender, expert_pool):
    return session_scene(opened_tender, expert_pool)


def _refused(expected, fn, **kwargs):
    before = (Entry.objects.count(), StreamEvent.objects.count(), Score.objects.count())
    with pytest.raises(DomainError) as exc:
        fn(**kwargs)
    assert exc.value.code == expected, exc.value.code
    assert (Entry.objects.count(), StreamEvent.objects.count(), Score.objects.count()) == before


def test_open_needs_a_complete_draw_and_the_region_s_staff(opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool, open_session=False)
    _refused("permission_denied", actions.open_session, actor=make_user("staff", "511922"), tender_id=scene.tender.pk)
    _refused("permission_denied", actions.open_session, actor=scene.regulator, tender_id=scene.tender.pk)
    session = actions.open_session(actor=scene.host, tender_id=scene.tender.pk)
    assert session.members.count() == 5
    assert session.main_venue == scene.venues[0]
    _refused("session_exists", actions.open_session, actor=scene.host, tender_id=scene.tender.pk)


def test_check_in_checks_the_code_and_the_id_card(scene):
    m = scene.members[0]
    sid = scene.session.pk
    _refused("wrong_id", actions.check_in, actor=scene.host, session_id=sid, member=m.pk, code=scene.codes[m.pk],
             id_last4="0000")
    with pytest.raises(DomainError) as exc:
        actions.check_in(actor=scene.host, session_id=sid, member=m.pk, code="000000", id_last4=m.expert.id_last4)
    assert exc.value.code == "wrong_code"
    assert Seat.objects.get(pk=m.seat_id).code_attempts == 1  # the attempt counts, nothing else changed
    # Staff of another sub-venue may not check this member in; the member's own venue staff may.
    other = next(v for v in scene.venues if v.pk != m.venue_id and v != scene.venues[0])
    _refused("permission_denied", actions.check_in, actor=scene.venue_staff[other.pk], session_id=sid, member=m.pk,
             code=scene.codes[m.pk], id_last4=m.expert.id_last4)
    sub = next(x for x in scene.members if x.venue_id == other.pk)
    actions.check_in(actor=scene.venue_staff[other.pk], session_id=sid, member=sub.pk, code=scene.codes[sub.pk],
                     id_last4=sub.expert.id_last4.lower())
    assert Member.objects.get(pk=sub.pk).checked_in_at is not None
    assert Seat.objects.get(pk=sub.seat_id).checked_in_at is not None
    _refused("already_done", actions.check_in, actor=scene.host, session_id=sid, member=sub.pk,
             code=scene.codes[sub.pk], id_last4=sub.expert.id_last4)
    _refused("not_ready", actions.advance, actor=scene.host, session_id=sid)


def test_only_members_act_and_only_at_their_stage(scene):
    sid = scene.session.pk
    scene.check_in_all()
    m = scene.members[0]
    _refused("wrong_stage", actions.sign_commitment, actor=m.user, session_id=sid, conflicts=[])
    actions.advance(actor=scene.host, session_id=sid)
    _refused("not_member", actions.sign_commitment, actor=scene.host, session_id=sid, conflicts=[])
    _refused("not_member", actions.sign_commitment, actor=make_user("expert"), session_id=sid, conflicts=[])
    _refused("unknown_bid", actions.sign_commitment, actor=m.user, session_id=sid, conflicts=[999999])
    _refused("wrong_stage", review.set_score, actor=m.user, session_id=sid, bid=scene.bids[0].pk, criterion=1,
             points="1")
    _refused("wrong_stage", actions.advance, actor=m.user, session_id=sid)


def test_a_declared_conflict_removes_the_expert_and_draws_a_replacement(scene, django_capture_on_commit_callbacks):
    sid = scene.session.pk
    scene.check_in_all()
    actions.advance(actor=scene.host, session_id=sid)
    leaving = scene.members[1]
    with django_capture_on_commit_callbacks(execute=True):  # the replacement's text goes out on commit
        result = actions.sign_commitment(actor=leaving.user, session_id=sid, conflicts=[scene.bids[0].pk])
    assert result == {"removed": True}
    leaving.refresh_from_db()
    assert leaving.removed_reason == "conflict"
    seat = Seat.objects.get(pk=leaving.seat_id)
    assert seat.status == "conflicted"
    assert Seat.objects.filter(replaces=seat).count() == 1  # drawn by the same procedure
    answered = [e for e in Entry.objects.filter(action="draw.seat_answered") if '"conflicted"' in e.payload]
    assert len(answered) == 1
    for m in scene.members:
        actions.sign_commitment(actor=m.user, session_id=sid, conflicts=[])
    assert scene.refresh().stage == "commitments"  # waits for the replacement
    accept_replacements(scene)
    new = Member.objects.get(session=scene.session, seat__replaces=seat)
    assert new.venue_id == leaving.venue_id
    actions.check_in(actor=scene.host, session_id=sid, member=new.pk, code=scene.codes[new.pk],
                     id_last4=new.expert.id_last4)
    actions.sign_commitment(actor=new.user, session_id=sid, conflicts=[])
    assert scene.refresh().stage == "leader"
    # The draw still verifies once revealed, the conflict replayed from the log.
    scene.to_stage("signing")
    close_evaluation(scene.tender)
    draw_actions.reveal_draw(actor=scene.host, draw_id=scene.session.draw_id)
    assert draw_actions.verify_draw_record(scene.session.draw) == []


def test_a_tie_re_votes_among_the_tied(scene):
    scene.to_stage("leader")
    sid = scene.session.pk
    ms = scene.members
    a, b = ms[0], ms[1]
    for voter, choice in zip(ms, [a, a, b, b, ms[4]], strict=True):
        actions.vote_leader(actor=voter.user, session_id=sid, member=choice.pk)
    s = scene.refresh()
    assert s.stage == "leader" and s.leader_round == 2 and s.leader_candidates == sorted([a.pk, b.pk])
    _refused("unknown_member", actions.vote_leader, actor=ms[0].user, session_id=sid, member=ms[4].pk)
    for voter, choice in zip(ms, [a, a, a, b, b], strict=True):
        actions.vote_leader(actor=voter.user, session_id=sid, member=choice.pk)
    s = scene.refresh()
    assert s.leader_id == a.pk and s.stage == "qualification"


def test_qualification_by_majority_and_failed_bids_are_not_scored(scene):
    failing = scene.bids[2].pk
    scene.to_stage("scoring", fail=[failing])
    s = scene.refresh()
    result = s.results.get(bid_id=failing)
    assert result.qualified is False
    assert result.fail_reasons[0]["criterion"] == 0 and "资质证书过期" in result.fail_reasons[0]["reasons"]
    assert result.price_score is None
    m = scene.members[0]
    _refused("bid_not_qualified", review.set_score, actor=m.user, session_id=s.pk, bid=failing, criterion=1,
             points="1")
    price = next(i for i, c in enumerate(s.terms["criteria"]) if c["kind"] == "price")
    other = next(i for i, c in enumerate(s.terms["criteria"]) if c["kind"] != "price")
    weight = s.terms["criteria"][other]["weight"]
    ok = scene.bids[0].pk
    _refused("price_computed", review.set_score, actor=m.user, session_id=s.pk, bid=ok, criterion=price, points="1")
    _refused("out_of_bounds", review.set_score, actor=m.user, session_id=s.pk, bid=ok, criterion=other,
             points=str(weight + 1))
    _refused("out_of_bounds", review.set_score, actor=m.user, session_id=s.pk, bid=ok, criterion=other, points="-1")
    _refused("invalid_points", review.set_score, actor=m.user, session_id=s.pk, bid=ok, criterion=other,
             points="1.234")
    _refused("unknown_criterion", review.set_score, actor=m.user, session_id=s.pk, bid=ok, criterion=99, points="1")
    _refused("sheet_incomplete", review.submit_sheet, actor=m.user, session_id=s.pk)


def test_pause_stops_scores_and_the_sheet_locks_once_submitted(scene):
    scene.to_stage("scoring")
    s = scene.refresh()
    m = scene.members[0]
    other = next(i for i, c in enumerate(s.terms["criteria"]) if c["kind"] != "price")
    _refused("permission_denied", actions.pause_session, actor=m.user, session_id=s.pk, reason="x")
    actions.pause_session(actor=scene.host, session_id=s.pk, reason="南江县评标室网络中断")
    _refused("paused", review.set_score, actor=m.user, session_id=s.pk, bid=scene.bids[0].pk, criterion=other,
             points="1")
    actions.resume_session(actor=scene.host, session_id=s.pk)
    review.set_score(actor=m.user, session_id=s.pk, bid=scene.bids[0].pk, criterion=other, points="1.5")
    assert Score.objects.get(member=m, bid_id=scene.bids[0].pk, criterion=other).points == Decimal("1.50")
    scene.score_all()
    assert scene.refresh().stage == "review"
    _refused("sheet_locked", review.set_score, actor=m.user, session_id=s.pk, bid=scene.bids[0].pk,
             criterion=other, points="2")


def test_the_leader_returns_a_sheet_and_the_member_corrects_it(scene):
    scene.to_stage("review")
    s = scene.refresh()
    leader, member = scene.members[0], scene.members[3]
    _refused("not_leader", review.return_sheet, actor=member.user, session_id=s.pk, member=leader.pk, reason="x")
    _refused("reason_required", review.return_sheet, actor=leader.user, session_id=s.pk, member=member.pk, reason="")
    review.return_sheet(actor=leader.user, session_id=s.pk, member=member.pk, reason="第2项分数偏离较大，请复核")
    _refused("not_ready", actions.advance, actor=leader.user, session_id=s.pk)
    other = next(i for i, c in enumerate(s.terms["criteria"]) if c["kind"] != "price")
    review.set_score(actor=member.user, session_id=s.pk, bid=scene.bids[0].pk, criterion=other, points="3")
    review.submit_sheet(actor=member.user, session_id=s.pk)
    actions.advance(actor=leader.user, session_id=s.pk)
    assert scene.refresh().stage == "ranking"


def test_the_summary_flags_outliers_and_nobody_sees_scores_before_all_are_in(scene):
    scene.to_stage("scoring")
    s = scene.refresh()
    other = next(i for i, c in enumerate(s.terms["criteria"]) if c["kind"] != "price")
    weight = s.terms["criteria"][other]["weight"]

    def points(member, bid, index, w):
        if member.pk == scene.members[4].pk and index == other:
            return f"{w * 0.2:.2f}"  # far below the others
        return f"{w * 0.8:.2f}"

    first = scene.members[0]
    review.set_score(actor=first.user, session_id=s.pk, bid=scene.bids[0].pk, criterion=other,
                     points=f"{weight * 0.8:.2f}")
    _seq, data = snapshot(s.pk, scene.members[1].user)
    assert data["summary"] is None and data["mine"]["scores"] == {}
    scene.score_all(points)
    _seq, data = snapshot(s.pk, first.user)
    flagged = {f["member"] for b in data["summary"]["bids"] for f in b["flags"]}
    assert flagged == {scene.members[4].pk}
    _seq, regulator_view = snapshot(s.pk, scene.regulator)
    assert regulator_view["summary"] is None and regulator_view["me"]["role"] == "regulator"


def test_anonymous_review_shows_codes_until_the_sheets_lock(opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool, terms={"anonymous_technical": True})
    scene.to_stage("scoring")
    _seq, data = snapshot(scene.session.pk, scene.members[0].user)
    assert all(b["name"] is None and b["code"] for b in data["bids"])
    assert all(f["name"].startswith(b["code"] + "-") for b in data["bids"] for f in b["files"])
    _seq, staff = snapshot(scene.session.pk, scene.host)
    assert all(b["name"] for b in staff["bids"])
    scene.score_all()
    _seq, data = snapshot(scene.session.pk, scene.members[0].user)
    assert all(b["name"] for b in data["bids"])


def test_more_time_when_more_than_a_third_agree(scene):
    scene.to_stage("scoring")
    s = scene.refresh()
    deadline = s.stage_deadline
    ms = scene.members
    ext = review.request_extension(actor=ms[0].user, session_id=s.pk, minutes=30, reason="技术标内容较多")["extension"]
    assert scene.refresh().stage_deadline == deadline  # 1 of 5 is not more than a third
    _refused("already_done", review.agree_extension, actor=ms[0].user, session_id=s.pk, extension=ext)
    review.agree_extension(actor=ms[1].user, session_id=s.pk, extension=ext)
    assert (scene.refresh().stage_deadline - deadline).total_seconds() == 30 * 60
