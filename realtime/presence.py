"""Who is connected to a group right now: one entry per socket, shared by every ASGI process.

Kept in Django's cache (Redis with REDIS_URL, like the channel layer, so every process sees one board;
otherwise the in-process cache, as the in-memory channel layer reaches one process only). Each entry is
`channel name → (user id, last heartbeat)`; a user with several tabs counts once; a socket whose process
died stops beating and drops out after TTL_SECONDS. Presence is not a state change of the trading process:
nothing is logged (the hall's 签到 is, trading/actions/opening.py).

The entries of a group live under one key, changed read-modify-write under a short lock taken with
`cache.add` (atomic on both backends)."""

import time
import uuid
from contextlib import contextmanager

from django.core.cache import cache

HEARTBEAT_SECONDS = 20
TTL_SECONDS = 60  # three missed heartbeats
_LOCK_SECONDS = 5
_KEY_SECONDS = 24 * 3600


def _key(group):
    return f"presence:{group}"


@contextmanager
def _locked(group):
    lock, token = f"presence-lock:{group}", uuid.uuid4().hex
    deadline = time.monotonic() + _LOCK_SECONDS
    while not cache.add(lock, token, timeout=_LOCK_SECONDS):
        if time.monotonic() > deadline:  # a holder died mid-update: its lock expires by itself
            cache.delete(lock)
        time.sleep(0.005)
    try:
        yield
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)


def _live(entries, now):
    return {channel: (user, seen) for channel, (user, seen) in entries.items() if now - seen <= TTL_SECONDS}


def _update(group, change, now=None):
    """Apply `change(entries)` to the live entries; returns whether the set of users changed."""
    now = time.time() if now is None else now
    with _locked(group):
        before = cache.get(_key(group)) or {}
        entries = _live(before, now)
        users_before = {user for user, _ in before.values()}
        change(entries, now)
        cache.set(_key(group), entries, timeout=_KEY_SECONDS)
    return users_before != {user for user, _ in entries.values()}


def join(group, channel, user_id, now=None):
    return _update(group, lambda entries, at: entries.__setitem__(channel, (user_id, at)), now)


def beat(group, channel, user_id, now=None):
    """The heartbeat: keeps this socket's entry and drops entries that stopped beating."""
    return join(group, channel, user_id, now)


def leave(group, channel, now=None):
    return _update(group, lambda entries, at: entries.pop(channel, None), now)


def user_ids(group, now=None):
    now = time.time() if now is None else now
    return {user for user, _ in _live(cache.get(_key(group)) or {}, now).values()}
