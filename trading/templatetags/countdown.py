"""{% countdown at %}: a deadline with the time left, on the server's clock.

The server renders the text ("3 hours left"), so it reads without JavaScript; static/js/countdown.js
then ticks it each second from the offset between the server's `now` (data-now) and the browser's
clock, so a browser whose clock is wrong still counts down to the right instant.
"""

import datetime

from django import template
from django.utils import timezone

register = template.Library()


def iso_instant(value):
    """An aware datetime as an ISO 8601 instant in UTC with milliseconds ("2026-12-02T02:00:00.000Z")."""
    return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@register.inclusion_tag("countdown.html")
def countdown(at, now=None, with_time=True):
    """`with_time=False`: the time left only, where the deadline is already shown beside it."""
    now = now or timezone.now()
    return {"at": at, "now": now, "at_iso": iso_instant(at), "now_iso": iso_instant(now), "with_time": with_time}
