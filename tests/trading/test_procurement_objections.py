"""Procurement tenders: 质疑 within 7 working days of knowing (政府采购法 art. 52; known from the later of
the documents' availability start and the publication) and answers within 7 working days (art. 53),
counted on the holiday calendar; their messages cite the procurement law. Clock frozen at each boundary."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.errors import DomainError
from evaluation import alerts
from evaluation.models import Alert
from tests.factories import make_tender, make_user
from trading import actions, rules
from trading.calendar import Calendar
from trading.models import CalendarDay, Tender

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


NOW = at(2026, 11, 2, 8, 0)  # Monday; published now, documents from 09:00 the same day
DEADLINE = at(2026, 11, 30, 9, 0)


@pytest.fixture
def holidays(db):
    # Two weekdays made rest days for the test (November has no statutory holiday of its own).
    for day in (datetime.date(2026, 11, 4), datetime.date(2026, 11, 18)):
        CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": False, "name": "测试假日"})


@pytest.fixture
def tender(platform_pki, regions, holidays):
    owner = make_user("tenderer", "511921")
    with time_machine.travel(NOW, tick=False):
        return make_tender(owner, "511921", category="procurement", publish_by=make_user("staff", "511921"),
                           documents_from=at(2026, 11, 2, 9, 0), documents_until=at(2026, 11, 11, 9, 0),
                           bid_deadline=DEADLINE)


def _owner(tender):
    from accounts.models import User

    return User.objects.get(pk=tender.created_by_id)


def test_working_days_skip_weekends_and_holidays():
    cal = Calendar(overrides={datetime.date(2026, 11, 4): False}, loaded_years={2026})
    # Known on Mon 2 Nov: 3 (1), [4 holiday], 5 (2), 6 (3), [7, 8 weekend], 9 (4), 10 (5), 11 (6), 12 (7).
    assert rules.add_working_days(datetime.date(2026, 11, 2), 7, cal) == datetime.date(2026, 11, 12)
    assert rules.add_working_days(datetime.date(2026, 11, 2), 7, Calendar({}, {2026})) == datetime.date(2026, 11, 11)


def test_a_challenge_on_working_day_7_is_accepted_and_on_day_8_refused(tender):
    bidder = make_user("bidder")
    with time_machine.travel(at(2026, 11, 12, 23, 59, 59), tick=False):
        objection = actions.raise_objection(actor=bidder, tender_id=tender.pk, text="采购需求有倾向性")
    # Answer within 7 working days of 12 Nov: 13, 16, 17, [18 holiday], 19, 20, 23, 24: by the end of 24 Nov.
    assert objection.answer_due == at(2026, 11, 25, 0, 0)
    with time_machine.travel(at(2026, 11, 13, 0, 0, 1), tick=False), pytest.raises(DomainError) as info:
        actions.raise_objection(actor=bidder, tender_id=tender.pk, text="太晚了")
    assert info.value.code == "objection_too_late"
    message = str(info.value.message)
    assert "《政府采购法》第五十二条" in message and "2026-11-12" in message
    assert "招标投标法" not in message
    assert tender.objections.count() == 1


def test_a_works_tender_keeps_the_bidding_law_periods(platform_pki, regions, holidays):
    owner = make_user("tenderer", "511921")
    with time_machine.travel(NOW, tick=False):
        works = make_tender(owner, "511921", publish_by=make_user("staff", "511921"),
                            documents_from=at(2026, 11, 2, 9, 0), documents_until=at(2026, 11, 11, 9, 0),
                            bid_deadline=DEADLINE)
    # Day 8 of the procurement count is still in time under 实施条例 art. 22 (until 20 Nov), answer in 3 days.
    with time_machine.travel(at(2026, 11, 13, 10, 0), tick=False):
        objection = actions.raise_objection(actor=make_user("bidder"), tender_id=works.pk, text="异议")
    assert objection.answer_due == at(2026, 11, 17, 0, 0)  # 16 Nov (Monday; 15 is a Sunday) at 24:00


def test_a_procurement_answer_on_working_day_8_is_late_and_flagged(client, tender):
    with time_machine.travel(at(2026, 11, 5, 10, 0), tick=False):
        objection = actions.raise_objection(actor=make_user("bidder"), tender_id=tender.pk, text="质疑")
        api = client.get(f"/api/tenders/{tender.pk}/").json()
    assert api["suspended"] is True and "《政府采购法》第五十三条" in api["pause_reason"]
    # 5 Nov + 7 working days: 6, 9, 10, 11, 12, 13, 16: due by the end of 16 Nov.
    assert objection.answer_due == at(2026, 11, 17, 0, 0)
    with time_machine.travel(at(2026, 11, 17, 9, 0), tick=False):
        answered = actions.answer_objection(actor=_owner(tender), objection_id=objection.pk, answer="答复")
        alerts.scan(Tender.objects.none())
    assert answered.answered_late is True
    alert = Alert.objects.get(rule=Alert.Rule.LATE_ANSWER)
    assert alert.evidence["procurement"] is True


def test_the_portal_cites_the_procurement_law(client, tender):
    with time_machine.travel(at(2026, 11, 5, 10, 0), tick=False):
        actions.raise_objection(actor=make_user("bidder"), tender_id=tender.pk, text="质疑")
        page = client.get(f"/tenders/{tender.pk}/").content.decode()
        listing = client.get("/tenders/").content.decode()
    assert "《政府采购法》第五十三条" in page and "第二十二条" not in page.split('id="tender-suspended"')[1][:400]
    assert "对采购文件的质疑尚待采购人答复（《政府采购法》第五十三条）" in listing
