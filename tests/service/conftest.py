import datetime
from zoneinfo import ZoneInfo

import pytest

from trading.models import CalendarDay

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


MONDAY = at(2026, 9, 14, 9, 0)  # Tue 15 Sep 2026 is made a holiday by the `holiday` fixture


@pytest.fixture
def holiday(db):
    CalendarDay.objects.update_or_create(date=datetime.date(2026, 9, 15),
                                         defaults={"is_workday": False, "name": "测试假日"})


@pytest.fixture
def tongjiang_tenderer(make_user):
    return make_user("tenderer", "511921", username="tj_tenderer")


@pytest.fixture
def nanjiang_tenderer(make_user):
    return make_user("tenderer", "511922", username="nj_tenderer")
