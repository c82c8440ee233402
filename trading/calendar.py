"""Legal periods as the law counts them.

民法典 art. 201: a period counted in days starts on the day after the day it begins.
民法典 art. 203: if the last day of a period is a statutory rest day, the period ends on the day after
the rest days; the last day ends at 24:00.

Rest days, in three layers:
1. The floor: the statutory holidays of 全国年节及纪念日放假办法 (as revised for 2025), computed for any
   year with `lunar-python` (`statutory_holidays`). They are always rest days, whatever is typed.
2. The State Council's yearly arrangement (bridged days off, make-up working days), entered by city staff
   as CalendarDay rows; the years up to 2026 were seeded from `chinese-calendar` (migration 0002).
3. Weekends, unless the arrangement makes them make-up working days.

A CalendarYear row says the arrangement for that year is complete; city staff confirm it by an explicit
act (trading.actions.confirm_calendar_year), never by entering a single day. A period that reaches a
year not confirmed yet is computed with the floor alone and is *provisional*: `Calendar.provisional_years`
names those years, and staff are warned from November 1 of the year before (`warning_years`).
"""

import datetime
import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

LOCAL = ZoneInfo(settings.TIME_ZONE) if settings.configured else ZoneInfo("Asia/Shanghai")
WARN_FROM_MONTH = 11  # staff are warned from November 1 that next year's arrangement is missing
FLOOR_YEARS = range(1901, 2200)  # where lunar-python's tables are reliable; outside, weekends only

HOLIDAY_NAMES = {
    "new_year": _("New Year's Day"),
    "spring": _("Spring Festival"),
    "qingming": _("Qingming Festival"),
    "labour": _("Labour Day"),
    "dragon_boat": _("Dragon Boat Festival"),
    "mid_autumn": _("Mid-Autumn Festival"),
    "national": _("National Day"),
}


def local_date(moment):
    return moment.astimezone(LOCAL).date()


def start_of_day(day):
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=LOCAL)


def end_of_day(day):
    """24:00 of `day`, as the aware instant 00:00 of the next day."""
    return start_of_day(day + datetime.timedelta(days=1))


# Spring Festival days (offsets from 正月初一; -1 is 除夕) and Labour Day days, by revision of the 办法.
REVISIONS = [  # (first year in force, spring offsets, labour days)
    (2025, (-1, 0, 1, 2), (1, 2)),  # 2024 revision: 除夕 to 正月初三; May 1-2
    (2014, (0, 1, 2), (1,)),  # 2013 revision: 初一 to 初三
    (2008, (-1, 0, 1), (1,)),  # 2007 revision: 除夕 to 初二; 清明, 端午, 中秋 become holidays
]


@functools.lru_cache(maxsize=512)
def statutory_holidays(year):
    """{date: key of HOLIDAY_NAMES} for the statutory holidays of `year` (全国年节及纪念日放假办法 art. 2;
    from 2025: 元旦 Jan 1; 春节 除夕 to 正月初三, 4 days; 清明 the day of the solar term; 劳动节 May 1-2;
    端午 五月初五; 中秋 八月十五; 国庆 Oct 1-3). Earlier years follow the revision then in force."""
    revision = next((r for r in REVISIONS if year >= r[0]), None)
    if revision is None or year not in FLOOR_YEARS:
        return {}
    from lunar_python import Lunar

    _since, spring_offsets, labour_days = revision
    day = datetime.date

    def solar(lunar_month, lunar_day):
        s = Lunar.fromYmd(year, lunar_month, lunar_day).getSolar()
        return day(s.getYear(), s.getMonth(), s.getDay())

    days = {day(year, 1, 1): "new_year"}
    # 除夕 is the last day of the 12th lunar month (the 29th or the 30th): the day before 正月初一.
    first = solar(1, 1)
    for offset in spring_offsets:
        days[first + datetime.timedelta(days=offset)] = "spring"
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    days[day(qingming.getYear(), qingming.getMonth(), qingming.getDay())] = "qingming"
    for d in labour_days:
        days[day(year, 5, d)] = "labour"
    days.setdefault(solar(5, 5), "dragon_boat")
    days.setdefault(solar(8, 15), "mid_autumn")
    for d in (1, 2, 3):
        days[day(year, 10, d)] = "national"  # 中秋 may fall in 国庆 (2028): still one rest day
    return days


def holiday_name(day):
    key = statutory_holidays(day.year).get(day)
    return HOLIDAY_NAMES[key] if key else ""


class Calendar:
    """Rest days for a range of years, loaded once per use from the calendar tables.

    After computing periods, `provisional_years()` names the years the periods reached whose arrangement
    is not confirmed: there, only the floor and weekends counted."""

    def __init__(self, overrides=None, loaded_years=None):
        if overrides is None:
            from .models import CalendarDay, CalendarYear

            overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
            loaded_years = set(CalendarYear.objects.values_list("year", flat=True))
        self.overrides = overrides  # date -> is_workday
        self.loaded_years = set(loaded_years or ())  # years whose arrangement is confirmed complete
        self.consulted_years = set()

    def is_statutory_holiday(self, day):
        return day in statutory_holidays(day.year)

    def is_rest_day(self, day):
        self.consulted_years.add(day.year)
        if self.is_statutory_holiday(day):
            return True  # the floor: no arrangement turns a statutory holiday into a working day
        if day in self.overrides:
            return not self.overrides[day]
        return day.weekday() >= 5

    def missing_years(self, *days):
        """The years of `days` whose arrangement is not confirmed (only the floor counts there)."""
        return sorted({d.year for d in days} - self.loaded_years)

    def provisional_years(self, *days):
        """Years reached by the periods computed so far (and by `days`) that are not confirmed."""
        return sorted((self.consulted_years | {d.year for d in days}) - self.loaded_years)

    @property
    def provisional(self):
        return bool(self.provisional_years())

    def last_day(self, start_day, days):
        """The last day of a period of `days` days that begins on `start_day` (art. 201, 203)."""
        day = start_day + datetime.timedelta(days=days)
        while self.is_rest_day(day):
            day += datetime.timedelta(days=1)
        return day

    def period_end(self, start, days):
        """The instant a period of `days` days beginning at `start` ends (24:00 of its last day)."""
        return end_of_day(self.last_day(local_date(start), days))


def warning_years(today, loaded_years=None):
    """Years staff must be warned about on `today`: this year, and from November 1 next year, when
    their arrangement is not confirmed."""
    if loaded_years is None:
        from .models import CalendarYear

        loaded_years = set(CalendarYear.objects.values_list("year", flat=True))
    years = {today.year} | ({today.year + 1} if today.month >= WARN_FROM_MONTH else set())
    return sorted(years - set(loaded_years))


def seed_from_package(calendar_day_model, calendar_year_model):
    """Load the holidays and make-up working days the `chinese-calendar` package knows (up to 2026):
    each of its years is a complete, announced arrangement. Idempotent: the days held are updated, the
    missing ones inserted in one statement (tests seed it again after every flush: ~800 update_or_create
    calls took seconds)."""
    from chinese_calendar.constants import holidays, workdays

    wanted = {day: (False, str(name)) for day, name in holidays.items()}
    wanted.update({day: (True, str(name)) for day, name in workdays.items()})
    held = {row.date: row for row in calendar_day_model.objects.filter(date__in=list(wanted))}
    calendar_day_model.objects.bulk_create(
        [calendar_day_model(date=day, is_workday=workday, name=name)
         for day, (workday, name) in wanted.items() if day not in held])
    for day, row in held.items():
        if (row.is_workday, row.name) != wanted[day]:
            row.is_workday, row.name = wanted[day]
            row.save(update_fields=["is_workday", "name"])
    years = {day.year for day in wanted}
    held_years = set(calendar_year_model.objects.filter(year__in=years).values_list("year", flat=True))
    calendar_year_model.objects.bulk_create(
        [calendar_year_model(year=year, source="chinese-calendar") for year in sorted(years - held_years)])
