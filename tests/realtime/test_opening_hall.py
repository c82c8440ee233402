"""The whole opening through the websocket, against the real ASGI application."""

import pytest
from channels.db import database_sync_to_async

from ledger.models import Entry
from tests.realtime.hall_client import connect, drain, send
from tests.realtime.opening_setup import opening_scene
from trading.actions.opening import open_bids
from trading.actions.opening_record import opening_record_data
from trading.models import Opening, Tender

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_whole_opening_through_the_websocket(hall_ready):
    scene = await database_sync_to_async(opening_scene)(3)
    host, bidder = scene.host, scene.bidders[0]
    with scene.after_deadline():
        host_ws, ok, _ = await connect(host, scene.tender)
        assert ok
        snapshot = await host_ws.receive_json_from(timeout=10)
        assert snapshot["type"] == "snapshot"
        assert snapshot["data"]["opening"]["status"] == "awaiting_shares"
        assert snapshot["data"]["bids"] == 3
        bidder_ws, ok, _ = await connect(bidder, scene.tender)
        await bidder_ws.receive_json_from(timeout=10)
        assert (await send(bidder_ws, "b1", "hall.sign_in"))["type"] == "ack"
        presence = [e for e in await drain(host_ws) if e["type"] == "hall.signed_in"]
        assert presence[0]["data"]["name"] == bidder.organization.name

        # Custodians release their shares: "1 of 2", then "2 of 2" and decryption starts.
        shares = [await database_sync_to_async(scene.share)(c) for c in scene.custodians]
        for n, (custodian, share) in enumerate(zip(scene.custodians[:2], shares[:2], strict=True), start=1):
            ws, ok, _ = await connect(custodian, scene.tender)
            await ws.receive_json_from(timeout=10)
            assert (await send(ws, f"c{n}", "share.release", {"share": share}))["type"] == "ack"
            await ws.disconnect()
        events = await drain(bidder_ws)
        released = [e["data"]["released"] for e in events if e["type"] == "opening.share_released"]
        assert released == [1, 2]
        assert events[-1]["type"] == "opening.decrypting"

        # The worker opens every bid; the hall sees progress and the 唱标 rows.
        assert await database_sync_to_async(open_bids)(scene.tender.pk) == 3
        events = await drain(bidder_ws)
        opened = [e["data"] for e in events if e["type"] == "opening.bid_opened"]
        assert [r["letter"]["price"] for r in opened] == [1000_0000_00, 1001_0000_00, 1002_0000_00]
        assert {r["outcome"] for r in opened} == {"opened"}
        assert any(e["type"] == "opening.progress" for e in events)
        assert events[-1]["type"] == "opening.decrypted"
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

        # Bidders confirm or object; the host answers on the spot, then closes.
        assert (await send(bidder_ws, "b2", "record.confirm"))["type"] == "ack"
        other_ws, _, _ = await connect(scene.bidders[1], scene.tender)
        await other_ws.receive_json_from(timeout=10)
        assert (await send(other_ws, "o1", "record.object", {"text": "第二名报价读错"}))["type"] == "ack"
        objection = [e for e in await drain(host_ws) if e["type"] == "opening.objection"][0]["data"]
        early = await send(host_ws, "h1", "opening.close")
        assert (early["type"], early["data"]["code"]) == ("error", "unanswered_objections")
        answer = await send(host_ws, "h2", "objection.answer", {"confirmation": objection["id"], "answer": "已核对,无误"})
        assert answer["type"] == "ack"
        assert (await send(host_ws, "h3", "opening.close"))["type"] == "ack"
        for ws in (host_ws, bidder_ws, other_ws):
            await ws.disconnect()

    tender = await database_sync_to_async(Tender.objects.get)(pk=scene.tender.pk)
    assert tender.status == "opened"
    actions_logged = await database_sync_to_async(
        lambda: list(Entry.objects.filter(tender_ref=tender.code, action__startswith="opening.")
                     .values_list("action", flat=True)))()
    assert actions_logged.count("opening.share_released") == 2
    assert actions_logged.count("opening.bid_opened") == 3
    assert "opening.objection_answered" in actions_logged and actions_logged[-1] == "opening.closed"
    data = await database_sync_to_async(lambda: opening_record_data(Tender.objects.get(pk=tender.pk)))()
    assert [b["status"] for b in data["bids"]] == ["opened"] * 3
    assert data["confirmations"][1]["answer"] == "已核对,无误"


async def test_shares_before_the_opening_time_are_refused(hall_ready):
    scene = await database_sync_to_async(opening_scene)(3)
    custodian = scene.custodians[0]
    share = await database_sync_to_async(scene.share)(custodian)
    ws, ok, _ = await connect(custodian, scene.tender)
    assert ok
    await ws.receive_json_from(timeout=10)
    reply = await send(ws, "early", "share.release", {"share": share})
    assert (reply["type"], reply["data"]["code"]) == ("error", "too_early")
    await ws.disconnect()


async def test_a_wrong_share_and_a_repeated_share_are_refused(hall_ready):
    import base64

    scene = await database_sync_to_async(opening_scene)(3)
    first, second = scene.custodians[:2]
    with scene.after_deadline():
        ws, _, _ = await connect(first, scene.tender)
        await ws.receive_json_from(timeout=10)
        other = await database_sync_to_async(scene.share)(second)  # someone else's share
        wrong = await send(ws, "w", "share.release", {"share": other})
        assert wrong["data"]["code"] == "wrong_share"
        garbage = await send(ws, "g", "share.release", {"share": base64.b64encode(b"x" * 33).decode()})
        assert garbage["data"]["code"] == "wrong_share"
        mine = await database_sync_to_async(scene.share)(first)
        assert (await send(ws, "m", "share.release", {"share": mine}))["type"] == "ack"
        again = await send(ws, "m2", "share.release", {"share": mine})
        assert again["data"]["code"] == "already_released"
        # The same message id is answered again, never applied twice.
        assert (await send(ws, "m", "share.release", {"share": mine}))["type"] == "ack"
        await ws.disconnect()
    refused = await database_sync_to_async(
        lambda: Entry.objects.filter(action="opening.share_refused").count())()
    released = await database_sync_to_async(
        lambda: Entry.objects.filter(action="opening.share_released").count())()
    assert (refused, released) == (2, 1)


async def test_with_two_bids_the_tender_fails_and_is_never_opened(hall_ready):
    scene = await database_sync_to_async(opening_scene)(2)
    with scene.after_deadline():
        ws, ok, _ = await connect(scene.host, scene.tender)
        assert ok
        snapshot = await ws.receive_json_from(timeout=10)
        assert snapshot["data"]["tender"]["status"] == "failed"
        assert snapshot["data"]["tender"]["failure_reason"] == "fewer_than_three_bids"
        custodian_ws, _, _ = await connect(scene.custodians[0], scene.tender)
        await custodian_ws.receive_json_from(timeout=10)
        share = await database_sync_to_async(scene.share)(scene.custodians[0])
        reply = await send(custodian_ws, "s", "share.release", {"share": share})
        assert reply["data"]["code"] == "opening_failed"
        for w in (ws, custodian_ws):
            await w.disconnect()
    assert await database_sync_to_async(lambda: Opening.objects.filter(tender=scene.tender).exists())() is False
    assert await database_sync_to_async(lambda: Entry.objects.filter(action="tender.failed").count())() == 1


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_county_staff"])
async def test_clients_not_allowed_get_nothing(hall_ready, who):
    scene = await database_sync_to_async(opening_scene)(3)
    from tests.factories import make_user

    user = {"anonymous": None, "outsider": scene.outsider}.get(who)
    if who == "other_county_staff":
        user = await database_sync_to_async(make_user)("staff", "511922")
    with scene.after_deadline():
        ws, connected, _ = await connect(user, scene.tender)
        assert connected is True  # accepted only to be closed with 4403: no snapshot, no event
        assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
        assert await ws.receive_nothing(timeout=0.3)


async def test_a_reconnecting_client_gets_exactly_the_events_it_missed(hall_ready):
    scene = await database_sync_to_async(opening_scene)(3)
    with scene.after_deadline():
        ws, _, _ = await connect(scene.regulator, scene.tender)
        snapshot = await ws.receive_json_from(timeout=10)
        seen = snapshot["seq"]
        await ws.disconnect()
        custodian = scene.custodians[0]
        cws, _, _ = await connect(custodian, scene.tender)
        await cws.receive_json_from(timeout=10)
        await send(cws, "r", "share.release", {"share": await database_sync_to_async(scene.share)(custodian)})
        await cws.disconnect()
        ws, _, _ = await connect(scene.regulator, scene.tender, f"?last_seq={seen}")
        missed = await drain(ws)
        assert [e["type"] for e in missed] == ["opening.share_released"]
        assert missed[0]["seq"] == seen + 1
        # A regulator only watches: actions are refused.
        reply = await send(ws, "x", "opening.close")
        assert reply["data"]["code"] == "permission_denied"
        await ws.disconnect()


async def test_events_arriving_out_of_order_are_delivered_in_order_without_a_gap(hall_ready):
    """Two processes may send seq n+1 before seq n reaches this socket: the consumer fills the gap."""
    from channels.layers import get_channel_layer

    from realtime.events import append_stream_event
    from trading.actions.opening import hall_stream

    scene = await database_sync_to_async(opening_scene)(3)
    with scene.after_deadline():
        ws, _, _ = await connect(scene.host, scene.tender)
        first = (await ws.receive_json_from(timeout=10))["seq"]

        def store_two():
            from django.db import transaction

            with transaction.atomic():
                a = append_stream_event(hall_stream(scene.tender.pk), "test.a", {"n": 1})
                b = append_stream_event(hall_stream(scene.tender.pk), "test.b", {"n": 2})
            return a, b

        # Store both, but deliver only the second through the layer (the first is "late").
        from realtime import events as realtime_events

        original = realtime_events._send
        realtime_events._send = lambda group, message: None
        try:
            a, b = await database_sync_to_async(store_two)()
        finally:
            realtime_events._send = original
        await get_channel_layer().group_send(hall_stream(scene.tender.pk), {
            "type": "stream.event", "data": {"seq": b, "type": "test.b", "data": {"n": 2}}})
        received = await drain(ws)
        assert [(e["seq"], e["type"]) for e in received] == [(a, "test.a"), (b, "test.b")]
        assert a == first + 1
        # The late one arriving now is dropped: already sent.
        await get_channel_layer().group_send(hall_stream(scene.tender.pk), {
            "type": "stream.event", "data": {"seq": a, "type": "test.a", "data": {"n": 1}}})
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()
