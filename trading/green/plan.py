"""Target dates of a green-channel tender's milestones.

Each target is the previous one plus the center's service target (settings.GREEN_CHANNEL_TARGETS,
in working days on the holiday calendar), or, where the law sets the pace, the legal minimum as
trading.rules counts it. The same chain with settings.GREEN_CHANNEL_ORDINARY_TARGETS gives the
ordinary handling the summary measures "days saved" against. The legal periods are the same in
both: the green channel shortens only the platform's own work (docs/architecture.md §4).
"""

import datetime

from django.conf import settings

from .. import rules
from ..calendar import Calendar, local_date

DAY = datetime.timedelta(days=1)

# The milestones, in order; each target follows from the one before.
STAGES = [
    "document_review",
    "publication",
    "opening",
    "draw",
    "evaluation",
    "candidate_publicity",
    "award",
]

GREEN_DEFAULTS = {"document_review": 1, "publication": 0, "opening": 0, "draw": 1, "evaluation": 2,
                  "candidate_publicity": 1, "award": 1}
ORDINARY_DEFAULTS = {"document_review": 3, "publication": 1, "opening": 0, "draw": 3, "evaluation": 5,
                     "candidate_publicity": 3, "award": 5}
# 实施条例 art. 54: candidates are published within 3 days of the report, for at least 3 days.
PUBLICITY_WITHIN_DAYS = 3
PUBLICITY_DAYS = 3


def green_targets():
    return {**GREEN_DEFAULTS, **getattr(settings, "GREEN_CHANNEL_TARGETS", {})}


def ordinary_targets():
    return {**ORDINARY_DEFAULTS, **getattr(settings, "GREEN_CHANNEL_ORDINARY_TARGETS", {})}


def working_day_on_or_after(calendar, day):
    while calendar.is_rest_day(day):
        day += DAY
    return day


def add_working_days(calendar, day, n):
    """The n-th working day after `day` (n = 0: `day` itself, or the next working day if it is a rest day)."""
    day = working_day_on_or_after(calendar, day)
    for _ in range(n):
        day = working_day_on_or_after(calendar, day + DAY)
    return day


def working_days_between(calendar, start, end):
    """Working days d with start < d <= end (0 when end <= start)."""
    count, day = 0, start + DAY
    while day <= end:
        count += 0 if calendar.is_rest_day(day) else 1
        day += DAY
    return count


def targets(tender, start, service, calendar):
    """{kind: date}: the plan for `tender` from `start` (the local day review begins) under `service`
    targets (working days per stage)."""
    out = {}
    out["document_review"] = add_working_days(calendar, start, service["document_review"])
    out["publication"] = add_working_days(calendar, out["document_review"], service["publication"])
    # 招标投标法 art. 24: at least 20 days from issuing the documents to the deadline, counted as
    # trading.rules counts it; the opening is at the deadline (art. 34), never earlier than the tender's own.
    legal = calendar.last_day(out["publication"], rules.MIN_BIDDING_DAYS)
    opening = max(local_date(tender.bid_deadline), legal)
    out["opening"] = add_working_days(calendar, opening, service["opening"])
    out["draw"] = add_working_days(calendar, out["opening"], service["draw"])
    out["evaluation"] = add_working_days(calendar, out["draw"], service["evaluation"])
    within = calendar.last_day(out["evaluation"], PUBLICITY_WITHIN_DAYS)
    out["candidate_publicity"] = min(add_working_days(calendar, out["evaluation"], service["candidate_publicity"]),
                                     within)
    publicity_ends = calendar.last_day(out["candidate_publicity"], PUBLICITY_DAYS)
    out["award"] = add_working_days(calendar, publicity_ends, service["award"])
    return out


def plan(tender, now, calendar=None):
    """[(kind, position, green target, ordinary target)] for `tender`, made at approval time `now`:
    review starts on the day the tender was submitted, or today if it has not been yet."""
    calendar = calendar or Calendar()
    start = local_date(tender.submitted_at if tender.status == "submitted" and tender.submitted_at else now)
    green = targets(tender, start, green_targets(), calendar)
    ordinary = targets(tender, start, ordinary_targets(), calendar)
    return [(kind, i, green[kind], ordinary[kind]) for i, kind in enumerate(STAGES)]
