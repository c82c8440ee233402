"""The Redis channel layer must outwait its own blocking pop.

channels_redis waits for a consumer's next message with BZPOPMIN for `brpop_timeout` (5 s); redis-py 8
gives every read a 5-second socket timeout by default, so on a busy server the empty reply of an idle
wait arrived a hair late and killed the consumer ("Timeout reading from 127.0.0.1:6379": a hall page
that stopped answering in CI).
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (the first pass of .ci/run)")


def test_reads_wait_longer_than_the_blocking_pop():
    layer = get_channel_layer()
    async def kwargs():
        connection = layer.connection(0)
        return connection.connection_pool.connection_kwargs

    got = async_to_sync(kwargs)()
    assert got["socket_timeout"] >= 3 * layer.brpop_timeout


def test_an_idle_receive_returns_the_next_message_after_a_blocking_pop_timed_out():
    layer = get_channel_layer()

    async def scenario():
        channel = await layer.new_channel()

        # Longer than one blocking pop: the first BZPOPMIN returns nothing, receive() pops again.
        async def later():
            await asyncio.sleep(layer.brpop_timeout + 1)
            await layer.send(channel, {"type": "hello"})

        sender = asyncio.create_task(later())
        message = await asyncio.wait_for(layer.receive(channel), timeout=layer.brpop_timeout * 4)
        await sender
        return message

    assert async_to_sync(scenario)() == {"type": "hello"}
