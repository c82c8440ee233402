"""Issue 9, item 8: a frame the protocol does not allow is answered `bad_message` and the socket stays
open — on the opening hall and on the trading log console alike — with no server error in the log."""

import json
import logging

import pytest
from channels.db import database_sync_to_async

from tests.realtime.hall_client import connect, connect_path, drain, send
from tests.realtime.opening_setup import opening_scene

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

NESTED = '{"id": "deep", "type": "hall.sign_in", "data": {"x": ' + "[" * 30000 + "]" * 30000 + "}}"
assert len(NESTED) < 64 * 1024  # under the size bound: it is the parser's recursion that must be caught

# (frame as text or bytes, the id the error must carry, its detail in Chinese)
BAD_FRAMES = [
    ("not json", None, "消息不是有效的 JSON。"),
    ("", None, "消息不是有效的 JSON。"),
    (b"\x00\x01binary", None, "消息须为 JSON 文本帧,不接受二进制帧。"),
    ('{"id": "t1", "type": ["a"]}', "t1", "消息须带 type,且为字符串。"),
    ('{"id": "t2"}', "t2", "消息须带 type,且为字符串。"),
    ('{"id": "t3", "type": "hall.sign_in", "data": [1]}', "t3", "消息的 data 须为 JSON 对象。"),
    ('["id", "type"]', None, "消息须为 JSON 对象。"),
    ('"hall.sign_in"', None, "消息须为 JSON 对象。"),
    ("null", None, "消息须为 JSON 对象。"),
    ('{"type": "hall.sign_in"}', None, "消息须带 id:1 至 64 个字符的字符串。"),
    ('{"id": 7, "type": "hall.sign_in"}', None, "消息须带 id:1 至 64 个字符的字符串。"),
    ('{"id": "", "type": "hall.sign_in"}', None, "消息须带 id:1 至 64 个字符的字符串。"),
    (json.dumps({"id": "x" * 65, "type": "hall.sign_in"}), None, "消息须带 id:1 至 64 个字符的字符串。"),
    ("[" * 100_000, None, "消息过大(最多 65536 个字符)。"),
    (json.dumps({"id": "big", "type": "record.object", "data": {"text": "异" * 70_000}}), None,
     "消息过大(最多 65536 个字符)。"),
    (NESTED, None, "消息不是有效的 JSON。"),
    ("[" * 60_000, None, "消息不是有效的 JSON。"),
]


async def _send_raw(ws, frame):
    # send_input, not send_to: send_to refuses an empty text frame, which a browser can send.
    await ws.send_input({"type": "websocket.receive", "bytes" if isinstance(frame, bytes) else "text": frame})
    return await ws.receive_json_from(timeout=10)


async def _each_bad_frame_is_answered_and_the_socket_lives_on(ws, valid_message, expected_reply):
    for n, (frame, msg_id, detail) in enumerate(BAD_FRAMES):
        reply = await _send_raw(ws, frame)
        assert reply == {"type": "error", "id": msg_id, "code": "bad_message",
                         "data": {"code": "bad_message", "detail": detail}}, (n, reply)
        answer = await _send_raw(ws, json.dumps({**valid_message, "id": f"ok-{n}"}))
        assert (answer["type"], answer["id"], answer["data"].get("code")) == (expected_reply[0], f"ok-{n}",
                                                                             expected_reply[1]), (n, answer)


async def test_the_hall_answers_every_bad_frame_and_keeps_the_socket(hall_ready, caplog):
    scene = await database_sync_to_async(opening_scene)(0)
    ws, connected, _ = await connect(scene.host, scene.tender)
    assert connected
    assert (await ws.receive_json_from(timeout=10))["type"] == "snapshot"
    # Signed in once (with its event), so that signing in again is answered `ack` and nothing else.
    assert (await send(ws, "first", "hall.sign_in"))["type"] == "ack"
    assert [e["type"] for e in await drain(ws)] == ["hall.signed_in"]
    with caplog.at_level(logging.INFO):
        await _each_bad_frame_is_answered_and_the_socket_lives_on(ws, {"type": "hall.sign_in"}, ("ack", None))
        assert await ws.receive_nothing(timeout=0.3)  # no close frame, nothing else
    await ws.disconnect()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_bad_values_inside_a_well_formed_message_get_a_domain_error(hall_ready, caplog):
    """Well-formed messages with values of the wrong kind reach the actions, which refuse them by code."""
    scene = await database_sync_to_async(opening_scene)(0)
    ws, _, _ = await connect(scene.host, scene.tender)
    await ws.receive_json_from(timeout=10)
    cases = [
        ("record.object", {"text": ["a"]}, "required"),
        ("objection.answer", {"confirmation": [1], "answer": "好"}, "bad_confirmations"),
        ("objection.answer", {"confirmation": 10**30, "answer": "好"}, "bad_confirmations"),
        ("objections.answer", {"confirmations": "all", "answer": "好"}, "bad_confirmations"),
        ("objections.answer", {"confirmations": [True], "answer": "好"}, "bad_confirmations"),
        ("objections.answer", {"confirmations": [1], "answer": {"x": 1}}, "required"),
        ("no.such.type", {}, "unknown_type"),
    ]
    with caplog.at_level(logging.INFO):
        for n, (msg_type, data, code) in enumerate(cases):
            reply = await _send_raw(ws, json.dumps({"id": f"v{n}", "type": msg_type, "data": data}))
            assert (reply["type"], reply["id"], reply["code"], reply["data"]["code"]) == ("error", f"v{n}", code, code)
    await ws.disconnect()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_log_console_answers_every_bad_frame_and_keeps_the_socket(hall_ready, caplog):
    from tests.factories import make_user

    regulator = await database_sync_to_async(make_user)("regulator", "511921")
    ws, connected, _ = await connect_path(regulator, "/ws/ledger/")
    assert connected
    assert (await ws.receive_json_from(timeout=10))["type"] == "snapshot"
    with caplog.at_level(logging.INFO):
        await _each_bad_frame_is_answered_and_the_socket_lives_on(ws, {"type": "anything"}, ("error", "read_only"))
        assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
