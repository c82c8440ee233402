"""One event loop per process for events sent from code that runs outside any event loop.

A task worker, the sequencer, a management command or a benchmark's writer commits in a plain thread.
`async_to_sync` there starts a thread and an event loop for every call, and channels-redis opens (and
closes) a connection pool for every new loop: 1.8 ms of a 5.3 ms ledger append. Here one daemon thread
keeps one loop, and the layer's connections with it, for the life of the process. A send still waits
for its delivery to the layer, so it is ordered after the caller's earlier sends and its errors reach
the caller, as before.

Code running in a thread that `sync_to_async` lent to a running loop of this process (a request, a
consumer's database call) keeps `async_to_sync`: it hands the send to that loop without a new thread,
and the in-memory layer reaches only the consumers of that loop.
"""

import asyncio
import os
import threading

from asgiref.sync import SyncToAsync, async_to_sync

# Long enough for a busy Redis; a send that takes longer is an error the caller sees.
SEND_TIMEOUT = 30


class SenderLoop:
    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._layer = None  # the layer whose connections this loop holds

    def _running_loop(self):
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="realtime-sender", daemon=True).start()
                self._loop = loop
            return self._loop

    def send(self, layer, group, message):
        future = asyncio.run_coroutine_threadsafe(self._send(layer, group, message), self._running_loop())
        return future.result(SEND_TIMEOUT)

    async def _send(self, layer, group, message):
        if layer is not self._layer:
            # A new layer (the settings changed; each test gets its own): close the old one's pool on
            # this loop, or every layer ever used would keep its sockets open.
            old, self._layer = self._layer, layer
            if old is not None:
                await _release(old, asyncio.get_running_loop())
        await layer.group_send(group, message)

    def forget(self):
        """In a forked child: the thread is not there, and the parent's loop and sockets are not ours."""
        self._lock = threading.Lock()
        self._loop = None
        self._layer = None


async def _release(layer, loop):
    # channels-redis keeps one pool per event loop in `_layers` and closes it only when that loop closes,
    # and this loop never closes. Other layers have nothing per loop.
    per_loop = getattr(layer, "_layers", None)
    if isinstance(per_loop, dict):
        pool = per_loop.pop(loop, None)
        if pool is not None:
            await pool.flush()


_sender = SenderLoop()
os.register_at_fork(after_in_child=_sender.forget)


def in_loop_thread():
    """True in a thread that `sync_to_async` runs for a live event loop of this process."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return (loop is not None and getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid()
            and loop.is_running())


def group_send(layer, group, message):
    if in_loop_thread():
        async_to_sync(layer.group_send)(group, message)
    else:
        _sender.send(layer, group, message)
