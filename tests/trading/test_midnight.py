"""One reading of midnight for every period (民法典 art. 203; docs/legal-periods.md): the instant 00:00 of
day D is 24:00 of D-1 and belongs to D-1 (`rules.day_of`). So 00:00 of D and 23:59:59 of D-1 give the same
outcome in the documents window, the bid deadline and an amendment, and 00:00:01 of D does not."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.errors import DomainError
from tests.factories import make_tender, tender_terms
from trading import actions, rules

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


NOW = at(2026, 9, 1, 9, 0)  # a Tuesday
SECOND = datetime.timedelta(seconds=1)


def test_day_of_reads_midnight_as_the_end_of_the_day_before():
    assert rules.day_of(at(2026, 9, 3, 0, 0)) == datetime.date(2026, 9, 2)
    assert rules.day_of(at(2026, 9, 2, 23, 59, 59)) == datetime.date(2026, 9, 2)
    assert rules.day_of(at(2026, 9, 3, 0, 0, 0, 1)) == datetime.date(2026, 9, 3)
    # Read in Beijing time whatever the offset it comes with: 16:00 UTC is 00:00 in Beijing.
    assert rules.day_of(datetime.datetime(2026, 9, 2, 16, 0, tzinfo=datetime.UTC)) == datetime.date(2026, 9, 2)


def _outcome(owner, **terms):
    """The code a tender with these terms is refused with, or "ok"."""
    project = actions.create_project(actor=owner, name="项目", region_code="511921", category="works")
    try:
        actions.create_tender(actor=owner, project_id=project.pk, **tender_terms(NOW, **terms))
    except DomainError as exc:
        return exc.code
    return "ok"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("start", [at(2026, 9, 3, 0, 0), at(2026, 9, 2, 23, 59, 59)])
def test_documents_from_midnight_count_as_the_day_before(tongjiang_tenderer, start):
    # Both starts belong to Wed 2 Sep: the 5 days are 3 to 7 Sep, the window lasts to 24:00 of Mon 7 Sep.
    deadline = at(2026, 10, 20, 9, 30)
    assert _outcome(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 7, 23, 59, 59),
                    bid_deadline=deadline) == "documents_window_too_short"
    assert _outcome(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 8),
                    bid_deadline=deadline) == "ok"


@time_machine.travel(NOW, tick=False)
def test_documents_from_one_second_after_midnight_count_from_that_day(tongjiang_tenderer):
    assert _outcome(tongjiang_tenderer, documents_from=at(2026, 9, 3, 0, 0, 1), documents_until=at(2026, 9, 8),
                    bid_deadline=at(2026, 10, 20, 9, 30)) == "documents_window_too_short"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("deadline", [at(2026, 9, 28, 0, 0), at(2026, 9, 27, 23, 59, 59)])
def test_a_bid_deadline_at_midnight_belongs_to_the_day_before(tongjiang_tenderer, deadline):
    # From Tue 8 Sep: day 20 is Mon 28 Sep. 00:00 of 28 Sep is 24:00 of 27 Sep: one day short.
    start = at(2026, 9, 8, 10, 0)
    assert _outcome(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 15),
                    bid_deadline=deadline) == "bidding_period_too_short"
    assert _outcome(tongjiang_tenderer, documents_from=start, documents_until=at(2026, 9, 15),
                    bid_deadline=at(2026, 9, 28, 0, 0, 1)) == "ok"


@time_machine.travel(NOW, tick=False)
def test_the_twenty_days_start_from_the_day_midnight_belongs_to(tongjiang_tenderer):
    # Documents from 00:00 of 9 Sep (24:00 of 8 Sep): day 20 is 28 Sep; one second later, 29 Sep.
    deadline = at(2026, 9, 28, 9, 30)
    assert _outcome(tongjiang_tenderer, documents_from=at(2026, 9, 9), documents_until=at(2026, 9, 15),
                    bid_deadline=deadline) == "ok"
    assert _outcome(tongjiang_tenderer, documents_from=at(2026, 9, 9, 0, 0, 1), documents_until=at(2026, 9, 15),
                    bid_deadline=deadline) == "bidding_period_too_short"


def _published(owner, staff, deadline):
    with time_machine.travel(NOW, tick=False):
        return make_tender(owner, "511921", publish_by=staff, documents_from=at(2026, 9, 2, 9, 0),
                           documents_until=at(2026, 9, 10), bid_deadline=deadline)


def _amend(owner, tender, issued_at):
    with time_machine.travel(issued_at, tick=False):
        amendment = actions.issue_amendment(actor=owner, tender_id=tender.pk, kind="amendment", text="修改",
                                            affects_bids=True)
    return amendment.new_deadline


@pytest.mark.parametrize("issued_at", [at(2026, 10, 6, 0, 0), at(2026, 10, 5, 23, 59, 59)])
def test_an_amendment_issued_at_midnight_counts_from_the_day_before(tongjiang_tenderer, tongjiang_staff, issued_at):
    # Both belong to 5 Oct: day 15 is 20 Oct, the deadline's own day, so it stays.
    tender = _published(tongjiang_tenderer, tongjiang_staff, at(2026, 10, 20, 9, 30))
    assert _amend(tongjiang_tenderer, tender, issued_at) is None


def test_an_amendment_one_second_after_midnight_moves_the_deadline(tongjiang_tenderer, tongjiang_staff):
    tender = _published(tongjiang_tenderer, tongjiang_staff, at(2026, 10, 20, 9, 30))
    assert _amend(tongjiang_tenderer, tender, at(2026, 10, 6, 0, 0, 1)) == at(2026, 10, 21, 9, 30)


def test_a_deadline_at_midnight_is_read_and_moved_as_24_00(tongjiang_tenderer, tongjiang_staff):
    # A deadline at 00:00 of 21 Oct is 24:00 of 20 Oct: enough for an amendment of 5 Oct, not of 6 Oct,
    # which moves it to 24:00 of 21 Oct (not to 00:00 of 21 Oct, which is still 20 Oct).
    tender = _published(tongjiang_tenderer, tongjiang_staff, at(2026, 10, 21, 0, 0))
    assert _amend(tongjiang_tenderer, tender, at(2026, 10, 5, 23, 59, 59)) is None
    assert _amend(tongjiang_tenderer, tender, at(2026, 10, 6, 0, 0, 1)) == at(2026, 10, 22, 0, 0)
    tender.refresh_from_db()
    assert tender.bid_deadline == at(2026, 10, 22, 0, 0)
