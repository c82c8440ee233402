"""ws/statistics/ (realtime/stats_consumer.py): anyone may listen; it says only that the numbers changed, for
the log actions that change them, never the entry itself; it refuses every client message (read-only)."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from ledger import chain, sequencer
from realtime import routing
from realtime.stats_consumer import StatsConsumer

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def test_the_route_is_declared():
    assert [p.callback.consumer_class for p in routing.websocket_urlpatterns
            if str(p.pattern) == "ws/statistics/"] == [StatsConsumer]


@pytest.fixture
def regions(transactional_db):
    from accounts.models import Region
    from accounts.regions import ensure_regions

    ensure_regions(Region)


@database_sync_to_async
def _log(action, region="511921", tender_ref="BZ-T-1"):
    """An entry appended, then hashed as the sequencer would (its watchers hear of it then)."""
    seq = chain.append_in_transaction(action, role="system", region=region, tender_ref=tender_ref,
                                      payload={"secret": "bidder name"}).seq
    sequencer.hash_pending()
    return seq


async def _connect():
    ws = WebsocketCommunicator(application, "/ws/statistics/", headers=[(b"origin", b"http://127.0.0.1")])
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "snapshot"
    return ws


async def test_a_visitor_hears_that_the_numbers_changed_and_nothing_more(regions):
    ws = await _connect()
    await _log("bid.committed")  # not a statistics action: nothing is sent
    await _log("tender.submitted")
    seq = await _log("tender.published")
    message = await ws.receive_json_from(timeout=5)
    assert message == {"seq": seq, "type": "stats.changed", "data": {"action": "tender.published"}}
    failed = await _log("tender.failed")
    awarded = await _log("award.confirmed")
    assert [(await ws.receive_json_from(timeout=5))["seq"] for _ in range(2)] == [failed, awarded]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_a_batch_of_entries_says_once_per_action_that_the_numbers_changed(regions):
    ws = await _connect()

    @database_sync_to_async
    def burst():
        seqs = [chain.append_in_transaction(action, role="system", region="511921", payload={}).seq
                for action in ("tender.published", "tender.published", "bid.committed", "award.confirmed")]
        sequencer.hash_pending()  # one batch, one message to the watchers
        return seqs

    published, again, _bid, awarded = await burst()
    messages = [await ws.receive_json_from(timeout=5) for _ in range(2)]
    assert [(m["seq"], m["data"]["action"]) for m in messages] == [(again, "tender.published"),
                                                                   (awarded, "award.confirmed")]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_it_is_read_only(regions):
    ws = await _connect()
    await ws.send_json_to({"id": "m1", "type": "stats.refresh", "data": {}})
    reply = await ws.receive_json_from(timeout=5)
    assert (reply["type"], reply["id"], reply["data"]["code"]) == ("error", "m1", "read_only")
    await ws.disconnect()
