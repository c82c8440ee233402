"""Service limits (办理时限): how many working days the trading center has for each of its own steps,
and the instant a step falls due.

The city sets them in settings: SERVICE_LIMITS (every tender), SERVICE_GREEN_LIMITS (tenders whose project
is on an approved green channel, trading/green/queue.py); a key missing there takes the default below.
Read at call time, never at import (STYLE.md).

A limit of n working days that starts at an instant ends at 24:00 of the n-th working day after the day
the instant belongs to (民法典 art. 201: the start day is not counted; rest days from trading/calendar.py
are skipped), with the one reading of midnight of docs/legal-periods.md: 00:00 of D is 24:00 of D-1.
n = 0 means "the same working day" (a rest day moves it to the next working day).
"""

from django.conf import settings

from trading import rules
from trading.calendar import Calendar, end_of_day
from trading.green.plan import working_day_on_or_after

DEFAULTS = {
    "review": 3,  # a submitted tender reviewed: published or returned
    "draw": 2,  # after the opening closes, the expert draw requested
    "report": 1,  # after the committee's ranking, the sealed evaluation report on record
    "green_answer": 3,  # a green-channel request decided
    "dissatisfied_answer": 5,  # a 不满意 rating answered by the center
}
GREEN_DEFAULTS = {"review": 1, "draw": 1, "report": 0}


def limits(green=False):
    """{step: working days} in force now."""
    out = {**DEFAULTS, **getattr(settings, "SERVICE_LIMITS", {})}
    if green:
        out.update({**GREEN_DEFAULTS, **getattr(settings, "SERVICE_GREEN_LIMITS", {})})
    return out


def limit(step, green=False):
    return limits(green)[step]


def due(start, days, calendar=None):
    """The aware instant a step started at `start` with `days` working days falls due (24:00 of its
    last day). The step is on time if done at or before it, overdue from the instant after."""
    calendar = calendar or Calendar()
    start_day = rules.day_of(start)
    if days > 0:
        last = rules.add_working_days(start_day, days, calendar)
    else:
        last = working_day_on_or_after(calendar, start_day)
    return end_of_day(last)
