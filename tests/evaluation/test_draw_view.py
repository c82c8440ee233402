"""What each person may see of a draw (evaluation.queries.draw_view): sealed identities until check-in."""

import pytest

from accounts.errors import NotFound
from evaluation import queries
from evaluation.actions import draw as actions
from evaluation.models import Expert, Seat
from tests.evaluation.draw_setup import close_evaluation, drawn, texted_codes
from tests.factories import make_user


@pytest.fixture
def scene(opened_tender, expert_pool):
    expert_pool(9)
    return opened_tender


def test_staff_see_counts_and_statuses_but_no_name_or_expert_id(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    first = draw.seats.order_by("counter").first()
    actions.respond_to_seat(seat_id=first.pk, code=codes[first.pk], accept=False)
    view = queries.draw_view(scene.host, draw)
    assert view["role"] == "staff"
    assert view["requirements"][0]["count"] == 5
    assert view["requirements"][0]["statuses"] == {"notified": 5, "accepted": 0, "declined": 1, "timed_out": 0,
                                                   "conflicted": 0}
    assert [(s["counter"], s["status"], s["replaces"]) for s in view["seats"]] == [
        (0, "declined", None), *[(i, "notified", None) for i in range(1, 5)], (5, "notified", 0)]
    assert all(set(s) == {"counter", "requirement", "status", "status_display", "respond_by", "replaces",
                          "checked_in"} for s in view["seats"])
    assert (view["candidates"], view["exclusions"], view["own_seat"]) == (9, [], None)
    text = repr(view)
    for expert in Expert.objects.filter(seats__draw=draw):
        assert expert.name not in text and expert.phone not in text


def test_staff_see_a_name_once_the_expert_checked_in_and_everyone_after_the_reveal(scene,
                                                                                  django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    from django.utils import timezone

    # Check-in belongs to the evaluation session (a later issue); its stamp is set here.
    Seat.objects.filter(draw=draw, counter=2).update(checked_in_at=timezone.now())
    seats = queries.draw_view(scene.host, draw)["seats"]
    seat = draw.seats.select_related("expert").get(counter=2)
    assert (seats[2]["name"], seats[2]["id_last4"]) == (seat.expert.name, seat.expert.id_number[-4:])
    assert "name" not in seats[0]


def test_regulators_read_the_names(scene, django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    view = queries.draw_view(scene.regulator, draw)
    expected = [(s.counter, s.expert.name, s.expert.id_number[-4:]) for s in
                draw.seats.select_related("expert").order_by("counter")]
    assert view["role"] == "regulator"
    assert [(s["counter"], s["name"], s["id_last4"]) for s in view["seats"]] == expected
    assert not queries.may_contribute_secret(scene.regulator, draw)  # given already
    assert not queries.may_reveal_draw(scene.regulator, draw)


def test_an_expert_sees_only_their_own_seat(scene, django_capture_on_commit_callbacks):
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    seat = draw.seats.select_related("expert").order_by("counter")[1]
    account = make_user("expert", "511900")
    Expert.objects.filter(pk=seat.expert_id).update(user=account)  # the pool's link_account, done directly
    view = queries.draw_view(account, draw)
    assert view == {"role": "expert", "draw": draw.pk, "status": "drawn", "seat": queries.seat_details(seat)}
    assert view["seat"]["specialty"] == "工程类-房屋建筑"


def test_bidders_and_others_see_nothing(scene, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import AnonymousUser

    draw, _codes = drawn(scene, django_capture_on_commit_callbacks)
    for user in (scene.bidders[0], scene.outsider, scene.tender.created_by, make_user("staff", "511922"),
                 make_user("expert", "511900"), AnonymousUser()):
        with pytest.raises(NotFound):
            queries.draw_view(user, draw)


def test_staff_may_reveal_once_the_evaluation_is_closed(scene, django_capture_on_commit_callbacks):
    draw, codes = drawn(scene, django_capture_on_commit_callbacks)
    for seat in draw.seats.all():
        actions.respond_to_seat(seat_id=seat.pk, code=codes[seat.pk], accept=True)
    assert texted_codes() == codes
    draw.refresh_from_db()
    assert not queries.may_reveal_draw(scene.host, draw)
    close_evaluation(scene.tender)
    draw.tender.refresh_from_db()
    assert queries.may_reveal_draw(scene.host, draw)
    actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    draw.refresh_from_db()
    assert all("name" in s for s in queries.draw_view(scene.host, draw)["seats"])
