"""The 今日开标 board: every opening of the server's calendar day (Beijing time) across the city and
counties. Public: it shows tender facts only, never who has bid or how many (招标投标法 art. 22)."""

import datetime

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Opening, Tender
from .queries import _unanswered_objection, is_paused

# Tenders whose opening can fall on a day: a draft never opens, a terminated tender no longer does.
BOARD_STATUSES = ["published", "closed", "opening", "opened", "evaluating", "evaluated", "publicizing",
                  "awarded", "failed"]
HALL_STATUSES = ("published", "closed", "opening", "opened")

BOARD_STATES = {
    "bidding": _("Accepting bids"),
    "paused": _("Paused: an objection awaits its answer"),
    "waiting": _("Waiting for the opening"),
    "closed": _("Opening closed"),
    "failed": _("Failed: fewer than 3 bids"),
}


def day_bounds(now):
    """[start, end) of the server's calendar day (Beijing time) holding `now`."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def board_state(tender, now):
    """(key, label) of the opening's public state; the clock decides until the hall opens."""
    opening = None
    if tender.status in ("opening", "opened"):
        try:
            opening = tender.opening
        except Opening.DoesNotExist:
            opening = None
    if tender.status == "failed":
        key = "failed"
    elif opening is not None:
        return opening.status, opening.get_status_display()
    elif tender.status in ("published", "closed"):
        key = "paused" if is_paused(tender) else "bidding" if now < tender.bid_deadline else "waiting"
    else:
        key = "closed"
    return key, BOARD_STATES[key]


def todays_openings(now=None):
    """[(tender, state key, state label, hall open)] of the day's openings, by time."""
    now = now or timezone.now()
    start, end = day_bounds(now)
    tenders = (
        Tender.objects.filter(status__in=BOARD_STATUSES, bid_deadline__gte=start, bid_deadline__lt=end)
        .select_related("region", "opening")
        .annotate(objection_pending=_unanswered_objection())  # is_paused without a query per row
        .order_by("bid_deadline", "region__sort_order", "id")
    )
    rows = []
    for tender in tenders:
        key, label = board_state(tender, now)
        rows.append((tender, key, label, tender.status in HALL_STATUSES))
    return rows


def today_board(request):
    now = timezone.now()
    return render(request, "trading/today.html",
                  {"rows": todays_openings(now), "now": now, "day": timezone.localdate(now)})
