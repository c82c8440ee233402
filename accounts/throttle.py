"""Failed sign-in throttling, per account name and per client address, in the shared cache."""

from django.conf import settings
from django.core.cache import cache


def _keys(username, address):
    return [f"login-fail:user:{(username or '').lower()}", f"login-fail:addr:{address or '-'}"]


def is_throttled(username, address):
    limit = settings.LOGIN_THROTTLE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _keys(username, address))


def record_failure(username, address):
    for key in _keys(username, address):
        # add() then incr() keeps the window fixed from the first failure.
        cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW)


def clear(username, address):
    cache.delete(_keys(username, address)[0])
