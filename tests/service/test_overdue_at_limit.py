"""A step becomes overdue exactly at its limit: working days on the holiday calendar, 24:00 of the last day
(00:00 of the next day is still that day, docs/legal-periods.md); green-channel limits only for green
channel tenders."""

import time_machine
from django.core.management import call_command

from ledger.models import Entry
from service import steps
from service.actions import scan_overdue
from service.models import OverdueItem
from tests.factories import make_tender
from tests.trading.green_world import approved
from trading import actions

from .conftest import MONDAY, at

# Submitted Monday 14 Sep 09:00; Tuesday is a holiday; 2 working days: Wed 16, Thu 17 → due 24:00 Thu.
DUE = at(2026, 9, 18, 0, 0)
ONE_SECOND_LATER = at(2026, 9, 18, 0, 0, 1)


def _submitted(owner):
    with time_machine.travel(MONDAY, tick=False):
        tender = make_tender(owner)
        actions.submit_tender(actor=owner, tender_id=tender.pk)
    return tender


def test_a_review_is_overdue_from_the_instant_after_24_00_of_its_last_working_day(
        holiday, tongjiang_tenderer, settings):
    settings.SERVICE_LIMITS = {"review": 2}
    tender = _submitted(tongjiang_tenderer)
    [inst] = [i for i in steps.for_tender(tender) if i.step == "review"]
    assert inst.due == DUE
    with time_machine.travel(DUE, tick=False):
        assert inst.state(DUE) == steps.PENDING
        assert scan_overdue()["review"] == []
    assert not OverdueItem.objects.exists()
    with time_machine.travel(ONE_SECOND_LATER, tick=False):
        [item] = scan_overdue()["review"]
        assert scan_overdue()["review"] == []  # rerun-safe: once only
    assert (item.step, item.tender_id, item.due, item.closed_at, item.green) == ("review", tender.pk, DUE, None, False)
    assert item.region.code == "511921"
    found = Entry.objects.get(action="service.overdue_found")
    assert (found.tender_ref, found.region_code) == (tender.code, "511921")


def test_a_review_done_at_24_00_is_on_time_and_one_second_later_is_late(
        holiday, tongjiang_tenderer, tongjiang_staff, settings):
    settings.SERVICE_LIMITS = {"review": 2}
    on_time, late = _submitted(tongjiang_tenderer), _submitted(tongjiang_tenderer)
    with time_machine.travel(DUE, tick=False):
        actions.return_tender(actor=tongjiang_staff, tender_id=on_time.pk, reason="请补充资格条件")
    with time_machine.travel(ONE_SECOND_LATER, tick=False):
        actions.return_tender(actor=tongjiang_staff, tender_id=late.pk, reason="请补充资格条件")
    with time_machine.travel(at(2026, 9, 21, 9, 0), tick=False):
        items = scan_overdue()["review"]
    assert [i.tender_id for i in items] == [late.pk]
    assert [i.state(at(2026, 9, 21)) for i in steps.for_tender(on_time) if i.step == "review"] == [steps.ON_TIME]


def test_without_the_holiday_the_same_limit_ends_a_day_earlier(tongjiang_tenderer, settings, db):
    settings.SERVICE_LIMITS = {"review": 2}
    tender = _submitted(tongjiang_tenderer)
    [inst] = [i for i in steps.for_tender(tender) if i.step == "review"]
    assert inst.due == at(2026, 9, 17, 0, 0)


def test_green_channel_limits_apply_to_green_channel_tenders_only(
        holiday, tongjiang_tenderer, nanjiang_tenderer, tongjiang_staff, make_user, settings):
    settings.SERVICE_LIMITS = {"review": 2}
    settings.SERVICE_GREEN_LIMITS = {"review": 1}
    green_tender = _submitted(tongjiang_tenderer)
    ordinary = _submitted(nanjiang_tenderer)
    officer, deputy = make_user("staff", "511921"), make_user("staff", "511900")
    with time_machine.travel(MONDAY, tick=False):
        approved(tongjiang_tenderer, tongjiang_staff, officer, deputy, green_tender.project)
    # Green: 1 working day (Wed 16) → due 24:00 Wed; ordinary: still 24:00 Thu.
    with time_machine.travel(at(2026, 9, 17, 0, 0, 1), tick=False):
        items = scan_overdue()["review"]
    assert [(i.tender_id, i.green, i.due) for i in items] == [(green_tender.pk, True, at(2026, 9, 17, 0, 0))]
    with time_machine.travel(ONE_SECOND_LATER, tick=False):
        assert [i.tender_id for i in scan_overdue()["review"]] == [ordinary.pk]


def test_a_cancelled_step_is_never_overdue(holiday, tongjiang_tenderer, settings):
    from tests.trading.green_world import log_stage

    settings.SERVICE_LIMITS = {"draw": 1}
    tender = make_tender(tongjiang_tenderer, "511921")
    with time_machine.travel(MONDAY, tick=False):
        log_stage(tender, "opening.closed")
        log_stage(tender, "tender.failed", reason="fewer_than_three_bids")
    with time_machine.travel(at(2026, 10, 1, 9, 0), tick=False):
        assert scan_overdue()["draw"] == []


def test_the_draw_and_the_report_are_measured_from_the_log(holiday, tongjiang_tenderer, settings):
    from tests.trading.green_world import log_stage

    settings.SERVICE_LIMITS = {"draw": 1, "report": 0}
    tender = make_tender(tongjiang_tenderer, "511921")
    with time_machine.travel(MONDAY, tick=False):
        log_stage(tender, "opening.closed")
        log_stage(tender, "evaluation.ranked")
    with time_machine.travel(at(2026, 9, 16, 0, 0, 1), tick=False):  # report: same day, 24:00 Monday
        assert [i.step for i in scan_overdue()["report"]] == ["report"]
    with time_machine.travel(at(2026, 9, 16, 10, 0), tick=False):
        log_stage(tender, "draw.requested")  # Wed: the first working day after Monday, on time
    with time_machine.travel(at(2026, 9, 30, 0, 0), tick=False):
        assert scan_overdue()["draw"] == []


def test_a_draw_requested_before_the_opening_closes_is_never_overdue(holiday, tongjiang_tenderer, settings):
    from tests.trading.green_world import log_stage

    settings.SERVICE_LIMITS = {"draw": 1}
    tender = make_tender(tongjiang_tenderer, "511921")
    with time_machine.travel(MONDAY, tick=False):
        log_stage(tender, "draw.requested")
        log_stage(tender, "opening.closed")
    with time_machine.travel(at(2026, 10, 1, 9, 0), tick=False):
        assert scan_overdue()["draw"] == []
        assert [i.state(at(2026, 10, 1)) for i in steps.for_tender(tender)] == [steps.ON_TIME]


def test_an_unanswered_green_channel_request_is_overdue_for_its_county(holiday, tongjiang_tenderer, settings):
    from tests.trading.green_world import request

    settings.SERVICE_LIMITS = {"green_answer": 1}
    project = make_tender(tongjiang_tenderer, "511921").project
    with time_machine.travel(MONDAY, tick=False):
        request(tongjiang_tenderer, project)
    with time_machine.travel(at(2026, 9, 17, 0, 0), tick=False):
        assert scan_overdue()["green_answer"] == []
    with time_machine.travel(at(2026, 9, 17, 0, 0, 1), tick=False):
        [item] = scan_overdue()["green_answer"]
    assert (item.tender, item.region.code, item.due) == (None, "511921", at(2026, 9, 17, 0, 0))


def test_the_command_prints_a_line_per_step(holiday, tongjiang_tenderer, settings, capsys):
    settings.SERVICE_LIMITS = {"review": 2}
    _submitted(tongjiang_tenderer)
    with time_machine.travel(ONE_SECOND_LATER, tick=False):
        call_command("scan_overdue")
    lines = capsys.readouterr().out.splitlines()
    assert "review: 1 new, 1 open" in lines
    assert "draw: 0 new, 0 open" in lines and len(lines) == 5


def test_the_scan_is_a_registered_task(holiday, tongjiang_tenderer, settings):
    from accounts.background import task_named

    settings.SERVICE_LIMITS = {"review": 2}
    _submitted(tongjiang_tenderer)
    with time_machine.travel(ONE_SECOND_LATER, tick=False):
        assert task_named("service.scan_overdue").call() == 1
    assert OverdueItem.objects.get().step == "review"
