"""今日开标 (issue 14): the day's openings on the portal, on the server's Beijing-time day, public, with
tender facts only; and the countdowns that tick from the server's clock."""

import datetime
import re
import zoneinfo

import pytest
import time_machine

from tests.factories import make_tender
from trading.models import Tender

CST = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


NOW = at(2026, 9, 1, 10, 0)
EN = {"HTTP_COOKIE": "django_language=en"}


@pytest.fixture(autouse=True)
def _calendar(db):
    from tests.factories import seed_calendar
    from trading.models import CalendarYear

    if not CalendarYear.objects.exists():
        seed_calendar()


@pytest.fixture
def tenders(make_user, city_staff):
    """Two openings on 2026-10-20 (Beijing), one the next day, and a draft opening that day."""
    owner = make_user("tenderer", "511921")
    with time_machine.travel(NOW, tick=False):
        terms = {"documents_from": at(2026, 9, 2, 9, 0), "documents_until": at(2026, 9, 10)}
        made = {
            "morning": make_tender(owner, "511921", publish_by=city_staff, title="通江早场", venue="通江县开标室一",
                                   bid_deadline=at(2026, 10, 20, 9, 0), **terms),
            "afternoon": make_tender(make_user("tenderer", "511900"), "511900", publish_by=city_staff,
                                     title="市级午场", venue="市中心开标室", bid_deadline=at(2026, 10, 20, 15, 0),
                                     **terms),
            "tomorrow": make_tender(owner, "511921", publish_by=city_staff, title="次日开标",
                                    bid_deadline=at(2026, 10, 21, 9, 0), **terms),
            "draft": make_tender(owner, "511921", title="草稿标段", bid_deadline=at(2026, 10, 20, 10, 0), **terms),
        }
    return made


def _board(client, when, **extra):
    with time_machine.travel(when, tick=False):
        return client.get("/tenders/today/", **extra)


def test_the_board_lists_the_openings_of_the_beijing_day_for_anyone(client, tenders):
    # 07:30 in Beijing is still the 19th in UTC: the day is the server's Beijing day.
    response = _board(client, at(2026, 10, 20, 7, 30))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(t.title, key) for t, key, _label, _hall in rows] == [("通江早场", "bidding"), ("市级午场", "bidding")]
    body = response.content.decode()
    assert "今日开标" in body and "通江县开标室一" in body and "通江县" in body and "09:00" in body
    assert "次日开标" not in body and "草稿标段" not in body


def test_an_opening_whose_time_has_come_links_to_the_hall(client, tenders):
    response = _board(client, at(2026, 10, 20, 9, 5), **EN)
    (first, key, label, hall_open), (second, key2, _l2, _h2) = response.context["rows"]
    assert (first.title, key, str(label), hall_open) == ("通江早场", "waiting", "Waiting for the opening", True)
    assert key2 == "bidding"
    body = response.content.decode()
    assert f'href="/tenders/{first.pk}/opening/"' in body
    # Only the open one counts down; the one whose time has come does not.
    assert body.count('class="countdown"') == 1


def test_failed_and_next_day_openings(client, tenders):
    Tender.objects.filter(pk=tenders["afternoon"].pk).update(status="failed")
    rows = _board(client, at(2026, 10, 20, 16, 0), **EN).context["rows"]
    assert [(t.title, key, hall) for t, key, _l, hall in rows] == [("通江早场", "waiting", True),
                                                                    ("市级午场", "failed", False)]
    rows = _board(client, at(2026, 10, 21, 0, 0)).context["rows"]
    assert [t.title for t, *_ in rows] == ["次日开标"]


def test_the_home_page_shows_the_board(client, tenders):
    with time_machine.travel(at(2026, 10, 20, 8, 0), tick=False):
        response = client.get("/")
    assert [t.title for t, *_ in response.context["today"]] == ["通江早场", "市级午场"]
    body = response.content.decode()
    assert 'id="home-today"' in body and 'href="/tenders/today/"' in body and 'href="/help/"' in body


def test_the_board_says_so_when_nothing_opens_today(client, tenders):
    body = _board(client, at(2026, 10, 22, 12, 0), **EN).content.decode()
    assert "No openings today." in body


def test_countdowns_carry_the_deadline_and_the_servers_now_as_instants(client, tenders):
    with time_machine.travel(at(2026, 10, 20, 8, 0), tick=False):
        body = client.get("/tenders/", **EN).content.decode()
    spans = re.findall(r'<span class="countdown" data-deadline="([^"]+)" data-now="([^"]+)"', body)
    # Three open tenders in the list (the draft is not public); each counts down from the same server now.
    assert sorted(d for d, _n in spans) == ["2026-10-20T01:00:00.000Z", "2026-10-20T07:00:00.000Z",
                                            "2026-10-21T01:00:00.000Z"]
    assert {n for _d, n in spans} == {"2026-10-20T00:00:00.000Z"}
    assert "(1\xa0hour left)" in body  # the server-rendered text stays for browsers without JavaScript
    assert 'src="/static/js/countdown.js"' in body


def test_a_closed_tender_in_the_list_shows_its_deadline_without_a_countdown(client, tenders):
    with time_machine.travel(at(2026, 10, 22, 8, 0), tick=False):
        body = client.get("/tenders/", **EN).content.decode()
    assert 'class="countdown"' not in body
    assert "2026-10-20 09:00" in body


def test_the_board_reads_in_a_fixed_number_of_queries(client, tenders, make_user, city_staff,
                                                      django_assert_max_num_queries):
    with time_machine.travel(NOW, tick=False):
        for i in range(3):
            make_tender(make_user("tenderer", "511922"), "511922", publish_by=city_staff, title=f"南江{i}",
                        documents_from=at(2026, 9, 2, 9, 0), documents_until=at(2026, 9, 10),
                        bid_deadline=at(2026, 10, 20, 11, i))
    with time_machine.travel(at(2026, 10, 20, 8, 0), tick=False), django_assert_max_num_queries(4):
        response = client.get("/tenders/today/")
    assert len(response.context["rows"]) == 5
