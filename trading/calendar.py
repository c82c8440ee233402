"""Legal periods as the law counts them.

民法典 art. 201: a period counted in days starts on the day after the day it begins.
民法典 art. 203: if the last day of a period is a statutory rest day, the period ends on the day after
the rest days; the last day ends at 24:00.

Rest days are weekends that are not make-up working days, plus the statutory holidays announced
each year by the State Council (kept in CalendarDay). For a year not loaded yet, weekends alone count
as rest days and staff are warned that the calendar is missing.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

LOCAL = ZoneInfo(settings.TIME_ZONE) if settings.configured else ZoneInfo("Asia/Shanghai")


def local_date(moment):
    return moment.astimezone(LOCAL).date()


def start_of_day(day):
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=LOCAL)


def end_of_day(day):
    """24:00 of `day`, as the aware instant 00:00 of the next day."""
    return start_of_day(day + datetime.timedelta(days=1))


class Calendar:
    """Rest days for a range of years, loaded once per use from the calendar table."""

    def __init__(self, overrides=None, loaded_years=None):
        if overrides is None:
            from .models import CalendarDay, CalendarYear

            overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
            loaded_years = set(CalendarYear.objects.values_list("year", flat=True))
        self.overrides = overrides  # date -> is_workday
        self.loaded_years = loaded_years or set()

    def is_rest_day(self, day):
        if day in self.overrides:
            return not self.overrides[day]
        return day.weekday() >= 5

    def missing_years(self, *days):
        return sorted({d.year for d in days} - self.loaded_years)

    def last_day(self, start_day, days):
        """The last day of a period of `days` days that begins on `start_day` (art. 201, 203)."""
        day = start_day + datetime.timedelta(days=days)
        while self.is_rest_day(day):
            day += datetime.timedelta(days=1)
        return day

    def period_end(self, start, days):
        """The instant a period of `days` days beginning at `start` ends (24:00 of its last day)."""
        return end_of_day(self.last_day(local_date(start), days))


def seed_from_package(calendar_day_model, calendar_year_model):
    """Load the holidays and make-up working days the `chinese-calendar` package knows."""
    from chinese_calendar.constants import holidays, workdays

    years = set()
    for day, name in holidays.items():
        calendar_day_model.objects.update_or_create(date=day, defaults={"is_workday": False, "name": str(name)})
        years.add(day.year)
    for day, name in workdays.items():
        calendar_day_model.objects.update_or_create(date=day, defaults={"is_workday": True, "name": str(name)})
        years.add(day.year)
    for year in years:
        calendar_year_model.objects.get_or_create(year=year, defaults={"source": "chinese-calendar"})
