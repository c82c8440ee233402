"""The part PUT of the resumable upload (`PUT /api/uploads/<id>/parts/?offset=N`) with its body streamed
to the bid file, never spooled (docs/bid-upload.md).

Django's ASGI handler reads a request's whole body into a temporary file before any view runs, so an
8 MiB part was written twice before `bidstore.write_at` wrote it where it belongs. `PartStreamHandler`
is Django's handler for this one path with that step taken out: the request's body is `BodyStream`,
which pulls the ASGI `http.request` messages as the view reads it. Everything else is Django's and the
API's own code, unchanged: the middleware (session, CSRF, language, security headers), the URL
resolver, `UploadViewSet.parts` with its authentication (token or session), permissions and error
responses, and `actions.receive_part`, which checks the upload, its owner, the deadline and the offset
under the upload's row lock and writes the part at its offset while hashing it. The same checks and
the same answers as before, for the CLI and the browser alike, and one write of the bytes.

`route(django_app)` in config/asgi.py sends exactly the part PUTs here, everything else to Django.
"""

import asyncio
import collections
import re

from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler

PART_PATH = re.compile(r"^/api/uploads/[^/]+/parts/$")
FILL = 1024 * 1024  # bytes gathered from the event loop per hop from the view's thread


class BodyStream:
    """A request body read straight from the ASGI `receive` (file-like, `read(n)` only), from the
    thread the sync view runs in. At most `FILL` bytes wait here. A client gone mid-body
    (`http.disconnect`) ends the body early, so `write_at` sees a short part and keeps none of it; a
    body longer than its Content-Length reads as more bytes after the declared ones, which
    `write_at` refuses the same way."""

    def __init__(self, receive, done):
        self._receive = receive
        self._done = done  # an asyncio.Event: the body is over (complete or cut off)
        self._pieces = collections.deque()  # the messages' bodies not read yet
        self._held = 0
        self.ended = False
        self.disconnected = False

    async def _fill(self, n):
        while self._held < n and not self.ended:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.disconnected = self.ended = True
            else:
                if body := message.get("body", b""):
                    self._pieces.append(body)
                    self._held += len(body)
                self.ended = not message.get("more_body", False)
            if self.ended:
                self._done.set()

    def read(self, n=-1):
        if n is None or n < 0:
            raise ValueError("BodyStream reads a bounded number of bytes at a time")
        if self._held < n and not self.ended:
            async_to_sync(self._fill)(max(n, FILL))
        out, size = [], 0
        while self._pieces and size < n:
            piece = self._pieces.popleft()
            if size + len(piece) > n:
                piece, rest = piece[:n - size], piece[n - size:]
                self._pieces.appendleft(rest)
            out.append(piece)
            size += len(piece)
        self._held -= size
        return b"".join(out)

    def close(self):
        self._pieces.clear()


class _Receive:
    """The request's ASGI `receive`, with an event set once the body is over (complete or cut off)."""

    def __init__(self, receive):
        self.receive = receive
        self.body_done = asyncio.Event()

    def __call__(self):
        return self.receive()


class PartStreamHandler(ASGIHandler):
    """Django's ASGI handler whose request body is a `BodyStream` instead of a spooled copy."""

    async def handle(self, scope, receive, send):
        await super().handle(scope, _Receive(receive), send)

    async def read_body(self, receive):
        return BodyStream(receive, receive.body_done)

    async def listen_for_disconnect(self, receive):
        # Django listens for a disconnect while the view runs, but the view reads the body itself:
        # listening starts once the body is over.
        await receive.body_done.wait()
        return await super().listen_for_disconnect(receive)


def route(django_app):
    """The ASGI app for HTTP: part PUTs streamed (PartStreamHandler), the rest to `django_app`."""
    parts = PartStreamHandler()

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "PUT" and PART_PATH.match(scope["path"]):
            return await parts(scope, receive, send)
        return await django_app(scope, receive, send)

    return app
