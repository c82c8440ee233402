"""The statutory holiday floor (issue 18 item 2): 全国年节及纪念日放假办法 as revised for 2025, computed
for any year with lunar-python, always a rest day, with no typed table."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from lunar_python import Solar

from accounts.errors import DomainError
from tests.factories import tender_terms
from trading import actions, rules
from trading.calendar import Calendar, statutory_holidays
from trading.models import CalendarDay, CalendarYear, Tender

CST = ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


def _floor(year):
    holidays = statutory_holidays(year)
    return {key: sorted(d for d, k in holidays.items() if k == key) for key in set(holidays.values())}


def test_floor_2027():
    f = _floor(2027)
    assert f["new_year"] == [D(2027, 1, 1)]
    # Spring Festival 2027 (正月初一) is Saturday 6 February: 除夕 5 Feb through 初三 8 Feb, four days.
    assert f["spring"] == [D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8)]
    assert f["qingming"] == [D(2027, 4, 5)]
    assert f["labour"] == [D(2027, 5, 1), D(2027, 5, 2)]
    assert f["dragon_boat"] == [D(2027, 6, 9)]
    assert f["mid_autumn"] == [D(2027, 9, 15)]
    assert f["national"] == [D(2027, 10, 1), D(2027, 10, 2), D(2027, 10, 3)]


def test_floor_2028_where_mid_autumn_falls_in_national_day():
    f = _floor(2028)
    assert f["spring"] == [D(2028, 1, 25), D(2028, 1, 26), D(2028, 1, 27), D(2028, 1, 28)]  # 初一 26 Jan
    assert f["qingming"] == [D(2028, 4, 4)]
    assert f["dragon_boat"] == [D(2028, 5, 28)]
    assert "mid_autumn" not in f and D(2028, 10, 3) in statutory_holidays(2028)  # 八月十五 = 3 Oct
    assert len(statutory_holidays(2028)) == 12


@pytest.mark.parametrize("year", [2025, 2026, 2027, 2028, 2031, 2040])
def test_new_years_eve_is_the_last_day_of_the_twelfth_month(year):
    eve = min(d for d, k in statutory_holidays(year).items() if k == "spring")
    lunar = Solar.fromYmd(eve.year, eve.month, eve.day).getLunar()
    after = Solar.fromYmd(eve.year, eve.month, eve.day).next(1).getLunar()
    assert lunar.getMonth() == 12 and lunar.getDay() in (29, 30)
    assert (after.getMonth(), after.getDay()) == (1, 1)


@pytest.mark.parametrize("year", [2025, 2026])
def test_floor_agrees_with_the_announced_arrangements(year):
    """An independent source: chinese-calendar's copy of the State Council's 2025 and 2026 notices."""
    from chinese_calendar.constants import holidays

    for day in statutory_holidays(year):
        assert day in holidays or day.weekday() >= 5, day


def test_a_typed_make_up_working_day_cannot_undo_the_floor():
    calendar = Calendar(overrides={D(2027, 1, 1): True, D(2027, 1, 9): True}, loaded_years={2027})
    assert calendar.is_rest_day(D(2027, 1, 1))
    assert not calendar.is_rest_day(D(2027, 1, 9))  # a Saturday made a working day


# --- the rules refuse a too-short period on computed holidays, with no typed table ---------------


@pytest.fixture
def no_table(db):
    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()


def _check(documents_from, documents_until, bid_deadline):
    rules.check_schedule(documents_from, documents_until, bid_deadline, now=at(2026, 12, 1, 9, 0), calendar=Calendar())


def test_new_years_day_2027_ends_no_bidding_period(no_table):
    # From Sat 12 Dec 2026 day 20 is Fri 1 Jan 2027 (元旦), then a weekend: the earliest deadline is Mon 4 Jan.
    start, until = at(2026, 12, 12, 9, 0), at(2026, 12, 20)
    with pytest.raises(DomainError) as info:
        _check(start, until, at(2027, 1, 1, 9, 30))
    assert info.value.code == "bidding_period_too_short" and "2027-01-04" in str(info.value.message)
    with pytest.raises(DomainError):
        _check(start, until, at(2027, 1, 3, 9, 30))
    _check(start, until, at(2027, 1, 4, 9, 30))
    # Weekends alone (the table ending in 2026, as before) would have accepted 1 January.
    rules.check_schedule(start, until, at(2027, 1, 1, 9, 30), now=at(2026, 12, 1), calendar=_WeekendsOnly({}, set()))


class _WeekendsOnly(Calendar):
    def is_statutory_holiday(self, day):
        return False


def test_spring_festival_2027_ends_no_documents_window(no_table):
    # From Sun 31 Jan day 5 is Fri 5 Feb (除夕): 除夕 to 初三 and the weekend are rest days, so the
    # documents stay available to the end of Tue 9 Feb.
    start, deadline = at(2027, 1, 31, 10, 0), at(2027, 3, 1, 9, 30)
    with pytest.raises(DomainError) as info:
        _check(start, at(2027, 2, 9, 23, 59), deadline)
    assert info.value.code == "documents_window_too_short" and "2027-02-09" in str(info.value.message)
    _check(start, at(2027, 2, 10, 0, 0), deadline)


def test_spring_festival_2027_ends_no_bidding_period(no_table):
    # From Sun 17 Jan day 20 is Sat 6 Feb (初一): the earliest deadline is Tue 9 Feb.
    start, until = at(2027, 1, 17, 9, 0), at(2027, 1, 25)
    with pytest.raises(DomainError) as info:
        _check(start, until, at(2027, 2, 8, 9, 30))
    assert info.value.code == "bidding_period_too_short"
    _check(start, until, at(2027, 2, 9, 9, 30))


@time_machine.travel(at(2026, 12, 1, 9, 0), tick=False)
def test_the_platform_refuses_the_tender_and_says_the_period_is_provisional(no_table, tongjiang_tenderer):
    project = actions.create_project(actor=tongjiang_tenderer, name="项目", region_code="511921", category="works")
    terms = tender_terms(documents_from=at(2026, 12, 12, 9, 0), documents_until=at(2026, 12, 20),
                         bid_deadline=at(2027, 1, 1, 9, 30))
    with pytest.raises(DomainError) as info:
        actions.create_tender(actor=tongjiang_tenderer, project_id=project.pk, **terms)
    assert info.value.code == "bidding_period_too_short"
    terms["bid_deadline"] = at(2027, 1, 4, 9, 30)
    tender = actions.create_tender(actor=tongjiang_tenderer, project_id=project.pk, **terms)
    assert Tender.objects.filter(pk=tender.pk).exists()
    assert actions.missing_calendar_years(tender) == [2026, 2027]
    calendar = Calendar()
    calendar.last_day(D(2026, 12, 12), rules.MIN_BIDDING_DAYS)
    assert calendar.provisional_years() == [2027] and calendar.provisional  # the days counted at its end
    CalendarYear.objects.create(year=2026, source="test")
    CalendarYear.objects.create(year=2027, source="test")
    calendar = Calendar()
    calendar.last_day(D(2026, 12, 12), rules.MIN_BIDDING_DAYS)
    assert calendar.provisional_years() == [] and actions.missing_calendar_years(tender) == []
