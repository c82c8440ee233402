"""Under ASGI the middleware chain runs as coroutines from end to end (config/middleware.py says why)."""

import logging

from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient


def test_no_middleware_makes_django_switch_between_sync_and_async_modes(settings, caplog):
    settings.DEBUG = True  # Django names each adaptation it makes only in DEBUG
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()  # loads the chain
    assert [r.getMessage() for r in caplog.records if "adapted" in r.getMessage()] == []


async def _get(path, headers=None):
    return await AsyncClient(headers=headers or {}).get(path)


def test_the_async_chain_still_speaks_chinese_sets_the_policy_and_serves_static_files(db, settings):
    import asyncio

    home = asyncio.run(_get("/", {"Accept-Language": "en"}))
    assert home.status_code == 200 and '<html lang="zh-CN">' in home.content.decode()
    assert "default-src" in home["Content-Security-Policy"]
    settings.WHITENOISE_USE_FINDERS = True  # nothing is collected into STATIC_ROOT for the tests
    static = asyncio.run(_get("/static/js/api.js"))
    assert static.status_code == 200
    body = b"".join(static.streaming_content) if static.streaming else static.content
    assert b"export async function api" in body
