"""Several test runs share the machine's Redis (.ci/run's two PostgreSQL shards, a developer's run beside
CI): each empties only its own keys between tests. The cache was once emptied with `cache.clear()`, which
is FLUSHDB on Redis, twice a test: the other shard's channel groups and throttle counters vanished under
it, and its live tests failed in bursts."""

import os

import pytest
from django.core.cache import caches

from tests.conftest import clear_cache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (first pass of .ci/run)")


def test_emptying_the_cache_between_tests_leaves_other_runs_keys_alone():
    cache = caches["default"]
    client = cache._cache.get_client(None, write=True)
    foreign = "another-run:1:login-fail:address:127.0.0.1"
    client.set(foreign, "3")
    try:
        cache.set("ours", 1)
        clear_cache()
        assert cache.get("ours") is None
        assert client.get(foreign) == b"3"
    finally:
        client.delete(foreign)
