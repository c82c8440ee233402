"""Reconnecting to the evaluation session's websocket in the middle of scoring (docs/architecture.md §8): with `last_seq`
a client gets exactly the stored events it missed, in order, none twice, only those its role may see; a
message sent again with the same id is answered as the first time and never applied twice; an event that
overtakes the ones before it (from another process) waits for them; a socket whose group Redis forgot
joins again and reads what it missed."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F

from evaluation.models import Score
from ledger.models import Entry
from realtime import groups
from realtime.evaluation_consumer import EvaluationSessionConsumer
from realtime.models import ClientMessage, Stream, StreamEvent
from tests.realtime.evaluation_client import MEMBER_SEES, REGULATOR_SEES, Page, state, stored_events
from tests.realtime.evaluation_fixtures import *  # noqa: F403  (the scene fixture)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

SCORED = 1  # the technical plan (weight 40); criterion 0 is the computed price


@database_sync_to_async
def _scoring(scene):
    scene.to_stage("scoring")
    return [m.user for m in scene.members], [b.pk for b in scene.bids]


def _last_seen(page):
    return page.events[-1]["seq"] if page.events else page.snapshot["seq"]


async def test_a_client_reconnecting_with_a_stale_last_seq_gets_exactly_what_it_missed(scene):
    users, bids = await _scoring(scene)
    sid = scene.session.pk
    a, b, regulator = (await Page.open(users[0], sid), await Page.open(users[1], sid),
                       await Page.open(scene.regulator, sid))
    await a.ok("score.set", {"bid": bids[0], "criterion": SCORED, "points": "30"})
    await a.drain()
    await regulator.drain()
    stale, regulator_stale = _last_seen(a), _last_seen(regulator)
    await a.close()
    await regulator.close()

    # Meanwhile: scores (committee events), a sheet submitted, an expert's page opened and closed (presence).
    for bid in bids:
        await b.ok("score.set", {"bid": bid, "criterion": SCORED, "points": "32.5"})
    await b.ok("sheet.submit")
    third = await Page.open(users[2], sid)
    await third.close()
    head = (await state(sid))["stream_head"]
    missed = await stored_events(sid, stale, MEMBER_SEES)
    assert missed[-1]["seq"] == head and {"sheet.progress", "sheet.submitted", "member.presence"} <= {
        e["type"] for e in missed}

    a = await Page.open(users[0], sid, last_seq=stale)
    regulator = await Page.open(scene.regulator, sid, last_seq=regulator_stale)
    await a.drain()
    await regulator.drain()
    # A's own return is an event too (presence): it comes after what it missed.
    assert a.events == await stored_events(sid, stale, MEMBER_SEES)
    assert [e["seq"] for e in a.events[:len(missed)]] == [e["seq"] for e in missed]
    assert a.events[-1]["type"] == "member.presence" and a.events[-1]["data"]["online"] is True
    # The regulator's replay skips the committee's events (scores' progress) but not the rest.
    assert regulator.events == await stored_events(sid, regulator_stale, REGULATOR_SEES)
    assert "sheet.progress" not in regulator.types() and "sheet.submitted" in regulator.types()

    # Live again: the next event arrives once, after the replay, on both.
    await b.ok("extension.request", {"minutes": 20, "reason": "补充核对"})
    for page in (a, regulator):
        await page.drain()
        assert page.types()[-1] == "extension.requested"
        assert len(page.seqs()) == len(set(page.seqs())) and page.seqs() == sorted(page.seqs())
    for page in (a, b, regulator):
        await page.close()


async def test_a_message_sent_again_is_answered_as_before_and_applied_once(scene):
    users, bids = await _scoring(scene)
    sid = scene.session.pk
    a = await Page.open(users[0], sid)
    first = await a.ask("score.set", {"bid": bids[0], "criterion": SCORED, "points": "30"}, msg_id="s1")
    assert first == {"type": "ack", "id": "s1", "data": {"points": "30.00"}}
    await a.ok("score.set", {"bid": bids[0], "criterion": SCORED, "points": "31"}, msg_id="s2")
    refused = await a.ask("score.set", {"bid": bids[0], "criterion": SCORED, "points": "99"}, msg_id="s3")
    assert refused["code"] == "out_of_bounds"
    await a.drain()
    last = _last_seen(a)
    await a.close()

    a = await Page.open(users[0], sid, last_seq=last)
    await a.drain()  # its presence
    before = await state(sid)
    # The page did not see its answers before the socket dropped: it sends them again, ids and all.
    assert await a.ask("score.set", {"bid": bids[0], "criterion": SCORED, "points": "30"}, msg_id="s1") == first
    assert await a.ask("score.set", {"bid": bids[0], "criterion": SCORED, "points": "99"}, msg_id="s3") == refused
    assert await a.drain() == []
    assert await state(sid) == before  # the score is still 31, no event, no log entry
    assert await database_sync_to_async(lambda: str(Score.objects.get(member__user=users[0], bid=bids[0]).points))() \
        == "31.00"

    # The same id from someone else is another message.
    b = await Page.open(users[1], sid)
    assert await b.ok("score.set", {"bid": bids[0], "criterion": SCORED, "points": "33"}, msg_id="s1") == {
        "points": "33.00"}

    # A sheet submitted, its answer lost, and sent again from two tabs at once: submitted once, same answer.
    for bid in bids[1:]:
        await a.ok("score.set", {"bid": bid, "criterion": SCORED, "points": "30"})
    tab = await Page.open(users[0], sid)
    replies = await asyncio.gather(*(page.ask("sheet.submit", msg_id="submit") for page in (a, a, tab)))
    assert replies == [{"type": "ack", "id": "submit", "data": {}}] * 3
    submitted = await database_sync_to_async(lambda: Entry.objects.filter(action="evaluation.sheet_submitted").count())()
    assert submitted == 1
    claims = await database_sync_to_async(lambda: list(
        ClientMessage.objects.filter(user=users[0]).order_by("message_id").values_list("message_id", flat=True)))()
    assert "submit" in claims and claims.count("submit") == 1 and claims.count("s1") == 1
    await a.drain()
    assert a.types().count("sheet.submitted") == 1
    for page in (a, b, tab):
        await page.close()


@database_sync_to_async
def _committed_elsewhere(session_id, audiences):
    """Events another process numbered and committed, whose messages are still on their way: stored as
    realtime.events.append_stream_event stores them (its send after commit is the part left out)."""
    name = groups.evaluation_session(session_id)
    stored = []
    with transaction.atomic():
        for n, audience in enumerate(audiences):
            Stream.objects.filter(name=name).update(last_seq=F("last_seq") + 1)
            stream = Stream.objects.get(name=name)
            event = StreamEvent.objects.create(stream=stream, seq=stream.last_seq, type="test.elsewhere",
                                               data={"audience": audience, "n": n})
            stored.append({"seq": event.seq, "type": event.type, "data": event.data})
    return stored


async def test_an_event_that_overtakes_earlier_ones_waits_for_them(scene):
    users, _bids = await _scoring(scene)
    sid = scene.session.pk
    expert, regulator = await Page.open(users[0], sid), await Page.open(scene.regulator, sid)
    await expert.drain()
    events = await _committed_elsewhere(sid, ["all", "committee", "all", "committee", "all"])
    layer, group = get_channel_layer(), groups.evaluation_session(sid)
    # The last one's message arrives first; the earlier ones are read from the stored stream.
    await layer.group_send(group, {"type": "stream.event", "data": events[-1]})
    assert await expert.drain() == events
    assert await regulator.drain() == [e for e in events if e["data"]["audience"] == "all"]
    # Then the late messages: already delivered, dropped.
    for event in reversed(events[:-1]):
        await layer.group_send(group, {"type": "stream.event", "data": event})
    assert await expert.drain() == []
    assert await regulator.drain() == []
    await expert.close()
    await regulator.close()


async def _forget_members(group):
    """What a Redis restarted or flushed under live sockets does to a group: it forgets its members."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # the in-memory layer
        layer.groups.pop(group, None)
    else:
        await layer.connection(layer.consistent_hash(group)).delete(layer._group_key(group))


async def test_a_socket_whose_group_was_forgotten_joins_again_and_catches_up(scene, monkeypatch):
    monkeypatch.setattr(EvaluationSessionConsumer, "REJOIN_SECONDS", 0.5)
    users, bids = await _scoring(scene)
    sid = scene.session.pk
    expert, other = await Page.open(users[0], sid), await Page.open(users[1], sid)
    await expert.drain()
    await _forget_members(groups.evaluation_session(sid))
    await other.ok("score.set", {"bid": bids[0], "criterion": SCORED, "points": "30"})
    await other.ok("score.set", {"bid": bids[1], "criterion": SCORED, "points": "31"})
    await asyncio.sleep(1.5)
    await expert.drain()
    assert [e["type"] for e in expert.events[-2:]] == ["sheet.progress"] * 2
    assert expert.events == await stored_events(sid, expert.snapshot["seq"], MEMBER_SEES)
    await expert.close()
    await other.close()
