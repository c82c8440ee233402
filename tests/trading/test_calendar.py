import datetime

from ledger.models import Entry
from trading.calendar import Calendar
from trading.models import CalendarDay, CalendarYear


def test_city_staff_enter_next_years_holidays(client, city_staff):
    client.force_login(city_staff)
    page = client.get("/calendar/")
    assert page.status_code == 200
    response = client.post("/calendar/", {"date": "2027-10-01", "name": "国庆节"})
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=datetime.date(2027, 10, 1))
    assert (day.is_workday, day.name) == (False, "国庆节")
    assert not CalendarYear.objects.filter(year=2027).exists()  # one day does not confirm the year
    assert Entry.objects.last().action == "calendar.day_set"
    assert Calendar().is_rest_day(datetime.date(2027, 10, 1))


def test_a_make_up_working_day_on_a_weekend_is_not_a_rest_day(client, city_staff):
    client.force_login(city_staff)
    client.post("/calendar/", {"date": "2027-09-25", "is_workday": "on", "name": "调休"})  # a Saturday
    assert not Calendar().is_rest_day(datetime.date(2027, 9, 25))


def test_county_staff_and_regulators_cannot_change_the_calendar(client, tongjiang_staff, city_regulator):
    for user in (tongjiang_staff, city_regulator):
        client.force_login(user)
        assert client.post("/calendar/", {"date": "2027-10-01", "name": "x"}).status_code == 403
    assert not CalendarDay.objects.filter(date=datetime.date(2027, 10, 1)).exists()
