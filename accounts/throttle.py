"""Failed sign-in throttling in the shared cache (issue 9 item 5).

Failures count per account *at* an address (LOGIN_THROTTLE_LIMIT): one person's wrong passwords lock
neither the other accounts behind that address (a whole trading center on opening day) nor the
account's owner signing in from elsewhere. They also count per address over all accounts
(LOGIN_THROTTLE_ADDRESS_LIMIT, much higher), so one address cannot try password after password
across many accounts. Password-reset requests and wrong reset codes count toward the address too.
Each window is fixed from its first failure.
"""

import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _


def client_address(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _account_key(username, address):
    # Hashed: a user name may hold characters a cache key must not (spaces, or 150 of them).
    raw = f"{(username or '').strip().casefold()}\0{address or '-'}".encode()
    return f"login-fail:account:{hashlib.sha256(raw).hexdigest()}"


def _address_key(address):
    return f"login-fail:address:{address or '-'}"


def _count(key):
    return cache.get(key) or 0


def _increment(key):
    # add() then incr() keeps the window fixed from the first failure.
    cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW)
        return 1


def window_minutes():
    return math.ceil(settings.LOGIN_THROTTLE_WINDOW / 60)


def tries_left(username, address):
    return max(0, min(settings.LOGIN_THROTTLE_LIMIT - _count(_account_key(username, address)),
                      settings.LOGIN_THROTTLE_ADDRESS_LIMIT - _count(_address_key(address))))


def address_locked(address):
    return _count(_address_key(address)) >= settings.LOGIN_THROTTLE_ADDRESS_LIMIT


def locked_message(username, address):
    """Why signing in is refused now (a translated message), or None when it is not."""
    if address_locked(address):
        return address_locked_message()
    if _count(_account_key(username, address)) >= settings.LOGIN_THROTTLE_LIMIT:
        return _("Too many failed sign-in attempts for this account from your network address. Please wait "
                 "%(minutes)d minutes and try again, or reset your password.") % {"minutes": window_minutes()}
    return None


def address_locked_message():
    return _("Too many failed sign-ins or password reset requests from your network address. Please wait "
             "%(minutes)d minutes and try again.") % {"minutes": window_minutes()}


def record_failure(username, address):
    """Counts one wrong password; returns how many tries are left."""
    _increment(_account_key(username, address))
    _increment(_address_key(address))
    return tries_left(username, address)


def record_address_attempt(address):
    _increment(_address_key(address))


def clear(username, address):
    """After a successful sign-in or password reset: the account starts afresh at this address (the
    address's own count stays, or one good account would wipe the trail of guesses at others)."""
    cache.delete(_account_key(username, address))
