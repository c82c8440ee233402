"""config/limits.py: one process serves at most ASGI_MAX_CONCURRENT_REQUESTS HTTP requests at once; the
rest wait in turn and are then served (none refused); websockets are not counted."""

import asyncio

import pytest

from config.limits import ConcurrencyLimit


def _app(started, release):
    async def app(scope, receive, send):
        started.append(scope["path"])
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    return app


async def _call(app, path, kind="http"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    await app({"type": kind, "path": path}, receive, send)
    return sent


@pytest.mark.asyncio
async def test_requests_beyond_the_limit_wait_and_are_then_served():
    started, release = [], asyncio.Event()
    limited = ConcurrencyLimit(_app(started, release), 2)
    calls = [asyncio.create_task(_call(limited, f"/{i}")) for i in range(5)]
    await asyncio.sleep(0.05)
    assert started == ["/0", "/1"]  # three wait, in arrival order
    socket = asyncio.create_task(_call(limited, "/ws", kind="websocket"))
    await asyncio.sleep(0.05)
    assert started[-1] == "/ws"  # a websocket does not wait for a place
    release.set()
    results = await asyncio.gather(*calls, socket)
    assert started == ["/0", "/1", "/ws", "/2", "/3", "/4"]
    assert all(r[0]["status"] == 200 for r in results)


@pytest.mark.asyncio
async def test_no_limit_when_the_setting_is_zero():
    started, release = [], asyncio.Event()
    unlimited = ConcurrencyLimit(_app(started, release), 0)
    calls = [asyncio.create_task(_call(unlimited, f"/{i}")) for i in range(5)]
    await asyncio.sleep(0.05)
    assert len(started) == 5
    release.set()
    await asyncio.gather(*calls)


@pytest.mark.asyncio
async def test_a_request_keeps_the_moment_it_arrived_not_the_moment_it_got_a_place():
    """A bid's finalize is judged by when it reached the server (docs/bid-upload.md): the stamp is taken
    before the wait for a place, so a request that queued past the bid deadline still shows it came before."""
    import time

    stamps, release = {}, asyncio.Event()

    async def app(scope, receive, send):
        stamps[scope["path"]] = (scope["arrived_at"], time.time())
        if scope["path"] == "/0":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = ConcurrencyLimit(app, 1)
    first = asyncio.create_task(_call(limited, "/0"))
    await asyncio.sleep(0.02)
    before = time.time()
    queued = asyncio.create_task(_call(limited, "/1"))
    await asyncio.sleep(0.3)
    release.set()
    await asyncio.gather(first, queued)
    arrived, served = stamps["/1"]
    assert before <= arrived < before + 0.1  # stamped on arrival…
    assert served - arrived >= 0.25  # …and served only once the first request let go of the place
    assert "arrived_at" in (await _stamped(ConcurrencyLimit(app, 0)))  # with no limit too


async def _stamped(limited):
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limited.app = app
    await _call(limited, "/x")
    return seen
