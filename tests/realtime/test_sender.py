"""Events sent from plain threads (task workers, the sequencer, commands) go through one event loop per
process (realtime/sender.py), on whichever channel layer this pass uses."""

import os
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings

from realtime import events, sender

pytestmark = pytest.mark.every_backend


def _subscribe(layer):
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("sender-test", channel)
    return channel


def _receive_all(layer, channel, count):
    async def receive():
        return [await layer.receive(channel) for _ in range(count)]

    return async_to_sync(receive)()


def test_events_from_a_plain_thread_arrive_in_the_order_sent():
    layer = get_channel_layer()
    channel = _subscribe(layer)
    for i in range(50):
        events._send("sender-test", {"type": "test.event", "i": i})
    assert [m["i"] for m in _receive_all(layer, channel, 50)] == list(range(50))


def test_every_send_from_a_plain_thread_uses_the_one_loop_of_the_process():
    layer = get_channel_layer()
    channel = _subscribe(layer)
    before = {t.ident for t in threading.enumerate()}
    events._send("sender-test", {"type": "test.event", "i": 0})
    loop = sender._sender._loop
    for i in range(1, 30):
        events._send("sender-test", {"type": "test.event", "i": i})
    assert sender._sender._loop is loop and loop.is_running()
    _receive_all(layer, channel, 30)
    # At most the sender's own thread is new: no thread per send is left behind or needed.
    assert len({t.ident for t in threading.enumerate()} - before) <= 1


def test_a_send_that_fails_raises_in_the_caller():
    class Broken:
        async def group_send(self, group, message):
            raise RuntimeError("the layer is down")

    with pytest.raises(RuntimeError, match="the layer is down"):
        sender.group_send(Broken(), "sender-test", {"type": "test.event"})


def test_a_forked_child_sends_on_a_loop_of_its_own():
    layer = get_channel_layer()
    channel = _subscribe(layer)
    events._send("sender-test", {"type": "test.event", "i": "parent"})
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's sender thread did not come along; a send must not hang
        code = 1
        try:
            os.close(read)
            timer = threading.Timer(20, lambda: os._exit(3))
            timer.daemon = True
            timer.start()
            events._send("sender-test", {"type": "test.event", "i": "child"})
            os.write(write, b"sent" if sender._sender._loop.is_running() else b"no loop")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    said = os.read(read, 100)
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0 and said == b"sent"
    if settings.REDIS_URL:  # the in-memory layer of the child is its own: only Redis carries it here
        assert [m["i"] for m in _receive_all(layer, channel, 2)] == ["parent", "child"]


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (the first pass of .ci/run)")
def test_a_replaced_layer_gives_its_connections_back():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    name = f"sender-test-{os.getpid()}"

    def ours():
        return sum(1 for c in client.client_list() if c.get("name") == name)

    for _ in range(12):
        channel_layers.backends = {}
        layer = get_channel_layer()
        for host in layer.hosts:
            host["client_name"] = name
        events._send("sender-test", {"type": "test.event"})
    # Only the last layer's pool is open: eleven replaced layers closed theirs.
    assert 1 <= ours() <= 2
