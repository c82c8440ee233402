"""Milestone states come from the trading log and the clock (clock frozen around each target, a
holiday included): on track → at risk → overdue, and met (or met late) once the stage's entry arrives."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from trading import actions
from trading.green import milestones as ms
from trading.models import CalendarDay, Milestone

from .green_world import approved, log_stage, state, submitted_tender

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


MONDAY = at(2026, 9, 14, 9, 0)  # Tue 15 Sep is made a holiday below


@pytest.fixture
def world(make_user, tongjiang_tenderer, settings):
    settings.GREEN_CHANNEL_AT_RISK_DAYS = 0  # at risk only on the target day: each step is visible
    CalendarDay.objects.update_or_create(date=datetime.date(2026, 9, 15),
                                         defaults={"is_workday": False, "name": "测试假日"})
    staff = make_user("staff", "511921", username="tj_staff")
    officer = make_user("staff", "511921", username="tj_officer")
    deputy = make_user("staff", "511900", username="city_deputy")
    with time_machine.travel(MONDAY, tick=False):
        tender = submitted_tender(tongjiang_tenderer)
        request = approved(tongjiang_tenderer, staff, officer, deputy, tender.project)
    return {"tender": tender, "request": request, "staff": staff, "owner": tongjiang_tenderer}


def test_the_plan_counts_working_days_on_the_holiday_calendar(world):
    rows = {m.kind: m for m in Milestone.objects.filter(request=world["request"])}
    # Submitted Monday; 1 working day of review skips the Tuesday holiday: Wednesday. Ordinary: 3 → Friday.
    assert rows["document_review"].target == datetime.date(2026, 9, 16)
    assert rows["document_review"].ordinary_target == datetime.date(2026, 9, 18)
    assert rows["publication"].target == datetime.date(2026, 9, 16)
    # The opening is the tender's own deadline (Mon + 30 days), never earlier: 14 Oct.
    assert rows["opening"].target == datetime.date(2026, 10, 14)
    assert rows["draw"].target == datetime.date(2026, 10, 15)
    assert rows["evaluation"].target == datetime.date(2026, 10, 19)  # Thu + 2 working days over a weekend
    assert [m.kind for m in Milestone.objects.filter(request=world["request"]).order_by("position")] == [
        "document_review", "publication", "opening", "draw", "evaluation", "candidate_publicity", "award"]


def test_review_goes_on_track_at_risk_overdue_then_met_late(world):
    request, tender = world["request"], world["tender"]
    with time_machine.travel(at(2026, 9, 14, 18, 0), tick=False):
        assert state(request, tender, "document_review") == ms.ON_TRACK
    with time_machine.travel(at(2026, 9, 15, 12, 0), tick=False):  # the holiday: still a working day to go
        assert state(request, tender, "document_review") == ms.ON_TRACK
    with time_machine.travel(at(2026, 9, 16, 23, 59, 59), tick=False):
        assert state(request, tender, "document_review") == ms.AT_RISK
    with time_machine.travel(at(2026, 9, 17, 0, 0), tick=False):
        assert state(request, tender, "document_review") == ms.OVERDUE
        assert state(request, tender, "publication") == ms.OVERDUE
        actions.approve_tender(actor=world["staff"], tender_id=tender.pk)
        assert state(request, tender, "document_review") == ms.LATE
        assert state(request, tender, "publication") == ms.LATE


def test_review_met_on_the_last_minute_of_the_target_day(world):
    request, tender = world["request"], world["tender"]
    with time_machine.travel(at(2026, 9, 16, 23, 59), tick=False):
        actions.approve_tender(actor=world["staff"], tender_id=tender.pk)
    with time_machine.travel(at(2026, 9, 30, 9, 0), tick=False):
        assert state(request, tender, "document_review") == ms.MET
        assert state(request, tender, "publication") == ms.MET


def test_a_returned_tender_ends_the_review_but_not_the_publication(world):
    request, tender = world["request"], world["tender"]
    with time_machine.travel(at(2026, 9, 16, 10, 0), tick=False):
        actions.return_tender(actor=world["staff"], tender_id=tender.pk, reason="请补充资格条件")
    with time_machine.travel(at(2026, 9, 17, 10, 0), tick=False):
        assert state(request, tender, "document_review") == ms.MET
        assert state(request, tender, "publication") == ms.OVERDUE


def test_later_stages_follow_their_log_entries(world, settings):
    settings.GREEN_CHANNEL_AT_RISK_DAYS = 1
    request, tender = world["request"], world["tender"]
    with time_machine.travel(at(2026, 10, 13, 10, 0), tick=False):  # draw due Thu 15 Oct: 2 working days
        assert state(request, tender, "draw") == ms.ON_TRACK
        assert state(request, tender, "candidate_publicity") == ms.ON_TRACK
        assert state(request, tender, "award") == ms.ON_TRACK
    with time_machine.travel(at(2026, 10, 14, 10, 0), tick=False):
        assert state(request, tender, "opening") == ms.AT_RISK
        assert state(request, tender, "draw") == ms.AT_RISK
        log_stage(tender, "opening.closed")
        assert state(request, tender, "opening") == ms.MET
    with time_machine.travel(at(2026, 10, 16, 0, 0, 1), tick=False):
        assert state(request, tender, "draw") == ms.OVERDUE
        log_stage(tender, "draw.complete", draw=1)
        assert state(request, tender, "draw") == ms.LATE
        assert state(request, tender, "evaluation") == ms.AT_RISK  # due Mon 19: one working day left
        log_stage(tender, "evaluation.closed", session=1)
        assert state(request, tender, "evaluation") == ms.MET
        assert state(request, tender, "candidate_publicity") == ms.ON_TRACK
        log_stage(tender, "publicity.published")
        assert state(request, tender, "candidate_publicity") == ms.MET
        log_stage(tender, "award.confirmed")
        assert state(request, tender, "award") == ms.MET


def test_only_the_log_counts_not_a_stored_field(world):
    request, tender = world["request"], world["tender"]
    # A tender marked published by hand, without its log entry, does not meet the milestone.
    type(tender).objects.filter(pk=tender.pk).update(status="published")
    with time_machine.travel(at(2026, 9, 17, 10, 0), tick=False):
        assert state(request, tender, "publication") == ms.OVERDUE
