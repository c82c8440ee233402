"""Real processes for the evaluation socket's process tests: daphne servers of this test's database on a
given Redis, a Redis server of the test's own (to kill and start again), and a session page that behaves
as the browser's does: it reconnects with `last_seq` when its socket drops and sends a message again, with
the same id, until it has an answer (tests/realtime/test_two_processes.py's servers, for any Redis)."""

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import aiohttp
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds; generous: the CI machine has 2 cores and runs other tests meanwhile


def free_port():
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


def _server_env(redis_url, prefix):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": prefix,
        "CACHE_PREFIX": prefix,
        "VAR_DIR": str(settings.VAR_DIR),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PKI_DIR": str(settings.PKI_DIR),
        "PKI_PASSPHRASE": settings.PKI_PASSPHRASE,
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookies made here must validate there
        "LOG_LEVEL": "WARNING",
    }
    env.pop("RUN_TASK_WORKER", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by tests/conftest.py; the servers run as in production
    return env


def _wait_for_port(process, port, log, http=True):
    give_up = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            if not http:
                return
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            if s.recv(12).startswith(b"HTTP/1."):
                return
        if time.monotonic() > give_up:
            raise RuntimeError(f"nothing answered on port {port} within 60 s:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def daphnes(n, redis_url, prefix, log_dir):
    """Ports of `n` daphne processes serving this test's database through `redis_url`."""
    env, processes = _server_env(redis_url, prefix), []
    try:
        for i in range(n):
            port, log = free_port(), log_dir / f"daphne-{i}.log"
            processes.append((subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT), port, log))
        for process, port, log in processes:
            _wait_for_port(process, port, log)
        yield [port for _, port, _ in processes]
    finally:
        for process, _, _ in processes:
            _stop(process)


class RedisServer:
    """A redis-server of this test's own, in memory only, that the test may kill and start again."""

    def __init__(self, log_dir):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        assert Path(self.binary).exists(), "the process tests need redis-server (apt-get install redis-server)"
        self.port, self.log, self.process = free_port(), log_dir / "redis.log", None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        _wait_for_port(self.process, self.port, self.log, http=False)

    def kill(self):
        """As a crash: no shutdown, everything in memory lost (groups, queued messages)."""
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            _stop(self.process)


def _session_cookie(user):
    client = Client()
    client.force_login(user)  # the session lives in the shared database
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class Peer:
    """One person's session page on one server process. Keeps every numbered event it receives, over every
    connection; when its socket drops it reconnects with `last_seq` (the last event it received); `ask`
    sends a message until it is answered by anything but `server_error`, again after each reconnection."""

    def __init__(self, http, port, session_id, cookie):
        self.url = f"ws://127.0.0.1:{port}/ws/evaluation/{session_id}/"
        self.http, self.headers = http, {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
        self.snapshot, self.last_seq, self.events = None, None, []
        self.ws, self.connections, self.resent, self._closing = None, 0, 0, False
        self._answers, self._changed = {}, asyncio.Event()
        self._task = asyncio.create_task(self._run())

    @classmethod
    async def join(cls, http, port, session_id, user):
        peer = cls(http, port, session_id, await database_sync_to_async(_session_cookie)(user))
        await peer._until(lambda: peer.snapshot is not None, "the snapshot")
        return peer

    async def _run(self):
        while not self._closing:
            query = "" if self.last_seq is None else f"?last_seq={self.last_seq}"
            try:
                ws = await self.http.ws_connect(self.url + query, headers=self.headers)
            except (aiohttp.ClientError, OSError):  # the server refused while its Redis was down: retry
                await asyncio.sleep(0.2)
                continue
            self.ws, self.connections = ws, self.connections + 1
            self._changed.set()
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                self._receive(json.loads(message.data))
            self.ws = None
            self._changed.set()
            if not self._closing:
                await asyncio.sleep(0.2)

    def _receive(self, data):
        if data["type"] == "snapshot":
            assert self.snapshot is None, "a snapshot after a reconnection with last_seq"
            self.snapshot, self.last_seq = data, data["seq"]
        elif data.get("id") is not None:
            self._answers[data["id"]] = data
        else:
            self.events.append(data)
            self.last_seq = data["seq"]
        self._changed.set()

    async def _until(self, condition, waiting_for):
        try:
            async with asyncio.timeout(TIMEOUT):
                while not condition():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"{self.url} ({self.headers['Cookie'][-6:]}): no {waiting_for} within {TIMEOUT} s; "
                        f"connections {self.connections}, open {self.ws is not None}, snapshot at "
                        f"{self.snapshot and self.snapshot['seq']}, events {[(e['seq'], e['type']) for e in self.events]}")

    async def ask(self, msg_id, msg_type, data=None):
        message = {"id": msg_id, "type": msg_type, "data": data or {}}
        while True:
            await self._until(lambda: self.ws is not None, f"connection to send {msg_id!r}")
            ws = self.ws
            self._answers.pop(msg_id, None)
            try:
                await ws.send_json(message)
            except (aiohttp.ClientError, ConnectionError):
                continue
            await self._until(lambda ws=ws: msg_id in self._answers or self.ws is not ws, f"answer to {msg_id!r}")
            answer = self._answers.get(msg_id)
            if answer is not None and answer.get("code") != "server_error":
                return answer
            self.resent += 1
            await asyncio.sleep(0.2)

    async def received_through(self, seq):
        await self._until(lambda: self.last_seq is not None and self.last_seq >= seq, f"event {seq}")

    async def close(self):
        self._closing = True
        if self.ws is not None:
            await self.ws.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
