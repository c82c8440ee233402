"""Each period at its boundary, counted on a calendar of weekends and the statutory holidays only (2027
has no announced arrangement: the floor counts, trading/calendar.py). Spring Festival 2027: 除夕 Fri
Feb 5 to Mon Feb 8 are rest days. Instants are Beijing time."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.errors import DomainError
from trading.award import periods
from trading.calendar import Calendar

BJ = ZoneInfo("Asia/Shanghai")
CAL = Calendar(overrides={}, loaded_years=())


def at(day, hour=0, minute=0, second=0):
    return datetime.datetime(2027, *day, hour, minute, second, tzinfo=BJ)


class Pub:
    def __init__(self, starts, ends):
        self.starts, self.ends = starts, ends


class Obj:
    def __init__(self, answered_at=None, answer_due=None):
        self.answered_at, self.answer_due = answered_at, answer_due


# --- bidding law (招标投标法, 实施条例) ---------------------------------------------------------


def test_the_3_days_to_publish_move_past_the_spring_festival():
    # Received Tue Feb 2: day 3 is Fri Feb 5 (除夕), rest to Mon Feb 8: the last day is Tue Feb 9.
    assert periods.publish_last_day(at((2, 2), 10), CAL) == datetime.date(2027, 2, 9)
    assert periods.publish_due(at((2, 2), 10), CAL) == at((2, 10))
    # Without a holiday: received Tue Jan 12, the last day is Fri Jan 15.
    assert periods.publish_due(at((1, 12), 10), CAL) == at((1, 16))


def test_a_report_received_at_midnight_counts_from_the_day_before():
    assert periods.publish_due(at((2, 3), 0), CAL) == periods.publish_due(at((2, 2), 23, 59, 59), CAL)


def test_the_publicity_lasts_at_least_3_days_to_2400_of_its_last_day():
    starts = at((2, 3), 9)  # Wed: day 3 is Sat Feb 6, rest to Mon Feb 8
    assert periods.min_publicity_end(starts, CAL) == at((2, 10))
    periods.check_publicity_period(starts, at((2, 10)), CAL)
    with pytest.raises(DomainError) as exc:
        periods.check_publicity_period(starts, at((2, 9), 23, 59, 59), CAL)
    assert exc.value.code == "publicity_too_short"
    assert "第五十四条" in str(exc.value.message) and "2027-02-09" in str(exc.value.message)


def test_objections_are_raised_until_the_last_instant_of_the_publicity():
    publicity = Pub(at((2, 3), 9), at((2, 10)))
    periods.check_objection_in_time(at((2, 10)), publicity, category="works", calendar=CAL)
    with pytest.raises(DomainError) as exc:
        periods.check_objection_in_time(at((2, 10), 0, 0, 1), publicity, category="works", calendar=CAL)
    assert exc.value.code == "objection_too_late" and "第五十四条" in str(exc.value.message)
    with pytest.raises(DomainError) as exc:
        periods.check_objection_in_time(at((2, 3), 8, 59), publicity, category="works", calendar=CAL)
    assert exc.value.code == "publicity_not_started"


def test_the_answer_is_due_3_days_after_the_objection_past_the_holiday():
    # Raised Thu Feb 4: day 3 is Sun Feb 7, rest to Mon Feb 8: the last day is Tue Feb 9.
    assert periods.objection_answer_due(at((2, 4), 10), category="works", calendar=CAL) == at((2, 10))
    assert periods.objection_answer_due(at((1, 12), 10), category="works", calendar=CAL) == at((1, 16))


def test_a_complaint_within_10_days_of_the_answer():
    objection = Obj(answered_at=at((1, 27), 10))  # Wed: day 10 is Sat Feb 6, rest to Mon Feb 8 → Tue Feb 9
    assert periods.complaint_last_day(objection, category="works", calendar=CAL) == datetime.date(2027, 2, 9)
    periods.check_complaint_in_time(at((2, 10)), objection, category="works", calendar=CAL)  # 24:00 of Feb 9
    with pytest.raises(DomainError) as exc:
        periods.check_complaint_in_time(at((2, 10), 0, 0, 1), objection, category="works", calendar=CAL)
    assert exc.value.code == "complaint_too_late" and "第六十条" in str(exc.value.message)


def test_no_complaint_before_the_answer_or_its_due_date():
    objection = Obj(answer_due=at((2, 10)))
    with pytest.raises(DomainError) as exc:
        periods.check_complaint_in_time(at((2, 9), 23, 59, 59), objection, category="works", calendar=CAL)
    assert exc.value.code == "objection_pending"
    # Unanswered at its due date: the 10 days run from then (Feb 9 + 10 = Fri Feb 19).
    periods.check_complaint_in_time(at((2, 10), 0, 0, 1), objection, category="works", calendar=CAL)
    assert periods.complaint_last_day(objection, category="works", calendar=CAL) == datetime.date(2027, 2, 19)


def test_the_decision_is_due_in_30_working_days():
    # Filed Mon Feb 1: Feb 2-4 (3), Feb 5-8 rest, Feb 9-12 (7), then 4 full weeks (27), Mar 15-17 (30).
    assert periods.decision_due(at((2, 1), 10), CAL) == at((3, 18))


def test_contract_in_30_days_and_report_in_15_days_of_the_award():
    # Confirmed Wed Jan 6: day 30 is Fri Feb 5, rest to Mon Feb 8 → Tue Feb 9.
    assert periods.contract_due(at((1, 6), 10), CAL) == at((2, 10))
    # Confirmed Thu Jan 21: day 15 is Fri Feb 5 → Tue Feb 9.
    assert periods.report_due(at((1, 21), 10), category="works", calendar=CAL) == at((2, 10))
    assert periods.report_due(at((1, 20), 10), category="works", calendar=CAL) == at((2, 5))


# --- procurement (政府采购法) -------------------------------------------------------------------


def test_a_challenge_within_7_working_days_of_the_announcement():
    # Announced Mon Feb 1: Feb 2-4 (3), Feb 9-12 (7): the last day is Fri Feb 12, even after the publicity.
    publicity = Pub(at((2, 1), 9), at((2, 4)))
    assert periods.objection_last_day(publicity, category="procurement", calendar=CAL) == datetime.date(2027, 2, 12)
    periods.check_objection_in_time(at((2, 13)), publicity, category="procurement", calendar=CAL)
    with pytest.raises(DomainError) as exc:
        periods.check_objection_in_time(at((2, 13), 0, 0, 1), publicity, category="procurement", calendar=CAL)
    assert exc.value.code == "objection_too_late" and "第五十二条" in str(exc.value.message)


def test_a_challenge_is_answered_in_7_working_days():
    assert periods.objection_answer_due(at((2, 1), 10), category="procurement", calendar=CAL) == at((2, 13))


def test_a_procurement_complaint_within_15_working_days_of_the_answer():
    # Answered Mon Feb 1: Feb 2-4 (3), Feb 9-12 (7), Feb 15-19 (12), Feb 22-24 (15).
    objection = Obj(answered_at=at((2, 1), 10))
    assert periods.complaint_last_day(objection, category="procurement", calendar=CAL) == datetime.date(2027, 2, 24)
    periods.check_complaint_in_time(at((2, 25)), objection, category="procurement", calendar=CAL)
    with pytest.raises(DomainError) as exc:
        periods.check_complaint_in_time(at((2, 25), 0, 0, 1), objection, category="procurement", calendar=CAL)
    assert "第五十五条" in str(exc.value.message)


def test_procurement_files_the_contract_in_7_working_days_of_its_signature():
    assert periods.report_due(at((2, 1), 10), category="procurement", calendar=CAL) is None
    assert periods.filing_due(at((2, 1), 10), CAL) == at((2, 13))
    assert periods.contract_due(at((1, 6), 10), CAL) == at((2, 10))
