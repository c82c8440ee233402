"""Each rule at its boundary, with the clock frozen: the last moment accepted and the first refused."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.errors import DomainError
from ledger.models import Entry
from tests.factories import make_tender, tender_terms
from trading import actions
from trading.models import Tender

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


NOW = at(2026, 9, 1, 9, 0)


def _create(owner, **overrides):
    project = actions.create_project(actor=owner, name="项目", region_code="511921", category="works")
    return actions.create_tender(actor=owner, project_id=project.pk, **tender_terms(NOW, **overrides))


def _refused(code, owner, **overrides):
    before = (Tender.objects.count(), Entry.objects.count())
    with pytest.raises(DomainError) as info:
        _create(owner, **overrides)
    assert info.value.code == code
    # The project is created first in its own action; the tender itself is not half-saved.
    assert Tender.objects.count() == before[0]
    return info.value


@time_machine.travel(NOW, tick=False)
def test_twenty_days_end_on_the_working_day_after_national_day(tongjiang_tenderer):
    # Documents from 11 Sep: day 20 is 1 Oct, inside the National Day holiday (1–7 Oct 2026), so the
    # period runs to 8 Oct (民法典 art. 203); a deadline on 7 Oct is too early.
    start = at(2026, 9, 11, 10, 0)
    error = _refused("bidding_period_too_short", tongjiang_tenderer, documents_from=start,
                     documents_until=at(2026, 9, 20), bid_deadline=at(2026, 10, 7, 23, 59))
    assert "2026-10-08" in str(error.message)
    assert "第二十四条" in str(error.message)
    # 00:00 of 8 Oct is 24:00 of 7 Oct (民法典 art. 203, rules.day_of): the first instant of 8 Oct is 00:00:01.
    _refused("bidding_period_too_short", tongjiang_tenderer, documents_from=start,
             documents_until=at(2026, 9, 20), bid_deadline=at(2026, 10, 8, 0, 0))
    tender = _create(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 20),
                     bid_deadline=at(2026, 10, 8, 0, 0, 1))
    assert tender.bid_deadline == at(2026, 10, 8, 0, 0, 1)


@time_machine.travel(NOW, tick=False)
def test_twenty_days_on_ordinary_days(tongjiang_tenderer):
    # From Tue 8 Sep: day 20 is Mon 28 Sep, a working day.
    start = at(2026, 9, 8, 10, 0)
    _refused("bidding_period_too_short", tongjiang_tenderer, documents_from=start,
             documents_until=at(2026, 9, 15), bid_deadline=at(2026, 9, 27, 23, 59, 59))
    _create(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 15),
            bid_deadline=at(2026, 9, 28, 0, 0, 1))  # 00:00 itself is 24:00 of 27 Sep (rules.day_of)


@time_machine.travel(NOW, tick=False)
def test_documents_available_five_days_to_the_end_of_the_last_day(tongjiang_tenderer):
    # From Wed 2 Sep 10:00: day 5 is Mon 7 Sep, so documents stay available until its 24:00.
    start = at(2026, 9, 2, 10, 0)
    error = _refused("documents_window_too_short", tongjiang_tenderer, documents_from=start,
                     documents_until=at(2026, 9, 7, 23, 59), bid_deadline=at(2026, 10, 20, 9, 30))
    assert "第十六条" in str(error.message)
    _create(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 8, 0, 0),
            bid_deadline=at(2026, 10, 20, 9, 30))


@time_machine.travel(NOW, tick=False)
def test_documents_window_ending_on_the_mid_autumn_holiday_runs_to_the_next_working_day(tongjiang_tenderer):
    # From Mon 21 Sep: day 5 is Sat 26 Sep (Mid-autumn, to Sun 27): the window runs to the end of Mon 28.
    start = at(2026, 9, 21, 8, 0)
    _refused("documents_window_too_short", tongjiang_tenderer, documents_from=start,
             documents_until=at(2026, 9, 28, 23, 0), bid_deadline=at(2026, 10, 20, 9, 30))
    _create(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 29, 0, 0),
            bid_deadline=at(2026, 10, 20, 9, 30))


@time_machine.travel(NOW, tick=False)
def test_bid_security_at_most_two_percent(tongjiang_tenderer):
    error = _refused("security_too_high", tongjiang_tenderer, estimated_price_fen=100_000_000,
                     bid_security_fen=2_000_001)
    assert "第二十六条" in str(error.message) and "20,000.00" in str(error.message)
    assert _create(tongjiang_tenderer, estimated_price_fen=100_000_000, bid_security_fen=2_000_000).pk


@time_machine.travel(NOW, tick=False)
def test_the_opening_is_at_the_deadline(tongjiang_tenderer):
    deadline = at(2026, 10, 20, 9, 30)
    error = _refused("opening_not_at_deadline", tongjiang_tenderer, bid_deadline=deadline,
                     opening_at=deadline + datetime.timedelta(minutes=1))
    assert "第三十四条" in str(error.message)
    assert _create(tongjiang_tenderer, bid_deadline=deadline, opening_at=deadline).bid_deadline == deadline


def _published(owner, staff, deadline):
    with time_machine.travel(NOW, tick=False):
        return make_tender(owner, "511921", publish_by=staff, documents_from=at(2026, 9, 2, 9, 0),
                           documents_until=at(2026, 9, 10), bid_deadline=deadline)


def test_an_amendment_with_fifteen_days_left_keeps_the_deadline_one_day_later_moves_it(
        tongjiang_tenderer, tongjiang_staff):
    deadline = at(2026, 10, 20, 9, 30)
    tender = _published(tongjiang_tenderer, tongjiang_staff, deadline)
    with time_machine.travel(at(2026, 10, 5, 23, 59), tick=False):
        first = actions.issue_amendment(actor=tongjiang_tenderer, tender_id=tender.pk, kind="clarification",
                                        text="澄清一", affects_bids=True)
    assert first.new_deadline is None
    with time_machine.travel(at(2026, 10, 6, 0, 0, 1), tick=False):  # 00:00 itself is 24:00 of 5 Oct
        second = actions.issue_amendment(actor=tongjiang_tenderer, tender_id=tender.pk, kind="amendment",
                                         text="修改一", affects_bids=True)
    tender.refresh_from_db()
    assert second.new_deadline == at(2026, 10, 21, 9, 30) == tender.bid_deadline
    assert tender.original_deadline == deadline
    entry = Entry.objects.filter(action="tender.amended").last()
    assert '"new_deadline":"2026-10-21T01:30:00+00:00"' in entry.payload


def test_an_amendment_whose_fifteen_days_end_in_a_holiday_moves_past_it(tongjiang_tenderer, tongjiang_staff):
    tender = _published(tongjiang_tenderer, tongjiang_staff, at(2026, 10, 7, 9, 30))
    with time_machine.travel(at(2026, 9, 22, 15, 0), tick=False):  # day 15 is 7 Oct, a holiday
        amendment = actions.issue_amendment(actor=tongjiang_tenderer, tender_id=tender.pk, kind="amendment",
                                            text="修改", affects_bids=True)
    assert amendment.new_deadline == at(2026, 10, 8, 9, 30)


def test_a_clarification_that_does_not_affect_bids_never_moves_the_deadline(tongjiang_tenderer, tongjiang_staff):
    deadline = at(2026, 10, 20, 9, 30)
    tender = _published(tongjiang_tenderer, tongjiang_staff, deadline)
    with time_machine.travel(at(2026, 10, 15, 9, 0), tick=False):
        actions.issue_amendment(actor=tongjiang_tenderer, tender_id=tender.pk, kind="clarification",
                                text="会议室变更", affects_bids=False)
    tender.refresh_from_db()
    assert tender.bid_deadline == deadline


def test_objections_until_ten_days_before_the_deadline(tongjiang_tenderer, tongjiang_staff, make_user):
    tender = _published(tongjiang_tenderer, tongjiang_staff, at(2026, 10, 20, 9, 30))
    bidder = make_user("bidder", "511900")
    with time_machine.travel(at(2026, 10, 10, 23, 59), tick=False):
        objection = actions.raise_objection(actor=bidder, tender_id=tender.pk, text="技术参数有倾向性")
    # Raised on 10 Oct: the answer is due within 3 days, by the end of 13 Oct.
    assert objection.answer_due == at(2026, 10, 14, 0, 0)
    # 00:00 of 11 Oct is 24:00 of 10 Oct (docs/legal-periods.md): the first instant past it is too late.
    with time_machine.travel(at(2026, 10, 11, 0, 0, 1), tick=False), pytest.raises(DomainError) as info:
        actions.raise_objection(actor=bidder, tender_id=tender.pk, text="太晚了")
    assert info.value.code == "objection_too_late"
    assert "第二十二条" in str(info.value.message)
    assert tender.objections.count() == 1


def test_an_objection_answer_due_date_skips_national_day(tongjiang_tenderer, tongjiang_staff, make_user):
    tender = _published(tongjiang_tenderer, tongjiang_staff, at(2026, 10, 30, 9, 30))
    with time_machine.travel(at(2026, 9, 28, 10, 0), tick=False):  # day 3 is 1 Oct: due by the end of 8 Oct
        objection = actions.raise_objection(actor=make_user("bidder"), tender_id=tender.pk, text="异议")
    assert objection.answer_due == at(2026, 10, 9, 0, 0)


def test_an_unanswered_objection_pauses_the_tender_until_answered(client, tongjiang_tenderer, tongjiang_staff,
                                                                  make_user):
    tender = _published(tongjiang_tenderer, tongjiang_staff, at(2026, 10, 20, 9, 30))
    with time_machine.travel(at(2026, 9, 20, 10, 0), tick=False):
        objection = actions.raise_objection(actor=make_user("bidder"), tender_id=tender.pk, text="异议")
        assert "暂停" in client.get(f"/tenders/{tender.pk}/").content.decode()
        actions.answer_objection(actor=tongjiang_tenderer, objection_id=objection.pk, answer="已澄清")
        assert "暂停" not in client.get(f"/tenders/{tender.pk}/").content.decode()
    entry = Entry.objects.filter(action="tender.objection_answered").get()
    assert '"late":false' in entry.payload


def test_a_year_without_a_loaded_calendar_counts_weekends_and_warns_staff(client, tongjiang_tenderer, tongjiang_staff):
    # 2027 is not in the calendar table yet: only weekends are rest days, and staff are told.
    with time_machine.travel(at(2027, 1, 4, 9, 0), tick=False):
        tender = make_tender(tongjiang_tenderer, "511921", documents_from=at(2027, 1, 5, 9, 0),
                             documents_until=at(2027, 1, 12), bid_deadline=at(2027, 1, 25, 9, 30))
        actions.submit_tender(actor=tongjiang_tenderer, tender_id=tender.pk)
        client.force_login(tongjiang_staff)
        body = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert "2027" in body and "节假日安排尚未录入" in body
