"""The holiday calendar page: readable by the public and every role (periods affect everyone); only
city staff enter days and confirm a year (county staff and regulators read only)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ledger.models import Entry
from trading.models import CalendarDay, CalendarYear

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=CST)
pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def readers(make_user, tongjiang_tenderer, tongjiang_staff, city_regulator):
    return [
        make_user("bidder", "511921", username="page_bidder"), tongjiang_tenderer, tongjiang_staff,
        city_regulator, make_user("expert", "511900", org=None, username="page_expert"),
    ]


def test_anonymous_reads_the_floor_and_the_provisional_year(client):
    body = client.get("/calendar/").content.decode()
    assert "2027-02-05" in body and "2027-10-03" in body  # 除夕 and 国庆, computed
    assert "春节" in body and "暂定：仅含法定节假日" in body  # 2027 not confirmed yet
    assert 'name="is_workday"' not in body and "calendar/confirm/" not in body


def test_every_role_reads_and_only_city_staff_see_the_forms(client, readers, city_staff):
    for user in readers:
        client.force_login(user)
        response = client.get("/calendar/")
        assert response.status_code == 200, user
        assert 'name="is_workday"' not in response.content.decode()
    client.force_login(city_staff)
    body = client.get("/calendar/").content.decode()
    assert 'name="is_workday"' in body and 'action="/calendar/confirm/"' in body


def test_only_city_staff_write(client, tongjiang_staff, city_regulator, city_staff):
    before = Entry.objects.count()
    response = client.post("/calendar/", {"date": "2027-10-04", "name": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/calendar/confirm/", {"year": "2027"}).status_code == 302
    for user in (tongjiang_staff, city_regulator):
        client.force_login(user)
        assert client.post("/calendar/", {"date": "2027-10-04", "name": "x"}).status_code == 403
        assert client.post("/calendar/confirm/", {"year": "2027"}).status_code == 403
    assert not CalendarDay.objects.filter(date=datetime.date(2027, 10, 4)).exists()
    assert not CalendarYear.objects.filter(year=2027).exists() and Entry.objects.count() == before
    client.force_login(city_staff)
    assert client.post("/calendar/confirm/", {"year": "2027"}).status_code == 302
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.confirmed_by) == ("staff", city_staff)
    assert Entry.objects.last().action == "calendar.year_confirmed"
    # Confirming twice is refused with a message, and logs nothing.
    response = client.post("/calendar/confirm/", {"year": "2027"}, follow=True)
    assert "该年度的节假日安排已经确认" in response.content.decode()
    assert Entry.objects.filter(action="calendar.year_confirmed").count() == 1
    assert client.get("/calendar/confirm/").status_code == 405


def test_a_statutory_holiday_cannot_be_typed_as_a_working_day(client, city_staff):
    client.force_login(city_staff)
    response = client.post("/calendar/", {"date": "2027-02-06", "is_workday": "on", "name": "x"})
    assert response.status_code == 400 and "不能设为调休上班日" in response.content.decode()
    assert not CalendarDay.objects.filter(date=datetime.date(2027, 2, 6)).exists()
