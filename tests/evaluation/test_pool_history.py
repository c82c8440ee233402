"""An expert's history of draws, attendance and declines, without unsealing a draw under way: staff
see a seat once the expert checked in or the draw's secrets are revealed; regulators read them all."""

import re

import pytest
from django.utils import timezone

from evaluation.actions import pool as actions
from evaluation.demo import id_number
from evaluation.models import Draw, DrawRequirement, Seat
from tests.factories import make_tender


@pytest.fixture
def history(city_staff, specialties, make_user):
    """One expert of 通江县 drawn four times. The seats are written here as the draw engineer's actions
    would leave them (this page only reads them)."""
    expert = actions.create_expert(actor=city_staff, data={
        "name": "张建国", "id_number": id_number(31, "511921"), "phone": "13900000031", "region": "511921",
        "specialties": ["ENG-BLD"]})
    owner = make_user("tenderer", "511921")
    now = timezone.now()
    seats = {}
    for key, draw_status, seat_status, checked_in in [
        ("declined_under_way", Draw.Status.DRAWN, Seat.Status.DECLINED, False),
        ("revealed", Draw.Status.REVEALED, Seat.Status.ACCEPTED, True),
        ("checked_in", Draw.Status.COMPLETE, Seat.Status.ACCEPTED, True),
        ("notified_under_way", Draw.Status.DRAWN, Seat.Status.NOTIFIED, False),
    ]:
        tender = make_tender(owner, title=f"标段{key}")
        draw = Draw.objects.create(tender=tender, status=draw_status, committee_size=5, requested_by=city_staff,
                                   requested_at=now)
        requirement = DrawRequirement.objects.create(draw=draw, specialty=specialties["ENG-BLD"], count=5)
        seats[key] = Seat.objects.create(draw=draw, requirement=requirement, expert=expert, counter=0,
                                         status=seat_status, notified_at=now,
                                         checked_in_at=now if checked_in else None)
    return expert, seats


def _counts(page):
    return re.search(r'<p id="history-counts">(.*?)</p>', page).group(1)


def test_staff_see_only_unsealed_seats(client, city_staff, history):
    expert, seats = history
    client.force_login(city_staff)
    page = client.get(f"/evaluation/experts/{expert.pk}/").content.decode()
    assert _counts(page) == "抽中 2 · 已接受 2 · 已拒绝 0 · 超时未答复 0 · 申请回避 0 · 签到出席 2"
    for key in ("revealed", "checked_in"):
        assert seats[key].draw.tender.code in page
    for key in ("declined_under_way", "notified_under_way"):
        assert seats[key].draw.tender.code not in page


def test_regulators_read_the_whole_history(client, tongjiang_regulator, history):
    expert, seats = history
    client.force_login(tongjiang_regulator)
    page = client.get(f"/evaluation/experts/{expert.pk}/").content.decode()
    assert _counts(page) == "抽中 4 · 已接受 2 · 已拒绝 1 · 超时未答复 0 · 申请回避 0 · 签到出席 2"
    assert all(seat.draw.tender.code in page for seat in seats.values())
