"""Until a year's holiday arrangement is confirmed, staff are warned from November 1 of the year before
(issue 17); confirming it flags published tenders it makes too short (issue 18 item 2)."""

import datetime
from zoneinfo import ZoneInfo

import time_machine

from ledger.models import Entry
from tests.factories import make_tender
from trading import actions
from trading.calendar import Calendar
from trading.models import CalendarFlag, CalendarYear

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


def _warned(client, user, moment):
    client.force_login(user)
    with time_machine.travel(moment, tick=False):
        workspace = client.get("/workspace/").content.decode()
        page = client.get("/calendar/").content.decode()
    return 'id="ws-calendar-missing"' in workspace, 'id="calendar-warning"' in page, workspace


def test_entering_one_day_does_not_mark_the_year_loaded(city_staff):
    actions.set_calendar_day(actor=city_staff, date=datetime.date(2027, 10, 4), is_workday=False, name="国庆节")
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert Calendar().missing_years(datetime.date(2027, 10, 4)) == [2027]
    assert Entry.objects.last().action == "calendar.day_set"


def test_city_staff_are_warned_from_november_first_until_confirmed(client, city_staff, tongjiang_staff):
    assert CalendarYear.objects.filter(year=2026).exists()  # seeded from chinese-calendar
    assert _warned(client, city_staff, at(2026, 10, 31, 23, 59))[:2] == (False, False)
    warned, on_page, body = _warned(client, city_staff, at(2026, 11, 1, 0, 0))
    assert warned and on_page and "2027" in body
    assert "2027年节假日安排尚未录入并确认" in body  # in Chinese
    assert _warned(client, tongjiang_staff, at(2026, 11, 1, 0, 0))[0]  # county staff too (read only)
    actions.set_calendar_day(actor=city_staff, date=datetime.date(2027, 2, 4), is_workday=False, name="春节")
    assert _warned(client, city_staff, at(2026, 11, 2, 9, 0))[:2] == (True, True)  # one day is not the year
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        actions.confirm_calendar_year(actor=city_staff, year=2027)
    assert Entry.objects.last().action == "calendar.year_confirmed"
    assert _warned(client, city_staff, at(2026, 11, 2, 9, 0))[:2] == (False, False)


def test_bidders_see_no_staff_warning(client, make_user):
    bidder = make_user("bidder", "511921", username="warned_bidder")
    assert not _warned(client, bidder, at(2026, 11, 1, 9, 0))[0]


@time_machine.travel(at(2026, 12, 1, 9, 0), tick=False)
def test_confirming_an_arrangement_that_shortens_a_published_tender_flags_it(
    client, tongjiang_tenderer, tongjiang_staff, city_staff, make_user
):
    # Day 20 from Mon 14 Dec 2026 is Sun 3 Jan 2027: on the floor alone the earliest deadline is Mon 4 Jan.
    tender = make_tender(tongjiang_tenderer, "511921", publish_by=tongjiang_staff,
                         documents_from=at(2026, 12, 14, 9, 0), documents_until=at(2026, 12, 22),
                         bid_deadline=at(2027, 1, 4, 9, 30))
    assert tender.status == "published"
    # The 2027 arrangement (hypothetical here) bridges Mon 4 Jan: the period is now one day short.
    actions.set_calendar_day(actor=city_staff, date=datetime.date(2027, 1, 4), is_workday=False, name="元旦调休")
    assert not CalendarFlag.objects.exists()  # not before the year is confirmed
    # Until then everyone (the public too) is told the tender's periods are provisional.
    assert 'id="calendar-provisional"' in client.get(f"/tenders/{tender.pk}/").content.decode()
    _entry, flags = actions.confirm_calendar_year(actor=city_staff, year=2027)
    flag = CalendarFlag.objects.get(tender=tender)
    assert flags == [flag]
    assert (flag.year, flag.code, flag.earliest) == (2027, "bidding_period_too_short", datetime.date(2027, 1, 5))
    entry = Entry.objects.filter(action="calendar.tender_flagged").get()
    assert entry.tender_ref == tender.code and '"earliest":"2027-01-05"' in entry.payload
    # Shown to its staff on the tender page and in their workspace, not to the public.
    client.force_login(tongjiang_staff)
    page = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert f'id="calendar-flag-{flag.pk}"' in page and "2027-01-05" in page
    assert 'id="ws-calendar-flags"' in client.get("/workspace/").content.decode()
    client.logout()
    public = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert "calendar-flag-" not in public and 'id="calendar-provisional"' not in public
    # Entering another day of a confirmed year checks again, without flagging twice.
    actions.set_calendar_day(actor=city_staff, date=datetime.date(2027, 1, 5), is_workday=False, name="元旦调休")
    assert CalendarFlag.objects.filter(tender=tender).count() == 1
    assert Entry.objects.filter(action="calendar.tender_flagged").count() == 1


@time_machine.travel(at(2026, 12, 1, 9, 0), tick=False)
def test_confirming_an_arrangement_that_keeps_periods_long_enough_flags_nothing(
    tongjiang_tenderer, tongjiang_staff, city_staff
):
    make_tender(tongjiang_tenderer, "511921", publish_by=tongjiang_staff,
                documents_from=at(2026, 12, 14, 9, 0), documents_until=at(2026, 12, 22),
                bid_deadline=at(2027, 1, 6, 9, 30))
    actions.set_calendar_day(actor=city_staff, date=datetime.date(2027, 1, 4), is_workday=False, name="元旦调休")
    assert actions.confirm_calendar_year(actor=city_staff, year=2027)[1] == []
    assert not CalendarFlag.objects.exists()
