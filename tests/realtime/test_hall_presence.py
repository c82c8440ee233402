"""Who is in the opening hall now (realtime/presence.py, trading.hall.presence_board), through the real
websocket: the board a socket gets after `presence.watch`, live as people come and go; bidders neither
named nor counted before the opening (招标投标法 art. 22); entries of a dead process expire."""

import uuid

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from realtime import groups, presence
from tests.factories import make_user
from tests.realtime.hall_client import connect, drain, send
from tests.realtime.test_two_processes import two_servers  # noqa: F401  (a fixture)
from trading.models import TenderCustodian

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def hall(n_bids):
    """A fresh hall scene: no presence left over from an earlier test whose tender had the same id."""
    from django.core.cache import cache

    from tests.realtime.opening_setup import opening_scene

    scene = opening_scene(n_bids)
    cache.delete(presence._key(groups.opening_hall(scene.tender.pk)))
    return scene


async def watch(user, tender):
    """A hall socket that asked for presence: returns it with the first board it got."""
    ws, ok, _ = await connect(user, tender)
    assert ok
    assert (await ws.receive_json_from(timeout=10))["type"] == "snapshot"
    assert (await send(ws, f"watch-{user.pk}", "presence.watch"))["type"] == "ack"
    board = await ws.receive_json_from(timeout=10)
    assert board["type"] == "presence" and "seq" not in board  # not an event of the stream
    return ws, board["data"]


async def boards(ws):
    return [m["data"] for m in await drain(ws) if m["type"] == "presence"]


def names(board, kind):
    return [entry["name"] for entry in board[kind]]


async def test_before_the_opening_bidders_are_neither_named_nor_counted(hall_ready):
    scene = await database_sync_to_async(hall)(3)
    first, second = scene.bidders[:2]
    host_ws, board = await watch(scene.host, scene.tender)
    assert board == {"revealed": False, "bidders": [], "bidder_count": None, "custodians": [],
                     "hosts": [{"name": "王主持"}], "supervisors": []}

    first_ws, mine = await watch(first, scene.tender)
    # A bidder sees that its own organization is there, and nobody else's.
    assert mine["bidders"] == [{"name": first.organization.name, "people": 1, "me": True}]
    assert mine["bidder_count"] is None and names(mine, "hosts") == ["王主持"]
    second_ws, theirs = await watch(second, scene.tender)
    assert theirs["bidders"] == [{"name": second.organization.name, "people": 1, "me": True}]
    # Neither the host nor the first bidder learns anything: not even an unchanged board arrives.
    assert await host_ws.receive_nothing(timeout=0.5)
    assert await first_ws.receive_nothing(timeout=0.3)

    # A custodian coming in is shown to everyone.
    custodian = scene.custodians[0]
    custodian_ws, _, _ = await connect(custodian, scene.tender)
    expected = [{"name": str(custodian), "index": 1, "released": False}]
    for ws in (host_ws, first_ws, second_ws):
        [board] = await boards(ws)
        assert board["custodians"] == expected and board["bidder_count"] is None
    assert [b["name"] for b in board["bidders"]] == [second.organization.name]
    # The custodian, not a bidder, sees no bidder at all.
    assert (await send(custodian_ws, "cw", "presence.watch"))["type"] == "ack"
    assert (await custodian_ws.receive_json_from(timeout=10))["data"]["bidders"] == []
    for ws in (host_ws, first_ws, second_ws, custodian_ws):
        await ws.disconnect()


async def test_from_the_opening_on_bidders_are_named_and_a_release_is_marked_live(hall_ready):
    scene = await database_sync_to_async(hall)(3)
    with scene.after_deadline():
        host_ws, board = await watch(scene.host, scene.tender)  # past the deadline: the hall opens
        assert board["revealed"] is True and board["bidders"] == [] and board["bidder_count"] == 0
        bidder_ws, _ = await watch(scene.bidders[0], scene.tender)
        tab_ws, _, _ = await connect(scene.bidders[0], scene.tender)  # a second tab of the same person
        colleague = await database_sync_to_async(make_user)("bidder", org=scene.bidders[0].organization)
        colleague_ws, _, _ = await connect(colleague, scene.tender)
        supervisor_ws, _, _ = await connect(scene.regulator, scene.tender)
        latest = (await boards(host_ws))[-1]
        assert latest["bidders"] == [{"name": scene.bidders[0].organization.name, "people": 2, "me": False}]
        assert latest["bidder_count"] == 1 and names(latest, "supervisors") == [str(scene.regulator)]

        custodian = scene.custodians[1]
        custodian_ws, _, _ = await connect(custodian, scene.tender)
        share = await database_sync_to_async(scene.share)(custodian)
        assert (await send(custodian_ws, "r", "share.release", {"share": share}))["type"] == "ack"
        latest = (await boards(bidder_ws))[-1]
        assert latest["custodians"] == [{"name": str(custodian), "index": 2, "released": True}]
        assert latest["bidders"][0]["me"] is True

        # Leaving: one tab of two changes nothing; the last socket of a person removes them.
        await drain(host_ws)
        await tab_ws.disconnect()
        assert await host_ws.receive_nothing(timeout=0.5)
        await colleague_ws.disconnect()
        await custodian_ws.disconnect()
        latest = (await boards(host_ws))[-1]
        assert latest["bidders"] == [{"name": scene.bidders[0].organization.name, "people": 1, "me": False}]
        assert latest["custodians"] == []
        for ws in (host_ws, bidder_ws, supervisor_ws):
            await ws.disconnect()
    assert await database_sync_to_async(presence.user_ids)(groups.opening_hall(scene.tender.pk)) == set()
    released = await database_sync_to_async(
        lambda: TenderCustodian.objects.filter(tender=scene.tender, released_at__isnull=False).count())()
    assert released == 1


async def test_a_socket_that_did_not_ask_gets_no_board_and_refused_clients_are_not_present(hall_ready):
    scene = await database_sync_to_async(hall)(3)
    quiet, ok, _ = await connect(scene.host, scene.tender)
    assert (await quiet.receive_json_from(timeout=10))["type"] == "snapshot"
    custodian_ws, _, _ = await connect(scene.custodians[0], scene.tender)
    assert (await custodian_ws.receive_json_from(timeout=10))["type"] == "snapshot"
    assert await quiet.receive_nothing(timeout=0.5)  # presence is sent only to those who watch
    outsider_ws, _, _ = await connect(scene.outsider, scene.tender)
    assert await outsider_ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    online = await database_sync_to_async(presence.user_ids)(groups.opening_hall(scene.tender.pk))
    assert online == {scene.host.pk, scene.custodians[0].pk}
    await quiet.disconnect()
    await custodian_ws.disconnect()


async def test_entries_expire_when_their_socket_stops_beating():
    """Pure: the shared cache (Redis, or the process's own), with the clock given."""
    group, t = f"test-expiry-{uuid.uuid4().hex}", 1_000_000.0
    assert presence.join(group, "a", 1, now=t) is True
    assert presence.join(group, "b", 2, now=t) is True
    assert presence.join(group, "a2", 1, now=t) is False  # a second tab of user 1
    assert presence.user_ids(group, now=t + 1) == {1, 2}
    # Socket "b"'s process died: it stops beating; "a" beats on, and its beat drops "b".
    later = t + presence.TTL_SECONDS + 1
    assert presence.beat(group, "a", 1, now=t + presence.TTL_SECONDS - 1) is False
    assert presence.user_ids(group, now=later) == {1}
    assert presence.beat(group, "a", 1, now=later) is True  # the set changed: the hall is told
    assert presence.leave(group, "a2", now=later) is False
    assert presence.leave(group, "a", now=later) is True
    assert presence.user_ids(group, now=later) == set()


@pytest.mark.skipif(connection.vendor != "postgresql" or not settings.REDIS_URL,
                    reason="needs PostgreSQL and Redis (the first pass of .ci/run)")
async def test_two_server_processes_share_one_board(two_servers):  # noqa: F811 (the imported fixture)
    """Presence lives in Redis, like the channel layer: the host on one daphne process sees a bidder and a
    custodian connected to the other come and go (needs PostgreSQL and Redis, as test_two_processes)."""
    import json

    import aiohttp

    from tests.realtime.test_two_processes import _scene_built_a_month_ago, _session_cookie

    a, b = two_servers
    scene, _ = await database_sync_to_async(_scene_built_a_month_ago)()

    async def join(http, port, user):
        cookie = await database_sync_to_async(_session_cookie)(user)
        return await http.ws_connect(f"ws://127.0.0.1:{port}/ws/opening/{scene.tender.pk}/",
                                     headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"})

    async def next_board(ws):
        while True:
            message = json.loads((await ws.receive(timeout=20)).data)
            if message["type"] == "presence":
                return message["data"]

    async with aiohttp.ClientSession() as http:
        host = await join(http, a, scene.host)
        await host.send_json({"id": "w", "type": "presence.watch", "data": {}})
        assert names(await next_board(host), "hosts") == ["王主持"]
        bidder = await join(http, b, scene.bidders[0])
        board = await next_board(host)
        assert board["bidders"] == [{"name": scene.bidders[0].organization.name, "people": 1, "me": False}]
        custodian = await join(http, b, scene.custodians[2])
        assert names(await next_board(host), "custodians") == [str(scene.custodians[2])]
        await bidder.close()
        await custodian.close()
        board = await next_board(host)
        if board["custodians"]:  # the two leaves may come as one board or two
            board = await next_board(host)
        assert (board["bidders"], board["custodians"], board["bidder_count"]) == ([], [], 0)
        await host.close()
