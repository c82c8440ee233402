"""A bound on the HTTP requests one ASGI process serves at once (docs/operations.md).

Django runs each sync view of an ASGI server in a thread of its own, and each such thread holds a
database connection while the request runs. Under a burst (300 bidders finalizing in the last minute,
bench/bench_load.py) two daphne processes opened more connections than PostgreSQL allows (100 by
default) and answered 500 to a third of the requests. With this bound, requests beyond
ASGI_MAX_CONCURRENT_REQUESTS wait their turn in the process (in arrival order) instead of failing.
Websockets are not counted: a consumer's database calls are short and it must not hold a place while idle.

Each HTTP request's scope gets `arrived_at` (time.time()) before it waits: when it reached the process. A
bid's finalize is judged by that moment (accounts.throttle.arrived_at, docs/bid-upload.md): a bidder who
submitted before the deadline is not refused because the request then queued here past it.
"""

import asyncio
import time
import weakref


class ConcurrencyLimit:
    def __init__(self, app, limit):
        self.app, self.limit = app, limit
        self._semaphores = weakref.WeakKeyDictionary()  # one per event loop (a server has one; tests make many)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope = {**scope, "arrived_at": time.time()}
        if not self.limit:
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        async with semaphore:
            return await self.app(scope, receive, send)
