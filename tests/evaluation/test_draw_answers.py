"""Drawn experts answer with their one-time code: acceptance completes the committee; a decline or a
missed deadline draws a replacement by the same procedure, from the same seed."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from accounts import sms
from accounts.errors import DomainError, NotFound
from evaluation import draw as procedure
from evaluation.actions import draw as actions
from evaluation.models import Draw, Seat
from evaluation.tasks import expire_unanswered_task, produce_draw_record_task
from ledger.models import Entry
from records.models import Record
from tests.evaluation.draw_setup import draw_entries, drawn, texted_codes


@pytest.fixture
def scene(opened_tender, expert_pool):
    expert_pool(11)
    return opened_tender


def _answer(seat, codes, accept=True, **kwargs):
    return actions.respond_to_seat(seat_id=seat.pk, code=codes[seat.pk], accept=accept, **kwargs)


def test_when_every_seat_accepts_the_committee_is_complete(scene, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seats = list(draw.seats.order_by("counter"))
    for seat in seats[:4]:
        assert _answer(seat, codes).status == Seat.Status.ACCEPTED
    assert Draw.objects.get(pk=draw.pk).status == Draw.Status.DRAWN
    with django_capture_on_commit_callbacks(execute=True):
        _answer(seats[4], codes)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.COMPLETE
    actions_logged = [a for a, _p in draw_entries(draw)]
    assert actions_logged == ["draw.requested", "draw.regulator_committed", "draw.drawn", *["draw.seat_answered"] * 5,
                              "draw.complete"]
    assert draw_entries(draw)[3][1] == {"draw": draw.pk, "counter": 0, "answer": "accepted"}
    record = DBTaskResult.objects.get(task_path="evaluation.tasks.produce_draw_record_task")
    assert record.args_kwargs == {"args": [draw.pk, False], "kwargs": {}}
    record_id = produce_draw_record_task.call(draw.pk, False)
    assert Record.objects.get(pk=record_id).kind == Record.Kind.DRAW_RECORD
    with pytest.raises(DomainError) as caught:
        _answer(seats[0], codes, accept=False)
    assert caught.value.code == "already_answered"
    assert Seat.objects.get(pk=seats[0].pk).status == Seat.Status.ACCEPTED


def test_a_decline_draws_a_replacement_from_the_same_seed(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seats = list(draw.seats.order_by("counter"))
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        declined = _answer(seats[2], codes, accept=False, reason="身体原因")
    assert (declined.status, declined.decline_reason) == (Seat.Status.DECLINED, "身体原因")
    replacement = Seat.objects.get(replaces=declined)
    document = json.loads(draw.frozen_list)
    expected = procedure.pick(draw.seed, document, 0, 5, {s.expert_id for s in seats})
    assert (replacement.counter, replacement.expert_id, replacement.requirement_id) == (5, expected,
                                                                                        declined.requirement_id)
    assert list(texted_codes()) == [replacement.pk]
    assert sms.outbox[0][0] == replacement.expert.phone
    draw.refresh_from_db()
    assert (draw.next_counter, draw.status) == (6, Draw.Status.DRAWN)
    replaced = draw_entries(draw)[-1]
    assert replaced == ("draw.replacement_drawn", {
        "draw": draw.pk, "counter": 5, "requirement": 0, "replaces": 2, "respond_by": replacement.respond_by.isoformat(),
        "commitment": procedure.seat_commitment(draw.pk, 5, replacement.expert_id, replacement.nonce)})


def test_a_wrong_code_is_refused_and_the_attempts_are_bounded(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat = draw.seats.order_by("counter").first()
    wrong = f"{(int(codes[seat.pk]) + 1) % 10**6:06d}"
    for attempt in range(1, 6):
        with pytest.raises(DomainError) as caught:
            actions.respond_to_seat(seat_id=seat.pk, code=wrong, accept=True)
        assert (caught.value.code, str(caught.value.message)) == ("wrong_code", "验证码错误。")
        assert Seat.objects.get(pk=seat.pk).code_attempts == attempt
    with pytest.raises(DomainError) as caught:
        _answer(seat, codes)  # the right code, too late
    assert caught.value.code == "too_many_attempts"
    seat.refresh_from_db()
    assert (seat.status, seat.code_attempts) == (Seat.Status.NOTIFIED, 5)
    with pytest.raises(NotFound):
        actions.respond_to_seat(seat_id=999999, code="000000", accept=True)


def test_an_answer_after_the_deadline_is_refused_and_replaced(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat = draw.seats.order_by("counter").first()
    with time_machine.travel(seat.respond_by + datetime.timedelta(seconds=1)):
        with pytest.raises(DomainError) as caught:
            _answer(seat, codes)
    assert caught.value.code == "answer_too_late"
    # Every seat of the first round shared the deadline: all timed out, all replaced.
    statuses = list(draw.seats.order_by("counter").values_list("counter", "status", "replaces__counter"))
    assert statuses == [(i, "timed_out", None) for i in range(5)] + [(5 + i, "notified", i) for i in range(5)]
    timed_out = [p for a, p in draw_entries(draw) if a == "draw.seat_answered"]
    assert timed_out == [{"draw": draw.pk, "counter": i, "answer": "timed_out"} for i in range(5)]


def test_the_timeout_task_replaces_unanswered_seats(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seats = list(draw.seats.order_by("counter"))
    _answer(seats[0], codes)
    assert actions.expire_unanswered(draw.pk) == []  # not yet
    with time_machine.travel(seats[0].respond_by + datetime.timedelta(seconds=1)):
        result = expire_unanswered_task.call(draw.pk)
    assert result == [s.pk for s in seats[1:]]
    assert list(draw.seats.order_by("counter").values_list("status", flat=True)) == (
        ["accepted"] + ["timed_out"] * 4 + ["notified"] * 4)
    draw.refresh_from_db()
    assert draw.next_counter == 9


def test_when_no_candidate_is_left_the_draw_fails_with_the_reason(opened_tender, expert_pool,
                                                                  django_capture_on_commit_callbacks):
    expert_pool(5)
    draw, codes = drawn(opened_tender, django_capture_on_commit_callbacks)
    seat = draw.seats.first()
    _answer(seat, codes, accept=False)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.FAILED
    assert draw.failure_reason == "专业「工程类-房屋建筑」在「不分场地」的专家不足：需要 5 名，能确保可抽的候选人只有 0 名。"
    assert draw_entries(draw)[-1] == ("draw.failed", {"draw": draw.pk, "reason": "shortage", "requirement": 0})
    other = draw.seats.exclude(pk=seat.pk).first()
    with pytest.raises(DomainError) as caught:
        _answer(other, codes)
    assert caught.value.code == "already_answered"


def test_a_decline_reason_is_bounded(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    seat = draw.seats.first()
    head = Entry.objects.count()
    with pytest.raises(DomainError) as caught:
        _answer(seat, codes, accept=False, reason="很" * 201)
    assert caught.value.code == "reason_too_long"
    assert (Entry.objects.count(), Seat.objects.get(pk=seat.pk).status) == (head, "notified")
    assert timezone.now() < seat.respond_by
