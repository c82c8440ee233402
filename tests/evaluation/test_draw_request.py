"""Requesting a draw: who may, the committee rules of 招标投标法 art. 37, the frozen candidate list with
every exclusion and its reason, and a shortage named by specialty and venue."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from accounts.errors import DomainError, Forbidden
from evaluation.actions import draw as actions
from evaluation.actions.pool import create_venue
from evaluation.models import Draw, Exclusion, Seat
from ledger.models import Entry
from tests.evaluation.conftest import make_experts
from tests.evaluation.draw_setup import draw_entries, drawn, one_requirement, request


@pytest.fixture
def scene(opened_tender, expert_pool):
    expert_pool(8)
    return opened_tender


def _head():
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first()


def test_staff_request_a_draw_and_the_list_is_frozen_with_the_platforms_commitment(scene):
    draw = request(scene)
    assert draw.status == Draw.Status.COMMITTED
    document = json.loads(draw.frozen_list)
    assert document["format"] == "expert-draw/1"
    assert document["draw"] == draw.pk
    assert document["local_regions"] == ["511921"]
    assert len(document["candidates"]) == 8
    assert document["candidates"][0]["specialties"] == ["ECO-CST", "ENG-BLD"]
    assert document["requirements"] == [{"index": 0, "specialty": "ENG-BLD", "venue": None, "main": False,
                                         "offsite": False, "count": 5}]
    [(action, payload)] = draw_entries(draw)
    assert action == "draw.requested"
    assert payload["platform_commitment"] == draw.platform_commitment
    assert payload["frozen_list_sha256"] == draw.frozen_list_sha256
    assert (payload["candidates"], payload["exclusions"], payload["committee_size"]) == (8, {}, 5)
    assert draw.platform_secret not in Entry.objects.get(action="draw.requested").payload


def test_every_exclusion_rule_is_recorded_with_its_reason(scene, expert_pool, specialties,
                                                         django_capture_on_commit_callbacks):
    """A first draw that fails leaves an accepted expert (same tenderer, recently) and a declared conflict."""
    first, codes = drawn(scene, django_capture_on_commit_callbacks, committee_size=7,
                         requirements=one_requirement(7))
    seats = list(first.seats.order_by("counter"))
    accepted = actions.respond_to_seat(seat_id=seats[0].pk, code=codes[seats[0].pk], accept=True)
    conflicted = actions.respond_to_seat(seat_id=seats[1].pk, code=codes[seats[1].pk], accept=False,
                                         reason="曾为投标人提供咨询", conflict=True)
    first.refresh_from_db()
    assert (conflicted.status, first.status) == ("conflicted", "drawn")  # the 8th expert replaced it
    actions.respond_to_seat(seat_id=seats[2].pk, code=codes[seats[2].pk], accept=False)
    first.refresh_from_db()
    assert first.status == Draw.Status.FAILED  # nobody left to replace the decline
    assert "房屋建筑" in first.failure_reason

    bld = [specialties["ENG-BLD"]]
    owner = scene.tender.project.owner
    yesterday, later = timezone.localdate() - datetime.timedelta(days=1), timezone.localdate() + datetime.timedelta(days=9)
    special = {
        "bidder": make_experts(1, specialties=bld, employer=scene.bidders[0].organization)[0],
        "bidder_code": make_experts(1, specialties=bld,
                                    employer_credit_code=scene.bidders[1].organization.credit_code)[0],
        "tenderer": make_experts(1, specialties=bld, employer=owner)[0],
        "suspended": make_experts(1, specialties=bld, status="suspended", suspended_until=later)[0],
        "suspended_open": make_experts(1, specialties=bld, status="suspended")[0],
        "suspension_over": make_experts(1, specialties=bld, status="suspended", suspended_until=yesterday)[0],
        "retired": make_experts(1, specialties=bld, status="retired")[0],
    }
    expert_pool(5)
    second = request(scene)

    reasons = {(e.expert_id, e.reason) for e in Exclusion.objects.filter(draw=second)}
    assert reasons == {
        (accepted.expert_id, "recent_same_tenderer"), (conflicted.expert_id, "declared_conflict"),
        (special["bidder"].pk, "employed_by_bidder"), (special["bidder_code"].pk, "employed_by_bidder"),
        (special["tenderer"].pk, "employed_by_tenderer"), (special["suspended"].pk, "suspended"),
        (special["suspended_open"].pk, "suspended"), (special["retired"].pk, "retired"),
    }
    document = json.loads(second.frozen_list)
    assert sorted((e["expert"], e["reason"]) for e in document["exclusions"]) == sorted(reasons)
    candidates = {c["expert"] for c in document["candidates"]}
    assert special["suspension_over"].pk in candidates
    assert seats[2].expert_id in candidates  # a plain decline is no exclusion
    assert len(candidates) + len(reasons) == 8 + 7 + 5
    payload = draw_entries(second)[0][1]
    assert payload["exclusions"] == {"recent_same_tenderer": 1, "declared_conflict": 1, "employed_by_bidder": 2,
                                     "employed_by_tenderer": 1, "suspended": 2, "retired": 1}


def test_service_for_the_same_tenderer_counts_only_within_the_cooldown(scene, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.EXPERT_COOLDOWN_DAYS = 30
    first, codes = drawn(scene, django_capture_on_commit_callbacks, committee_size=7,
                         requirements=one_requirement(7))
    seats = list(first.seats.order_by("counter"))
    actions.respond_to_seat(seat_id=seats[0].pk, code=codes[seats[0].pk], accept=True)
    for seat in seats[1:3]:
        actions.respond_to_seat(seat_id=seat.pk, code=codes[seat.pk], accept=False)
    assert Draw.objects.get(pk=first.pk).status == Draw.Status.FAILED
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31)):
        second = request(scene)
    assert not Exclusion.objects.filter(draw=second).exists()


def test_a_fully_offsite_committee_leaves_the_tenders_county_out_with_the_reason(scene, expert_pool):
    local = expert_pool(3, region_code="511921")
    draw = request(scene, requirements=one_requirement(5, offsite=True))
    assert {(e.expert_id, e.reason) for e in draw.exclusions.all()} == {(e.pk, "same_county") for e in local}


def test_an_offsite_requirement_never_picks_from_the_tenders_county(scene, expert_pool,
                                                                    django_capture_on_commit_callbacks):
    local = expert_pool(6, region_code="511921", specialties=("ECO-CST",))
    draw, _codes = drawn(scene, django_capture_on_commit_callbacks, committee_size=7, requirements=[
        {"specialty": "ENG-BLD", "count": 5, "venue": None, "main": False, "offsite": True},
        {"specialty": "ECO-CST", "count": 2, "venue": None, "main": False, "offsite": False}])
    assert not draw.exclusions.exists()  # one requirement is local: they stay on the list
    picked = {s.expert_id for s in draw.seats.filter(requirement__offsite=True)}
    assert len(picked) == 5 and not picked & {e.pk for e in local}


def test_a_draw_that_cannot_be_filled_names_the_specialty_and_venue(scene, expert_pool, make_user):
    city_staff = make_user("staff", "511900")
    main = create_venue(actor=city_staff, data={"region": "511921", "name": "通江县评标室", "seats": 9})
    sub = create_venue(actor=city_staff, data={"region": "511922", "name": "南江县评标室", "seats": 9})
    expert_pool(2, specialties=("ECO-CST",))  # 10 hold 工程造价, 8 of them also 房屋建筑
    expert_pool(10, specialties=("ENG-BLD",))
    head, draws = _head(), Draw.objects.count()
    with pytest.raises(DomainError) as caught:
        # The 3 house-building seats may take 3 of the 8 who hold both: only 7 are sure for 8 seats.
        request(scene, committee_size=11, remote=True, requirements=[
            {"specialty": "ENG-BLD", "count": 3, "venue": main.pk, "main": True, "offsite": False},
            {"specialty": "ECO-CST", "count": 8, "venue": sub.pk, "main": False, "offsite": False}])
    assert caught.value.code == "draw_shortage"
    assert str(caught.value.message) == ("专业「经济类-工程造价」在「南江县评标室」的专家不足：需要 8 名，"
                                         "能确保可抽的候选人只有 7 名。")
    assert (_head(), Draw.objects.count()) == (head, draws)
    with pytest.raises(DomainError) as caught:
        request(scene, requirements=one_requirement(5, specialty="SRV-LAW"))
    assert str(caught.value.message) == "专业「服务类-法律」在「不分场地」的专家不足：需要 5 名，能确保可抽的候选人只有 0 名。"
    draw = request(scene, committee_size=9, remote=True, requirements=[
        {"specialty": "ENG-BLD", "count": 3, "venue": main.pk, "main": True, "offsite": False},
        {"specialty": "ECO-CST", "count": 6, "venue": sub.pk, "main": False, "offsite": False}])
    assert draw.status == Draw.Status.COMMITTED


@pytest.mark.parametrize(("size", "reps", "count", "code"), [
    (4, 0, 4, "committee_size"), (3, 0, 3, "committee_size"), (7, 3, 4, "too_many_representatives"),
    (7, 2, 4, "counts_mismatch"), ("5人", 0, 5, "invalid_committee_size")])
def test_the_committee_follows_article_37(scene, size, reps, count, code):
    head = _head()
    with pytest.raises(DomainError) as caught:
        request(scene, committee_size=size, representatives=reps, requirements=one_requirement(count))
    assert caught.value.code == code
    assert (_head(), Draw.objects.count()) == (head, 0)


def test_representatives_up_to_a_third_are_allowed(scene):
    draw = request(scene, committee_size=7, representatives=2, requirements=one_requirement(5))
    assert (draw.committee_size, draw.tenderer_representatives, draw.requirements.get().count) == (7, 2, 5)


@pytest.mark.parametrize(("requirements", "code"), [
    ([{"specialty": "ENG", "count": 5}], "unknown_specialty"),
    ([{"specialty": "NOPE", "count": 5}], "unknown_specialty"),
    ([{"specialty": "ENG-BLD", "count": 0}], "invalid_requirements"),
    ([], "invalid_requirements"),
    ([{"specialty": "ENG-BLD", "count": 3}, {"specialty": "ENG-BLD", "count": 2}], "duplicate_requirement"),
    ([{"specialty": "ENG-BLD", "count": 5, "venue": 1, "main": True}], "venue_not_remote"),
])
def test_requirements_are_checked(scene, requirements, code):
    with pytest.raises(DomainError) as caught:
        request(scene, requirements=requirements)
    assert caught.value.code == code
    assert Draw.objects.count() == 0


def test_remote_venues_need_one_main_venue_and_enough_seats(scene, make_user):
    city_staff = make_user("staff", "511900")
    a = create_venue(actor=city_staff, data={"region": "511921", "name": "通江县评标室", "seats": 3})
    b = create_venue(actor=city_staff, data={"region": "511922", "name": "南江县评标室", "seats": 9})
    cases = [
        ([{"specialty": "ENG-BLD", "count": 5, "venue": None}], "venue_required"),
        ([{"specialty": "ENG-BLD", "count": 2, "venue": a.pk}, {"specialty": "ECO-CST", "count": 3, "venue": b.pk}],
         "one_main_venue"),
        ([{"specialty": "ENG-BLD", "count": 2, "venue": a.pk, "main": True},
          {"specialty": "ECO-CST", "count": 3, "venue": b.pk, "main": True}], "one_main_venue"),
        ([{"specialty": "ENG-BLD", "count": 4, "venue": a.pk, "main": True},
          {"specialty": "ECO-CST", "count": 1, "venue": b.pk}], "venue_too_small"),
    ]
    for requirements, code in cases:
        with pytest.raises(DomainError) as caught:
            request(scene, requirements=requirements, remote=True)
        assert caught.value.code == code, requirements
    draw = request(scene, remote=True, requirements=[
        {"specialty": "ENG-BLD", "count": 3, "venue": a.pk, "main": True},
        {"specialty": "ECO-CST", "count": 2, "venue": b.pk, "main": False}])
    assert [(r.venue_id, r.is_main_venue, r.count) for r in draw.requirements.order_by("id")] == [
        (a.pk, True, 3), (b.pk, False, 2)]


def test_only_staff_of_the_tenders_region_may_request(scene, make_user):
    users = (scene.regulator, make_user("staff", "511922"), scene.bidders[0], scene.tender.created_by)
    head = _head()
    for user in users:
        with pytest.raises(Forbidden):
            request(scene, actor=user)
    assert (_head(), Draw.objects.count()) == (head, 0)
    assert request(scene, actor=make_user("staff", "511900")).status == Draw.Status.COMMITTED  # city staff


def test_a_draw_needs_an_opened_tender_and_no_other_live_draw(scene, make_user):
    from tests.trading.bidding import published_tender

    published = published_tender()
    staff = make_user("staff", "511921")
    with pytest.raises(DomainError) as caught:
        actions.request_draw(actor=staff, tender_id=published.pk, committee_size=5, tenderer_representatives=0,
                             requirements=one_requirement())
    assert caught.value.code == "not_opened"
    request(scene)
    with pytest.raises(DomainError) as caught:
        request(scene)
    assert caught.value.code == "draw_exists"
    assert Draw.objects.count() == 1 and not Seat.objects.exists()
