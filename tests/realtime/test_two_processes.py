"""Two ASGI server processes sharing the real Redis and PostgreSQL: a bidder connected to one and the
host connected to the other see the same events in the same order (docs/architecture.md §8: the Redis channel layer
lets several processes serve one hall).

Two real daphne processes run `config.asgi:application` against this test's database; the test process
plays the task worker (`open_bids`), so events come from three processes.
"""

import asyncio
import contextlib
import datetime
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import aiohttp
import pytest
import time_machine
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from realtime import groups
from realtime.events import stream_head
from tests.realtime.opening_setup import opening_scene
from tests.trading.bidding import bidder_with_keys, published_tender, submit
from trading.actions.opening import open_bids

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and Redis (the first pass of .ci/run)",
    ),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20  # seconds; generous, the CI machine has 2 cores and runs other tests meanwhile


# --- two daphne processes ------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url():
    """This test's database (the test database, not the one DATABASE_URL names)."""
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _server_env():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        "VAR_DIR": str(settings.VAR_DIR),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PKI_DIR": str(settings.PKI_DIR),
        "PKI_PASSPHRASE": settings.PKI_PASSPHRASE,
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookies made here must validate there
        "LOG_LEVEL": "WARNING",
    }
    env.pop("RUN_TASK_WORKER", None)  # this test is the worker
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by tests/conftest.py; the servers run as in production
    return env


def _wait_until_it_answers(process, port, log):
    give_up = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"daphne on port {port} exited:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            if s.recv(12).startswith(b"HTTP/1."):
                return
        if time.monotonic() > give_up:
            raise RuntimeError(f"daphne on port {port} did not answer within 60 s:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


@pytest.fixture
def hall_ready(transactional_db, platform_pki):
    from accounts.models import Region
    from accounts.regions import ensure_regions
    from tests.factories import seed_calendar

    ensure_regions(Region)
    seed_calendar()


@pytest.fixture
def two_servers(hall_ready, tmp_path):
    """Ports of two daphne processes serving this test's database; stopped before the database is flushed."""
    env, processes = _server_env(), []
    try:
        for name in ("a", "b"):
            port, log = _free_port(), tmp_path / f"daphne-{name}.log"
            process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            processes.append((process, port, log))
        for process, port, log in processes:
            _wait_until_it_answers(process, port, log)
        yield [port for _, port, _ in processes]
    finally:
        for process, _, _ in processes:
            process.terminate()
        for process, _, _ in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- the scene ---------------------------------------------------------------------------------------------


def _scene_built_a_month_ago():
    """The opening scene, built with the clock set a month back, so that its deadline has just passed
    when the clock comes back to now. The servers run in other processes, out of reach of time travel:
    this way they see a tender past its deadline through nothing but the real clock and rows the actions
    wrote. Also a bidder of another tender (a stranger to this hall)."""
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30, minutes=10), tick=True):
        scene = opening_scene(3)
        stranger = bidder_with_keys()
        submit(Client(), published_tender(), stranger)
    assert timezone.now() > scene.tender.bid_deadline
    return scene, stranger


def _session_cookie(user):
    client = Client()
    client.force_login(user)  # the session lives in the shared database
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class Attendee:
    """One websocket to the hall on one server process; keeps every numbered event it receives."""

    def __init__(self, ws):
        self.ws = ws
        self.events = []
        self.replies = {}
        self.snapshot = None
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def join(cls, http, port, tender, user, query=""):
        cookie = await database_sync_to_async(_session_cookie)(user)
        ws = await http.ws_connect(
            f"ws://127.0.0.1:{port}/ws/opening/{tender.pk}/{query}",
            headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
        )
        attendee = cls(ws)
        if not query:
            await attendee._until(lambda: attendee.snapshot is not None, "snapshot")
        return attendee

    async def _read(self):
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if data.get("type") == "snapshot":
                self.snapshot = data
            elif "id" in data:  # ack or error to one of our messages
                self.replies[data["id"]] = data
            else:
                self.events.append(data)
            self._changed.set()
        self._changed.set()

    async def _until(self, condition, waiting_for):
        try:
            async with asyncio.timeout(TIMEOUT):
                while not condition():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            seen = [(e.get("seq"), e.get("type")) for e in self.events]
            pytest.fail(f"no {waiting_for} within {TIMEOUT} s; events received: {seen}")

    async def ask(self, msg_id, msg_type, data=None):
        await self.ws.send_json({"id": msg_id, "type": msg_type, "data": data or {}})
        await self._until(lambda: msg_id in self.replies, f"reply to {msg_id!r}")
        return self.replies[msg_id]

    async def received_up_to(self, seq):
        await self._until(lambda: bool(self.events) and self.events[-1]["seq"] >= seq, f"event {seq}")

    async def close(self):
        await self.ws.close()
        await self._reader


async def refusal(http, port, tender, user):
    """How a server refuses a client: ("handshake", 403) when the consumer closes before accepting
    (daphne answers the upgrade with HTTP 403), or ("close", 4403) when it accepts and then closes.
    Anything the socket received before its close is returned too: it must be nothing."""
    cookie = await database_sync_to_async(_session_cookie)(user)
    try:
        ws = await http.ws_connect(
            f"ws://127.0.0.1:{port}/ws/opening/{tender.pk}/",
            headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
        )
    except aiohttp.WSServerHandshakeError as exc:
        return ("handshake", exc.status), []
    received = []
    async with asyncio.timeout(TIMEOUT):
        async for message in ws:
            received.append(message.data)
    return ("close", ws.close_code), received


# --- the test --------------------------------------------------------------------------------------------


async def test_a_bidder_and_the_host_on_two_processes_see_the_same_events_in_the_same_order(two_servers):
    a, b = two_servers
    scene, stranger = await database_sync_to_async(_scene_built_a_month_ago)()
    tender, host, bidder = scene.tender, scene.host, scene.bidders[0]
    shares = [await database_sync_to_async(scene.share)(c) for c in scene.custodians[:2]]
    async with aiohttp.ClientSession() as http:
        on_a = await Attendee.join(http, a, tender, bidder)  # its connection opens the hall: opening.started
        on_b = await Attendee.join(http, b, tender, host)
        assert on_a.snapshot["seq"] == on_b.snapshot["seq"] == 1
        assert on_b.snapshot["data"]["opening"]["status"] == "awaiting_shares"

        # A bidder of another tender is refused by either process, and receives nothing.
        for port in (a, b):
            how, received = await refusal(http, port, tender, stranger)
            assert how in {("handshake", 403), ("close", 4403)}
            assert received == []

        # Events caused on process A, on process B, and (the worker) in this process.
        assert (await on_a.ask("a1", "hall.sign_in"))["type"] == "ack"
        assert (await on_b.ask("b1", "hall.sign_in"))["type"] == "ack"
        for n, (custodian, share, port) in enumerate(zip(scene.custodians[:2], shares, (a, b), strict=True)):
            keyholder = await Attendee.join(http, port, tender, custodian)
            assert (await keyholder.ask(f"c{n}", "share.release", {"share": share}))["type"] == "ack"
            await keyholder.close()
        assert await database_sync_to_async(open_bids)(tender.pk) == 3
        assert (await on_a.ask("a2", "record.confirm"))["type"] == "ack"
        assert (await on_b.ask("b2", "opening.close"))["type"] == "ack"

        head = await database_sync_to_async(stream_head)(groups.opening_hall(tender.pk))
        await on_a.received_up_to(head)
        await on_b.received_up_to(head)
        # A client reconnecting to the other process gets the same events from the stored stream.
        replay = await Attendee.join(http, a, tender, host, query="?last_seq=1")
        await replay.received_up_to(head)
        for attendee in (on_a, on_b, replay):
            await attendee.close()

    seen = [(e["seq"], e["type"]) for e in on_a.events]
    assert seen == [
        (2, "hall.signed_in"),
        (3, "hall.signed_in"),
        (4, "opening.share_released"),
        (5, "opening.share_released"),
        (6, "opening.decrypting"),
        (7, "opening.key_rebuilt"),
        (8, "opening.progress"),
        (9, "opening.bid_opened"),
        (10, "opening.progress"),
        (11, "opening.bid_opened"),
        (12, "opening.progress"),
        (13, "opening.bid_opened"),
        (14, "opening.decrypted"),
        (15, "opening.confirm"),
        (16, "opening.closed"),
    ]
    assert head == 16
    assert on_b.events == on_a.events  # every field of every event, in the same order
    assert replay.events == on_a.events
    assert [e["data"]["name"] for e in on_a.events[:2]] == [bidder.organization.name, str(host)]
