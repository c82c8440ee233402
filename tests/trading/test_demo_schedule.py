"""The demo's tenders keep the law's periods whatever the time of day `make run` loads them: run after
23:00 Beijing time, an hour's delay moved the documents' first day to the next day and the plan's 5-day
windows came out a day short (load_demo failed with documents_window_too_short); nor whatever the day: a
window whose last day falls in a holiday (New Year, Spring Festival) lasts to the next working day."""

import datetime

import pytest

from trading import demo, rules
from trading.calendar import LOCAL

pytestmark = pytest.mark.django_db

TIMES = [datetime.time(0, 0, 30), datetime.time(9, 0), datetime.time(16, 0), datetime.time(23, 0, 1),
         datetime.time(23, 30), datetime.time(23, 59, 59)]


@pytest.mark.parametrize("day", [datetime.date(2026, 12, 3), datetime.date(2026, 12, 31), datetime.date(2027, 2, 5)])
@pytest.mark.parametrize("at", TIMES, ids=str)
def test_every_planned_tender_keeps_the_legal_periods_at_any_time_of_day(day, at):
    now = datetime.datetime.combine(day, at, tzinfo=LOCAL)
    for key, _owner, _region, category, _project, _title, _price, to_docs, docs_days, to_deadline, _fate in demo.PLAN:
        base = now - demo.STARTS.get(key, 0) * demo.DAY
        documents_from, documents_until, bid_deadline = demo.schedule(base, to_docs, docs_days, to_deadline, now, category)
        assert base < documents_from and rules.day_of(documents_from) == rules.day_of(base + to_docs * demo.DAY)
        rules.check_schedule(documents_from, documents_until, bid_deadline, category=category, now=base)
