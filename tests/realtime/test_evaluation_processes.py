"""The evaluation session served by two ASGI processes (daphne) sharing Redis and PostgreSQL, as in
production (docs/architecture.md §8, §9): experts connected to either see the same events in the same order; and Redis
restarting in the middle of scoring loses no score and applies none twice, the pages reconnecting with
`last_seq` and sending their unanswered messages again (tests/realtime/evaluation_servers.py).

The scene is built here, before the servers start; from then on every change goes through the sockets."""

import asyncio
import itertools

import aiohttp
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from evaluation.models import Member, Score
from ledger.models import Entry
from realtime.models import ClientMessage
from tests.realtime.evaluation_client import MEMBER_SEES, REGULATOR_SEES, state, stored_events
from tests.realtime.evaluation_fixtures import *  # noqa: F403  (the scene fixture)
from tests.realtime.evaluation_servers import Peer, RedisServer, daphnes

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and Redis (the first pass of .ci/run)",
    ),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]

SCORED = 1  # the technical plan (weight 40); criterion 0 is the computed price


@database_sync_to_async
def _scoring(scene):
    scene.to_stage("scoring")
    return [m.user for m in scene.members], [m.pk for m in scene.members], [b.pk for b in scene.bids]


async def _everyone(http, ports, scene, users):
    """Experts spread over the processes, the host on the first, the regulator on the second."""
    sid = scene.session.pk
    experts = [await Peer.join(http, ports[n % len(ports)], sid, user) for n, user in enumerate(users)]
    return experts, await Peer.join(http, ports[0], sid, scene.host), await Peer.join(http, ports[-1], sid,
                                                                                       scene.regulator)


async def _each_saw_exactly_the_stream(sid, experts, host, regulator):
    """Every page received, over all its connections, exactly the stored events of its audience after its
    snapshot: in order, none twice, none missed. Returns the stream's head."""
    head = (await state(sid))["stream_head"]
    for peer, audiences in ((host, MEMBER_SEES), (regulator, REGULATOR_SEES), *((p, MEMBER_SEES) for p in experts)):
        expected = await stored_events(sid, peer.snapshot["seq"], audiences, upto=head)
        if expected:
            await peer.received_through(expected[-1]["seq"])
        assert peer.events == expected
    return head


async def test_experts_on_two_processes_see_the_same_events_in_the_same_order(scene, tmp_path):
    users, member_ids, bids = await _scoring(scene)
    sid = scene.session.pk
    prefix = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}-evaluation"
    with daphnes(2, settings.REDIS_URL, prefix, tmp_path) as ports:
        async with aiohttp.ClientSession() as http:
            experts, host, regulator = await _everyone(http, ports, scene, users)

            async def score(n, peer):  # every expert at once, from both processes
                for bid in bids:
                    reply = await peer.ask(f"s{bid}", "score.set", {"bid": bid, "criterion": SCORED, "points": 30 + n})
                    assert reply == {"type": "ack", "id": f"s{bid}", "data": {"points": f"{30 + n}.00"}}
                assert (await peer.ask("submit", "sheet.submit"))["type"] == "ack"

            await asyncio.gather(*(score(n, peer) for n, peer in enumerate(experts)))
            leader = experts[0]
            assert (await leader.ask("a1", "session.advance"))["data"] == {"stage": "ranking"}
            await asyncio.gather(*(peer.ask("agree", "ranking.agree") for peer in experts))
            assert (await leader.ask("a2", "session.advance"))["data"] == {"stage": "signing"}

            head = await _each_saw_exactly_the_stream(sid, experts, host, regulator)
            # The same events in the same order on both processes: every member page and the host's,
            # from the newest snapshot on, hold one list.
            since = max(p.snapshot["seq"] for p in (*experts, host))
            seen = [[e for e in p.events if e["seq"] > since] for p in (*experts, host)]
            assert all(s == seen[0] for s in seen)
            assert [e["data"]["stage"] for e in seen[0] if e["type"] == "session.stage"] == ["review", "ranking",
                                                                                            "signing"]
            assert seen[0][-1]["seq"] == head
            for peer in (*experts, host, regulator):
                assert peer.connections == 1 and peer.resent == 0
                await peer.close()


async def test_a_redis_restart_in_the_middle_of_scoring_loses_no_score_and_applies_none_twice(scene, tmp_path):
    users, member_ids, bids = await _scoring(scene)
    sid = scene.session.pk
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        with daphnes(2, redis.url, "evaluation-restart", tmp_path) as ports:
            async with aiohttp.ClientSession() as http:
                experts, host, regulator = await _everyone(http, ports, scene, users)
                answered = itertools.count(1)
                halfway = asyncio.Event()

                async def score(n, peer):
                    # Two rounds: the second corrects the first, so a first-round message applied again
                    # after the second would show in the final sheet.
                    for rnd, bid in itertools.product((1, 2), bids):
                        points = f"{20 + 5 * rnd + n}.{rnd}0"
                        reply = await peer.ask(f"r{rnd}-{bid}", "score.set",
                                               {"bid": bid, "criterion": SCORED, "points": points})
                        assert reply == {"type": "ack", "id": f"r{rnd}-{bid}", "data": {"points": points}}
                        if next(answered) == 10:
                            halfway.set()
                        await asyncio.sleep(0.05)
                    assert (await peer.ask("submit", "sheet.submit"))["type"] == "ack"

                async def restart():
                    await halfway.wait()
                    redis.kill()
                    await asyncio.sleep(1.5)
                    redis.start()

                await asyncio.gather(restart(), *(score(n, peer) for n, peer in enumerate(experts)))
                assert (await state(sid))["session"][0]["stage"] == "review"
                # Every page, reconnected, caught up: the events it missed while Redis was down came from
                # the stored stream.
                await _each_saw_exactly_the_stream(sid, experts, host, regulator)
                peers = (*experts, host, regulator)
                assert all(p.connections >= 2 for p in peers), [p.connections for p in peers]
                for peer in peers:
                    await peer.close()

                # No score lost, none applied twice: the second round's points, one event per message.
                final = await database_sync_to_async(lambda: {
                    (s.member_id, s.bid_id): str(s.points) for s in Score.objects.filter(member__session_id=sid)})()
                assert final == {(m, bid): f"{30 + n}.20" for n, m in enumerate(member_ids) for bid in bids}
                applied = await stored_events(sid, 0, ("committee",))
                progress = [e["data"]["member"] for e in applied if e["type"] == "sheet.progress"]
                assert {m: progress.count(m) for m in member_ids} == {m: 2 * len(bids) for m in member_ids}
                counts = await database_sync_to_async(lambda: (
                    Entry.objects.filter(action="evaluation.sheet_submitted").count(),
                    ClientMessage.objects.filter(stream=f"evaluation-session-{sid}").count()))()
                assert counts == (len(users), len(users) * (2 * len(bids) + 1))

                # Every socket closed, including those the failure killed: no expert is left online.
                online = database_sync_to_async(lambda: list(
                    Member.objects.filter(session_id=sid, online__gt=0).values_list("pk", "online")))
                for _ in range(100):  # the servers see the last sockets close a moment later
                    if not await online():
                        break
                    await asyncio.sleep(0.2)
                assert await online() == []
    finally:
        redis.stop()
