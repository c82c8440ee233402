"""Statistics of the green channel: projects approved and days saved, equal to the monthly summary's count
(trading/green/summary.py) on the same projects, and only for the regions asked."""

import datetime
from zoneinfo import ZoneInfo

import time_machine

from accounts.models import Region
from service.stats import statistics
from tests.trading.green_world import approved, submitted_tender
from trading import actions
from trading.green.summary import summary_data

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


def test_green_channel_projects_and_days_saved(make_user, tongjiang_tenderer, platform_pki):
    staff, officer, deputy = (make_user("staff", "511921") for _ in range(3))
    other = make_user("tenderer", "511921")
    with time_machine.travel(at(2026, 9, 14, 9, 0), tick=False):  # Monday
        fast = submitted_tender(tongjiang_tenderer, title="按期标段")
        approved(tongjiang_tenderer, staff, officer, deputy, fast.project)
        slow = submitted_tender(other, title="逾期标段")
        approved(other, staff, deputy, officer, slow.project)
    with time_machine.travel(at(2026, 9, 15, 10, 0), tick=False):  # published a day into the plan
        actions.approve_tender(actor=staff, tender_id=fast.pk)
    now = at(2026, 10, 2, 9, 0)
    with time_machine.travel(now, tick=False):
        summary = summary_data(2026, 9)
    expected = sum(p["days_saved"] for p in summary["projects"])
    assert expected == 3
    assert statistics(now=now)["green"] == {"projects": 2, "days_saved": expected}
    nanjiang = Region.objects.get(code="511922")
    assert statistics(region_ids=[nanjiang.pk], now=now)["green"] == {"projects": 0, "days_saved": 0}
    # The one published tender counts, in September; the other was never published.
    data = statistics(now=now)
    assert data["totals"]["tenders"] == 1
    assert {r["month"]: r["tenders"] for r in data["by_month"]}["2026-09"] == 1
