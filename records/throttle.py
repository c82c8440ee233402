"""How many PDFs one person (or, for visitors, one network address) may check per window on the
public verification page: each check parses and verifies every signature of up to 50 MB.

Counts live in the shared cache with a window fixed from the first check, as accounts/throttle.py
does for failed sign-ins (whose address helper it reuses). Limits: RECORDS_VERIFY_LIMIT checks per
RECORDS_VERIFY_WINDOW seconds (getattr defaults, so no setting is required)."""

import math

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.throttle import client_address


def _limit():
    return getattr(settings, "RECORDS_VERIFY_LIMIT", 30)


def _window():
    return getattr(settings, "RECORDS_VERIFY_WINDOW", 600)


def _key(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"records-verify:user:{user.pk}"
    return f"records-verify:address:{client_address(request) or '-'}"


def allow(request):
    """Counts one check; False once the window's limit is spent."""
    key = _key(request)
    cache.add(key, 0, timeout=_window())
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=_window())
        count = 1
    return count <= _limit()


def message():
    return _("Too many files checked from your account or network address. Please wait %(minutes)d minutes "
             "and try again.") % {"minutes": math.ceil(_window() / 60)}
