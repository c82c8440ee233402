"""A client of the opening hall's websocket, for tests: connect as a user, send a message and wait for
its answer, drain what arrived. Against the real ASGI application (routing, auth, origin check)."""

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application


def _cookie_headers(user):
    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
                        .encode()))
    return headers


async def connect_path(user, path):
    headers = await database_sync_to_async(_cookie_headers)(user)
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await ws.connect()
    return ws, connected, code


async def connect(user, tender, query=""):
    return await connect_path(user, f"/ws/opening/{tender.pk}/{query}")


async def send(ws, msg_id, msg_type, data=None):
    await ws.send_json_to({"id": msg_id, "type": msg_type, "data": data or {}})
    while True:
        reply = await ws.receive_json_from(timeout=10)
        if reply.get("id") == msg_id:
            return reply


async def drain(ws, quiet=0.5):
    """Everything the socket received until it stays quiet (receive_nothing does not cancel the app,
    a timed-out receive would)."""
    events = []
    while not await ws.receive_nothing(timeout=quiet):
        events.append(await ws.receive_json_from(timeout=5))
    return events
