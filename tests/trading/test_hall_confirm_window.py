"""The host's confirmation window (实施条例 art. 44): bidders confirm the opening record or object until
it closes; afterwards they are refused with a clear error and listed as unconfirmed in the hall. Also the
decryption progress the hall shows, in bytes of the stored envelope."""

import datetime
import json

import pytest
import time_machine

from accounts.errors import DomainError
from ledger.canonical import utc_iso
from ledger.models import Entry
from realtime.models import StreamEvent
from tests.realtime.opening_setup import opening_scene
from trading.actions import opening
from trading.hall import snapshot
from trading.models import Bid, Opening, OpeningConfirmation


@pytest.fixture
def scene(platform_pki, regions):
    scene = opening_scene(3)
    with scene.after_deadline():
        for custodian in scene.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
        opening.open_bids(scene.tender.pk, progress_every=20_000)
    return scene


def at(scene, minutes):
    return time_machine.travel(scene.tender.bid_deadline + datetime.timedelta(minutes=minutes), tick=False)


def log_head():
    return Entry.objects.order_by("-seq").values_list("seq", flat=True).first()


def test_after_the_window_closes_confirmations_and_objections_are_refused_and_listed(scene):
    tender, (first, second, third) = scene.tender, scene.bidders
    with at(scene, 10):
        item = opening.set_confirm_window(actor=scene.host, tender_id=tender.pk, minutes=15)
        assert item.confirm_until == scene.tender.bid_deadline + datetime.timedelta(minutes=25)
        opening.confirm_record(actor=first, tender_id=tender.pk)
        opening.confirm_record(actor=second, tender_id=tender.pk, objection_text="第一名报价读错")
    entry = Entry.objects.get(action="opening.confirm_window")
    assert (json.loads(entry.payload)["until"], entry.actor_id) == (utc_iso(item.confirm_until), scene.host.pk)
    event = StreamEvent.objects.get(type="opening.confirm_window")
    assert event.data["host"] == "王主持"

    with at(scene, 25):  # the window has closed, to the second
        head = log_head()
        for kwargs in ({}, {"objection_text": "另一项异议"}):
            with pytest.raises(DomainError) as refused:
                opening.confirm_record(actor=third, tender_id=tender.pk, **kwargs)
            assert refused.value.code == "confirm_window_closed"
            local = (scene.tender.bid_deadline + datetime.timedelta(minutes=25)).astimezone(
                datetime.timezone(datetime.timedelta(hours=8)))
            assert local.strftime("%Y-%m-%d %H:%M") in str(refused.value.message)
        assert log_head() == head
        assert OpeningConfirmation.objects.filter(organization=third.organization).count() == 0
        # Once closed it stays closed: the host cannot let a bidder back in.
        with pytest.raises(DomainError) as again:
            opening.set_confirm_window(actor=scene.host, tender_id=tender.pk, minutes=30)
        assert again.value.code == "confirm_window_closed"

        _, data = snapshot(tender.pk, scene.host)
    assert data["opening"]["confirm_until"] == item.confirm_until.isoformat()
    assert data["unconfirmed"] == [
        {"number": 2, "bidder": second.organization.name, "objected": True},
        {"number": 3, "bidder": third.organization.name, "objected": False}]


def test_only_the_host_sets_a_window_of_1_to_1440_minutes(scene):
    tender = scene.tender
    with at(scene, 5):
        cases = [(scene.bidders[0], 10, "permission_denied"), (scene.regulator, 10, "permission_denied"),
                 (scene.host, 0, "bad_window"), (scene.host, 1441, "bad_window"), (scene.host, "10", "bad_window"),
                 (scene.host, True, "bad_window"), (scene.host, None, "bad_window")]
        for actor, minutes, code in cases:
            with pytest.raises(DomainError) as refused:
                opening.set_confirm_window(actor=actor, tender_id=tender.pk, minutes=minutes)
            assert refused.value.code == code, (actor, minutes)
        assert Opening.objects.get(tender=tender).confirm_until is None
        assert not Entry.objects.filter(action="opening.confirm_window").exists()

        # Lengthened while open; the host cannot close before it ends while some have not confirmed.
        opening.set_confirm_window(actor=scene.host, tender_id=tender.pk, minutes=5)
        opening.set_confirm_window(actor=scene.host, tender_id=tender.pk, minutes=20)
        with pytest.raises(DomainError) as early:
            opening.close_opening(actor=scene.host, tender_id=tender.pk)
        assert early.value.code == "confirm_window_open"
        assert Opening.objects.get(tender=tender).status == "reading"
    with at(scene, 25):
        opening.close_opening(actor=scene.host, tender_id=tender.pk)
    assert Opening.objects.get(tender=tender).status == "closed"


def test_a_window_is_set_only_while_the_record_is_read_out(platform_pki, regions):
    fresh = opening_scene(3)
    with fresh.after_deadline():
        opening.start_opening(fresh.tender.pk)
        with pytest.raises(DomainError) as refused:
            opening.set_confirm_window(actor=fresh.host, tender_id=fresh.tender.pk, minutes=10)
    assert refused.value.code == "not_reading"


def test_decryption_progress_counts_the_envelope_bytes_of_each_bid(scene):
    events = list(StreamEvent.objects.filter(type="opening.progress").order_by("seq").values_list("data", flat=True))
    sizes = dict(enumerate(Bid.objects.filter(tender=scene.tender).order_by("submitted_at", "id")
                           .values_list("size", flat=True), start=1))
    for number, size in sizes.items():
        mine = [e for e in events if e["number"] == number]
        assert mine[-1]["bytes"] == size  # read to the last byte
        assert len(mine) > 1 and mine[0]["bytes"] >= 20_000  # reported along the way (every 20,000 bytes here)
        assert all(e["size"] == size and e["total"] == 3 for e in mine)
        assert [e["bytes"] for e in mine] == sorted(e["bytes"] for e in mine)
        assert mine[-1]["rate"] > 0 and mine[-1]["elapsed"] > 0
    _, data = snapshot(scene.tender.pk, scene.host)
    assert [(p["number"], p["bytes"]) for p in data["progress"]] == list(sizes.items())
    assert data["bidder_names"] == [b.organization.name for b in scene.bidders]


def test_a_bid_that_fails_to_decrypt_still_ends_its_progress_short_of_its_size(platform_pki, regions):
    damaged = opening_scene(3, corrupt=(1,))
    with damaged.after_deadline():
        for custodian in damaged.custodians[:2]:
            opening.release_share(actor=custodian, tender_id=damaged.tender.pk, share_b64=damaged.share(custodian))
        opening.open_bids(damaged.tender.pk)  # reports every 8 MiB: these bids report once, at their end
    events = list(StreamEvent.objects.filter(type="opening.progress").order_by("seq").values_list("data", flat=True))
    sizes = list(Bid.objects.filter(tender=damaged.tender).order_by("submitted_at", "id").values_list("size", flat=True))
    assert [e["number"] for e in events] == [1, 2, 3]
    assert events[0]["bytes"] == sizes[0] and events[2]["bytes"] == sizes[2]
    assert events[1]["bytes"] < sizes[1]  # stopped at (or before) the damaged chunk's block
