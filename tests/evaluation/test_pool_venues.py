"""Venues: staff of a region keep its evaluation rooms (city staff: every region); regulators read."""

import pytest

from accounts.errors import Forbidden
from evaluation.actions import pool as actions
from evaluation.models import Venue
from ledger.models import Entry

ROOM = {"name": "通江县评标室一", "region": "511921", "address": "诺江镇", "seats": "9", "active": "on"}


def _snapshot():
    return list(Venue.objects.order_by("pk").values()), Entry.objects.count()


@pytest.fixture
def room(tongjiang_staff):
    return actions.create_venue(actor=tongjiang_staff, data={**ROOM, "seats": 9, "active": True})


def test_county_staff_add_a_venue_of_their_county(client, tongjiang_staff):
    client.force_login(tongjiang_staff)
    response = client.post("/evaluation/experts/venues/", ROOM)
    assert response.status_code == 302
    venue = Venue.objects.get()
    assert (venue.name, venue.region.code, venue.address, venue.seats, venue.active) == (
        "通江县评标室一", "511921", "诺江镇", 9, True)
    assert Entry.objects.latest("seq").action == "venue.created"


def test_county_staff_cannot_add_or_edit_a_venue_of_another_county(client, nanjiang_staff, room):
    client.force_login(nanjiang_staff)
    before = _snapshot()
    page = client.post("/evaluation/experts/venues/", ROOM).content.decode()
    assert "通江县评标室一" not in page.split("<h2>")[0]  # not even listed: outside the scope
    assert client.get(f"/evaluation/experts/venues/{room.pk}/edit/").status_code == 403
    assert client.post(f"/evaluation/experts/venues/{room.pk}/edit/", {**ROOM, "seats": "3"}).status_code == 403
    with pytest.raises(Forbidden):
        actions.create_venue(actor=nanjiang_staff, data={**ROOM, "seats": 9})
    assert _snapshot() == before


def test_city_staff_edit_any_venue(client, city_staff, room):
    client.force_login(city_staff)
    response = client.post(f"/evaluation/experts/venues/{room.pk}/edit/", {**ROOM, "seats": "11", "active": ""})
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.seats, room.active) == (11, False)


def test_regulators_read_the_venues_but_cannot_write(client, city_regulator, room):
    client.force_login(city_regulator)
    before = _snapshot()
    page = client.get("/evaluation/experts/venues/")
    assert page.status_code == 200 and "通江县评标室一" in page.content.decode()
    assert "新增评标场地" not in page.content.decode()
    assert client.post("/evaluation/experts/venues/", {**ROOM, "name": "另一间"}).status_code == 403
    assert client.post(f"/evaluation/experts/venues/{room.pk}/edit/", ROOM).status_code == 403
    assert _snapshot() == before


def test_seats_must_be_a_positive_number(client, tongjiang_staff):
    client.force_login(tongjiang_staff)
    with pytest.raises(actions.DomainError) as info:
        actions.create_venue(actor=tongjiang_staff, data={**ROOM, "seats": 0})
    assert info.value.code == "invalid_seats"
    assert client.post("/evaluation/experts/venues/", {**ROOM, "seats": "0"}).status_code == 200
    assert Venue.objects.count() == 0
