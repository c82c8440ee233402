"""The evaluation session through its websocket (docs/evaluation-session.md), against the real ASGI
application: every stage moved on by messages, every kind of refusal, and who may connect at all."""

import json

import pytest
from channels.db import database_sync_to_async

from evaluation.actions.report import produce_session_report
from evaluation.models import Member, Score
from tests.factories import make_user
from tests.realtime.evaluation_client import (
    MEMBER_SEES,
    REGULATOR_SEES,
    Page,
    refused_at_connect,
    state,
    stored_events,
)
from tests.realtime.evaluation_fixtures import *  # noqa: F403  (the scene fixture)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

SCORED = 1  # the default tender's criteria: 0 the price (computed, weight 60), 1 the technical plan (weight 40)


@database_sync_to_async
def _people(scene):
    """(members in seat order with their users and codes, bid ids, {venue id: its staff})."""
    members = [(m.pk, m.user, m.venue_id, scene.codes[m.pk], m.expert.id_last4) for m in scene.members]
    return members, [b.pk for b in scene.bids], scene.venue_staff


async def _stage(session_id):
    return (await state(session_id))["session"][0]["stage"]


async def test_a_session_runs_through_every_stage_on_the_socket(scene):
    sid = scene.session.pk
    members, bids, venue_staff = await _people(scene)
    main_venue = scene.session.main_venue_id
    host = await Page.open(scene.host, sid)
    regulator = await Page.open(scene.regulator, sid)
    staff = {venue: await Page.open(user, sid) for venue, user in venue_staff.items() if venue != main_venue}
    experts = [await Page.open(user, sid) for _pk, user, *_ in members]
    assert [p.snapshot["data"]["me"]["role"] for p in (host, regulator, *staff.values(), experts[0])] == [
        "host", "regulator", *["venue_staff"] * len(staff), "member"]
    ids = [pk for pk, *_ in members]

    # Check-in: the host checks in the main venue's experts, each sub-venue's staff their own.
    for pk, _user, venue, code, last4 in members:
        page = host if venue == main_venue else staff[venue]
        assert await page.ok("session.check_in", {"member": pk, "code": code, "id_last4": last4}) == {"member": pk}
    assert await host.ok("session.advance") == {"stage": "commitments"}

    for page in experts:
        assert await page.ok("commitment.sign", {"conflicts": []}) == {"removed": False}
    assert await _stage(sid) == "leader"
    for page in experts:
        await page.ok("leader.vote", {"member": ids[0]})
    assert await _stage(sid) == "qualification"
    leader = experts[0]

    # Qualification: everyone fails the last bid on criterion 0, with a reason; the leader closes.
    for page in experts:
        for bid in bids:
            for criterion in range(4):
                failing = bid == bids[-1] and criterion == 0
                await page.ok("qualification.vote", {"bid": bid, "criterion": criterion, "passed": not failing,
                                                     "reason": "资质证书过期" if failing else ""})
        await page.ok("qualification.submit")
    assert await leader.ok("session.advance") == {"stage": "scoring"}

    # Scoring, with more time asked for and granted, and a clarification asked of a bidder.
    extension = (await experts[1].ok("extension.request", {"minutes": 30, "reason": "技术方案较长"}))["extension"]
    await experts[2].ok("extension.agree", {"extension": extension})
    asked = await leader.ok("clarification.ask", {"bid": bids[0], "question": "请说明工期安排", "minutes": 60})
    for n, page in enumerate(experts):
        for bid in bids[:-1]:
            assert await page.ok("score.set", {"bid": bid, "criterion": SCORED, "points": f"{30 + n}.50"}) == {
                "points": f"{30 + n}.50"}
        await page.ok("sheet.submit")
    assert await _stage(sid) == "review"

    # Review: the leader returns one sheet; its member corrects and submits again; the leader moves on.
    await leader.ok("sheet.return", {"member": ids[4], "reason": "分数偏高,请复核"})
    await experts[4].ok("score.set", {"bid": bids[0], "criterion": SCORED, "points": "31"})
    await experts[4].ok("sheet.submit")
    assert await leader.ok("session.advance") == {"stage": "ranking"}

    for page in experts[:-1]:
        await page.ok("ranking.agree")
    await experts[-1].ok("ranking.dissent", {"text": "第二名技术方案更优"})
    assert await leader.ok("session.advance") == {"stage": "signing"}
    for page in experts:
        await page.ok("report.sign")
    # The task worker's step (here, in this process): the signed report closes the session.
    await database_sync_to_async(produce_session_report)(sid)

    pages = (host, regulator, *staff.values(), *experts)
    for page in pages:
        await page.drain()
    final = await state(sid)
    assert final["session"][0]["leader_id"] == ids[0]
    assert [m["signed_at"] is not None for m in final["members"]] == [True] * 5
    assert final["members"][4]["dissent"] == "第二名技术方案更优"
    assert [(r["bid_id"], r["qualified"]) for r in final["results"]] == [(b, b != bids[-1]) for b in bids]
    assert final["extensions"][0]["granted_at"] is not None
    assert final["clarifications"][0]["id"] == asked["clarification"]
    points = await database_sync_to_async(lambda: {
        (s.member_id, s.bid_id): str(s.points) for s in Score.objects.all()})()
    assert points == {(pk, bid): "31.00" if (pk, bid) == (ids[4], bids[0]) else f"{30 + n}.50"
                      for n, pk in enumerate(ids) for bid in bids[:-1]}

    # Every stage, in order, reached every viewer; each saw exactly the stored events of its audience.
    stages = [e["data"]["stage"] for e in regulator.events if e["type"] == "session.stage"]
    assert stages == ["commitments", "leader", "qualification", "scoring", "review", "ranking", "signing"]
    assert [e["type"] for e in regulator.events][-1] == "session.closed"
    assert (final["session"][0]["stage"], final["tender"]) == ("closed", [{"status": "evaluated"}])
    for page, audiences in ((host, MEMBER_SEES), (regulator, REGULATOR_SEES), *((p, ("all",)) for p in staff.values()),
                            *((p, MEMBER_SEES) for p in experts)):
        assert page.events == await stored_events(sid, page.snapshot["seq"], audiences, upto=final["stream_head"])
    assert {"sheet.progress", "review.summary", "sheet.returned", "clarification.asked"} <= set(host.types())
    assert not {"sheet.progress", "review.summary", "sheet.returned", "clarification.asked"} & set(regulator.types())
    for page in pages:
        await page.close()


@database_sync_to_async
def _scoring(scene):
    """The session in scoring, the last bid failed at qualification; (members' users, bid ids)."""
    bids = [b.pk for b in scene.bids]
    scene.to_stage("scoring", fail=[bids[-1]])
    return [m.user for m in scene.members], bids


async def test_refused_messages_change_nothing_and_reach_no_one(scene):
    users, bids = await _scoring(scene)
    sid = scene.session.pk
    experts = [await Page.open(user, sid) for user in users]
    host, regulator = await Page.open(scene.host, sid), await Page.open(scene.regulator, sid)
    await experts[1].ok("score.set", {"bid": bids[0], "criterion": SCORED, "points": "30"})
    for page in (*experts, host, regulator):
        await page.drain()
    before = await state(sid)

    async def refused(page, msg_type, data, code):
        reply = await page.ask(msg_type, data)
        assert (reply["type"], reply["code"], reply["data"]["code"]) == ("error", code, code), reply
        assert reply["data"]["detail"]

    await refused(experts[1], "qualification.vote", {"bid": bids[0], "criterion": 0, "passed": True}, "wrong_stage")
    await refused(experts[1], "leader.vote", {"member": 1}, "wrong_stage")
    await refused(experts[1], "ranking.agree", {}, "wrong_stage")
    await refused(host, "session.advance", {}, "wrong_stage")  # scoring ends by itself
    await refused(experts[1], "score.set", {"bid": bids[0], "criterion": SCORED, "points": "40.01"}, "out_of_bounds")
    await refused(experts[1], "score.set", {"bid": bids[0], "criterion": SCORED, "points": "-1"}, "out_of_bounds")
    await refused(experts[1], "score.set", {"bid": bids[-1], "criterion": SCORED, "points": "30"}, "bid_not_qualified")
    await refused(experts[1], "score.set", {"bid": bids[0], "criterion": 0, "points": "30"}, "price_computed")
    await refused(experts[1], "score.set", {"bid": bids[0], "criterion": 7, "points": "30"}, "unknown_criterion")
    await refused(experts[1], "sheet.submit", {}, "sheet_incomplete")
    await refused(experts[1], "clarification.ask", {"bid": bids[0], "question": "?", "minutes": 30}, "not_leader")
    await refused(experts[1], "session.pause", {"reason": "休息"}, "permission_denied")
    await refused(experts[1], "no.such.thing", {}, "unknown_type")
    # The regulator watches: every message is refused read-only, and none is claimed.
    for msg_type in ("session.check_in", "session.pause", "session.advance", "score.set", "sheet.submit",
                     "report.sign", "no.such.thing"):
        await refused(regulator, msg_type, {"bid": bids[0], "criterion": SCORED, "points": "30"}, "read_only")
    watched = await regulator.ok("session.snapshot")
    assert watched["seq"] == before["stream_head"]
    assert (watched["snapshot"]["me"]["role"], watched["snapshot"]["session"]["stage"]) == ("regulator", "scoring")

    for page in (*experts, host, regulator):
        assert await page.drain() == []
    assert await state(sid) == before

    # Paused, no score is taken; resumed, it is.
    await host.ok("session.pause", {"reason": "网络中断"})
    paused = await state(sid)
    await refused(experts[2], "score.set", {"bid": bids[0], "criterion": SCORED, "points": "30"}, "paused")
    assert await state(sid) == paused
    await host.ok("session.resume")
    await experts[2].ok("score.set", {"bid": bids[0], "criterion": SCORED, "points": "30"})
    for page in (*experts, host, regulator):
        await page.close()


async def test_no_one_outside_the_session_may_connect(scene):
    sid = scene.session.pk
    outsiders = await database_sync_to_async(lambda: [
        None, scene.opened.outsider, scene.bidders[0], make_user("staff", "511902"), make_user("regulator", "511902"),
        make_user("expert", "511900")])()
    before = await state(sid)
    for user in outsiders:
        assert await refused_at_connect(user, sid), user
    for user in (scene.host, scene.regulator):
        assert await refused_at_connect(user, sid + 1000)  # no such session
    assert await state(sid) == before  # no presence, no event


async def test_a_member_who_declares_a_conflict_leaves_the_committee_and_its_socket(scene):
    members, bids, _ = await _people(scene)
    await database_sync_to_async(scene.to_stage)("commitments")
    sid = scene.session.pk
    leaving = await Page.open(members[0][1], sid)
    staying = await Page.open(members[1][1], sid)
    assert await leaving.ok("commitment.sign", {"conflicts": [bids[1]]}) == {"removed": True}
    received = []
    while (output := await leaving.ws.receive_output(timeout=5))["type"] == "websocket.send":
        received.append(json.loads(output["text"]))
    # It hears of its own removal, then the socket closes: the committee's business is no longer its own.
    assert output == {"type": "websocket.close", "code": 4403}
    assert received[-1]["type"] == "member.removed"
    assert received[-1]["data"] == {"audience": "all", "member": members[0][0], "reason": "conflict"}
    assert await refused_at_connect(members[0][1], sid)
    assert [e["type"] for e in await staying.drain()][-1] == "member.removed"
    member = await database_sync_to_async(Member.objects.get)(pk=members[0][0])
    assert member.removed_reason == "conflict"
    await staying.close()


async def test_a_snapshot_request_is_answered_every_time_and_changes_nothing(scene):
    sid = scene.session.pk
    page = await Page.open(scene.host, sid)
    before = await state(sid)
    for _ in range(3):  # the same id again and again: never claimed, answered afresh
        reply = await page.ok("session.snapshot", msg_id="same")
        assert (reply["seq"], reply["snapshot"]["session"]["stage"]) == (before["stream_head"], "check_in")
    assert await state(sid) == before
    await page.close()


async def test_the_host_may_ask_for_the_report_again_only_after_a_failure(scene):
    """`report.retry` (evaluation.actions.report.retry_report): the host's, refused before signing and to members."""
    sid = scene.session.pk
    host = await Page.open(scene.host, sid)
    member = await Page.open(scene.members[0].user, sid)
    before = await state(sid)
    assert (await host.ask("report.retry"))["data"]["code"] == "wrong_stage"
    assert (await member.ask("report.retry"))["data"]["code"] == "permission_denied"
    assert await state(sid) == before
    await host.close()
    await member.close()
