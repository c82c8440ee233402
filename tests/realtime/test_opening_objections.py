"""Issue 9, item 6: one bidder cannot stall the opening. Objections are bounded per bidder (one awaiting
an answer at a time, at most 2,000 characters, never the same text twice), and the host answers several
at once, each bidder seeing each answer live. Through the hall's websocket, as the pages use it."""

import json

import pytest
from channels.db import database_sync_to_async

from ledger.models import Entry
from tests.realtime.hall_client import connect, drain, send
from tests.realtime.opening_setup import opening_scene
from trading.actions import opening
from trading.models import OpeningConfirmation

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _reading_scene():
    """Three bids opened and read out (唱标): bidders may confirm or object now."""
    scene = opening_scene(3)
    with scene.after_deadline():
        for custodian in scene.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
        assert opening.open_bids(scene.tender.pk) == 3
    return scene


@database_sync_to_async
def _objections(organization_id=None):
    qs = OpeningConfirmation.objects.filter(kind="objection").order_by("pk")
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return list(qs.values_list("text", "answer"))


@database_sync_to_async
def _logged(action):
    return [json.loads(p) for p in Entry.objects.filter(action=action).order_by("seq").values_list("payload", flat=True)]


async def _joined(user, scene):
    ws, connected, _ = await connect(user, scene.tender)
    assert connected
    assert (await ws.receive_json_from(timeout=10))["type"] == "snapshot"
    return ws


def _refusal(reply):
    return reply["type"], reply["data"]["code"], reply["data"]["detail"]


async def test_a_bidder_has_one_open_objection_at_a_time_of_bounded_length_never_repeated(hall_ready):
    scene = await database_sync_to_async(_reading_scene)()
    with scene.after_deadline(60):
        bidder, host = await _joined(scene.bidders[0], scene), await _joined(scene.host, scene)
        org = scene.bidders[0].organization_id
        assert (await send(bidder, "o1", "record.object", {"text": "第二名报价读错"}))["type"] == "ack"

        # A second objection while the first awaits its answer is refused: nothing is stored or logged.
        pending = await send(bidder, "o2", "record.object", {"text": "第三名工期读错"})
        assert _refusal(pending) == ("error", "objection_pending",
                                     "贵单位已有一项异议等待主持人答复,答复后方可再提出异议。")
        assert await _objections(org) == [("第二名报价读错", "")]

        first = [e for e in await drain(host) if e["type"] == "opening.objection"][0]["data"]
        answer = await send(host, "h1", "objections.answer", {"confirmations": [first["id"]], "answer": "已核对"})
        assert answer["type"] == "ack"

        # Once answered, the same objection again (even re-spaced) is refused; a new one is heard.
        again = await send(bidder, "o3", "record.object", {"text": "  第二名 报价读错 "})
        assert _refusal(again) == ("error", "duplicate_objection", "贵单位已提出过相同的异议。")
        too_long = await send(bidder, "o4", "record.object", {"text": "异" * 2001})
        assert _refusal(too_long) == ("error", "too_long", "最多 2000 个字(当前 2001 个)。")
        empty = await send(bidder, "o5", "record.object", {"text": "   "})
        assert _refusal(empty) == ("error", "required", "请填写异议内容。")
        assert (await send(bidder, "o6", "record.object", {"text": "异" * 2000}))["type"] == "ack"
        assert await _objections(org) == [("第二名报价读错", "已核对"), ("异" * 2000, "")]

        # Another bidder may raise the same words: the bound is per bidder.
        other = await _joined(scene.bidders[1], scene)
        assert (await send(other, "p1", "record.object", {"text": "第二名报价读错"}))["type"] == "ack"
        for ws in (bidder, host, other):
            await ws.disconnect()
    assert [p["text"] for p in await _logged("opening.objection")] == ["第二名报价读错", "异" * 2000, "第二名报价读错"]


async def test_the_host_answers_several_objections_at_once_and_every_bidder_sees_each_answer(hall_ready):
    scene = await database_sync_to_async(_reading_scene)()
    with scene.after_deadline(60):
        host = await _joined(scene.host, scene)
        bidders = [await _joined(b, scene) for b in scene.bidders]
        for n, ws in enumerate(bidders):
            assert (await send(ws, f"o{n}", "record.object", {"text": f"第{n + 1}项异议"}))["type"] == "ack"
        ids = [e["data"]["id"] for e in await drain(host) if e["type"] == "opening.objection"]
        assert len(ids) == 3
        for ws in bidders:
            await drain(ws)

        # One answered alone first; a batch naming it again is refused whole: the other two stay open.
        assert (await send(host, "h1", "objection.answer", {"confirmation": ids[0], "answer": "已核对"}))["type"] == "ack"
        for ws in [host, *bidders]:
            assert [e["data"]["id"] for e in await drain(ws) if e["type"] == "opening.objection_answered"] == ids[:1]
        refused = await send(host, "h2", "objections.answer", {"confirmations": ids, "answer": "一并答复"})
        assert _refusal(refused) == ("error", "already_answered", "所选异议中已有异议被答复,请重新选择。")
        unknown = await send(host, "h3", "objections.answer", {"confirmations": [ids[1], 99999999], "answer": "答"})
        assert unknown["data"]["code"] == "not_found"
        by_bidder = await send(bidders[0], "b1", "objections.answer", {"confirmations": ids[1:], "answer": "我答"})
        assert by_bidder["data"]["code"] == "permission_denied"
        assert [a for _, a in await _objections()] == ["已核对", "", ""]
        assert len(await _logged("opening.objection_answered")) == 1

        early = await send(host, "h4", "opening.close")
        assert early["data"]["code"] == "unanswered_objections"
        reply = await send(host, "h5", "objections.answer", {"confirmations": ids[1:], "answer": "经核对,唱标无误"})
        assert reply["type"] == "ack"
        for ws in [host, *bidders]:
            answered = [e["data"] for e in await drain(ws) if e["type"] == "opening.objection_answered"]
            assert [(d["id"], d["text"], d["answer"]) for d in answered] == [
                (ids[1], "第2项异议", "经核对,唱标无误"), (ids[2], "第3项异议", "经核对,唱标无误")]
        assert (await send(host, "h6", "opening.close"))["type"] == "ack"
        for ws in [host, *bidders]:
            await ws.disconnect()
    # One log entry per objection answered, each naming its objection.
    assert [(p["confirmation"], p["answer"]) for p in await _logged("opening.objection_answered")] == [
        (ids[0], "已核对"), (ids[1], "经核对,唱标无误"), (ids[2], "经核对,唱标无误")]
