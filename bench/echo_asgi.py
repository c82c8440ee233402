"""`daphne bench.echo_asgi:application`: the platform's ASGI application unchanged (config.asgi), plus the
bare group-echo consumer (bench/echo_consumer.py) at `ws/bench-echo/<group>/` behind the same origin check
and session authentication, so that bench_evaluation_socket.py measures both on the same server processes.

Trials of settings the platform does not have (never the default), applied before the layer exists:
BENCH_REDIS_MAX_CONNECTIONS=N, the Redis channel layer's connection pool per process (redis-py 8's
default: 100, then MaxConnectionsError); BENCH_REDIS_CAPACITY=N, the layer's capacity (channels_redis'
default: 100 messages waiting per channel key, and a process's consumers all share one key; the rest
are dropped without an error).
"""

import os

from config.asgi import application as platform  # sets Django up

# isort: split
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.urls import path

from bench.echo_consumer import EchoConsumer

_config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
if os.environ.get("BENCH_REDIS_MAX_CONNECTIONS"):
    for host in _config.get("hosts", []):
        host["max_connections"] = int(os.environ["BENCH_REDIS_MAX_CONNECTIONS"])
if os.environ.get("BENCH_REDIS_CAPACITY"):
    _config["capacity"] = int(os.environ["BENCH_REDIS_CAPACITY"])

PREFIX = "/ws/bench-echo/"

echo = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([
    path("ws/bench-echo/<int:group>/", EchoConsumer.as_asgi()),
])))


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"].startswith(PREFIX):
        return await echo(scope, receive, send)
    return await platform(scope, receive, send)
