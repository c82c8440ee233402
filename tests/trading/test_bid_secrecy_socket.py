"""The trading log's websocket (snapshot and live entries) tells no one who or how many have bid on a
tender before its deadline (招标投标法 art. 22): a city-wide reader sees only anonymous commitments."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from ledger import sequencer
from tests.trading.bidding import bidder_with_keys, published_tender, submit

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(regions, platform_pki):
    from tests.factories import make_user

    tender = published_tender()
    return tender, [bidder_with_keys() for _ in range(2)], {
        "county": make_user("regulator", "511921"), "city": make_user("regulator", "511900"),
        "county_staff": make_user("staff", "511921")}


async def _connect(user):
    def cookie():
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    headers = [(b"origin", b"http://127.0.0.1"),
               (b"cookie", f"{settings.SESSION_COOKIE_NAME}={await database_sync_to_async(cookie)()}".encode())]
    ws = WebsocketCommunicator(application, "/ws/ledger/?last_seq=0", headers=headers)
    connected, _ = await ws.connect()
    assert connected
    return ws


async def _drain(ws):
    messages = []
    while not await ws.receive_nothing(timeout=0.5):
        messages.append(await ws.receive_json_from(timeout=5))
    return messages


async def test_the_log_socket_shows_no_bidder_before_the_deadline(scene):
    tender, bidders, watchers = scene
    sockets = {name: await _connect(user) for name, user in watchers.items()}
    for ws in sockets.values():
        await _drain(ws)  # the snapshot of what was there before
    bids = [await database_sync_to_async(submit)(Client(), tender, b) for b in bidders]
    await database_sync_to_async(sequencer.hash_pending)()  # watchers hear of entries once hashed
    secrets = [*[b.organization.name for b in bidders], *[b.organization.credit_code for b in bidders],
               *[b.username for b in bidders], *[bid["receipt_no"] for bid in bids]]

    live = {name: await _drain(ws) for name, ws in sockets.items()}
    assert live["county"] == live["county_staff"] == []
    assert {(m["data"]["action"], m["data"]["actor"], m["data"]["region"], m["data"]["tender"])
            for m in live["city"]} == {("bid.committed", "system", "", "")}
    assert len(live["city"]) == 4  # two uploads started, two bids submitted: anonymous, on the whole platform
    for name, ws in sockets.items():
        await ws.disconnect()
        # A reconnecting client's snapshot (the replay after last_seq=0) tells no more.
        again = await _connect(watchers[name])
        snapshot = (await again.receive_json_from(timeout=5))["data"]["entries"]
        # The tender announcement's PDF (公告, public from the publication) is the only record before the deadline.
        bidding = [e for e in snapshot if e["action"].startswith(("bid.", "record."))
                   and (e.get("payload") or {}).get("kind") != "announcement"]
        assert {(e["action"], e["region"], e["tender"]) for e in bidding} <= {("bid.committed", "", "")}
        text = json.dumps(bidding, ensure_ascii=False)
        assert [s for s in [tender.code, *secrets] if s in text] == []
        # (Registering a company is public to supervisors; bidding on a tender is not. The tender's public
        # announcement and its PDF are public from the publication.)
        public = ("tender.", "announcement.published")
        assert [e for e in snapshot if e["tender"] == tender.code and not e["action"].startswith(public)
                and (e.get("payload") or {}).get("kind") != "announcement"] == []
        await again.disconnect()
