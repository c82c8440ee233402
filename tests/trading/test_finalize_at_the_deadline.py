"""A bid delivered before the deadline is received then, however long the platform takes to check it
(招标投标法 art. 28: delivered before the deadline; art. 36: every bid received before it is opened). Found
by the load run (bench/bench_load.py): under load, bidders who pressed "submit" seconds before the deadline
were refused because their envelope's check ended after it."""

import datetime
import json

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django_tasks_db.models import DBTaskResult

from accounts.errors import DomainError
from tests.trading.bidding import bidder_with_keys, finalize, published_tender, sealed_bid, submit, upload
from trading.actions import bids as bid_actions
from trading.actions.opening import start_opening
from trading.models import Bid, BidUpload, Opening, SealedLogEntry, Tender

RETRY = "trading.tasks.start_opening_task"


@pytest.fixture
def tender(platform_pki, regions):
    tender = published_tender()
    for _ in range(3):  # enough bids for the opening to start (招标投标法 art. 28)
        submit(Client(), tender, bidder_with_keys())
    return tender


def _uploaded(client, tender):
    bidder = bidder_with_keys()
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    return bidder, upload(client, tender, data), digest


def _slow_check(monkeypatch, during):
    """The envelope's check runs `during()` before it returns: the clock moves, the opening is tried."""
    real = bid_actions.check_structure

    def check(*args, **kwargs):
        info = real(*args, **kwargs)
        during()
        return info

    monkeypatch.setattr(bid_actions, "check_structure", check)


def _opening_started(tender):
    return Opening.objects.filter(tender=tender).exists()


def test_a_bid_delivered_before_the_deadline_is_received_then_and_opened_with_the_others(
        client, tender, monkeypatch, django_capture_on_commit_callbacks):
    bidder, upload_id, digest = _uploaded(client, tender)
    arrival = tender.bid_deadline - datetime.timedelta(seconds=2)
    seen_during_check = {}
    with time_machine.travel(arrival, tick=False) as clock:
        def during():
            clock.shift(datetime.timedelta(seconds=5))  # the check ends 3 s past the deadline
            cache.delete(f"opening-retry:{tender.pk}")
            # The clock task (or a hall connection) tries to open now: it waits for this bid.
            seen_during_check["tender"] = start_opening(tender.pk)
            seen_during_check["opening"] = _opening_started(tender)
            seen_during_check["upload"] = BidUpload.objects.get(pk=upload_id).status

        _slow_check(monkeypatch, during)
        client.force_login(bidder)  # weeks later: a new session
        with django_capture_on_commit_callbacks(execute=True):
            response = finalize(client, upload_id, digest)
        assert response.status_code == 201, response.content

        assert seen_during_check["opening"] is False
        assert seen_during_check["upload"] == BidUpload.Status.OPEN  # not expired under it
        bid = Bid.objects.get(pk=response.json()["id"])
        assert bid.submitted_at == arrival
        assert json.loads(bid.receipt)["received_at"].startswith(arrival.strftime("%Y-%m-%dT%H:%M:%S"))
        assert BidUpload.objects.get(pk=upload_id).finalize_arrived_at == arrival
        # Logged as a bid before the deadline (a commitment naming no one), revealed at the opening.
        assert SealedLogEntry.objects.filter(tender=tender, revealed_seq__isnull=True).count() >= 4
        # The waiting opening was told to try again; the finished finalize asks too.
        retries = DBTaskResult.objects.filter(task_path=RETRY)
        assert retries.count() == 2  # the waiting opening's (in a second), the finalize's (at once)

        start_opening(tender.pk)  # what that task runs
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENING
    assert tender.bids.filter(status=Bid.Status.SUBMITTED).count() == 4
    assert not SealedLogEntry.objects.filter(tender=tender, revealed_seq__isnull=True).exists()


def test_the_opening_waits_for_a_delivered_bid_at_most_the_grace_then_closes(client, tender, settings):
    settings.BID_FINALIZE_GRACE = 30
    bidder, upload_id, digest = _uploaded(client, tender)
    arrival = tender.bid_deadline - datetime.timedelta(seconds=1)
    # A finalize arrived (recorded) and its process died before deciding.
    assert bid_actions._note_arrival(bidder, upload_id, arrival) == arrival
    assert BidUpload.objects.get(pk=upload_id).finalize_arrived_at == arrival

    start_opening(tender.pk, now=tender.bid_deadline + datetime.timedelta(seconds=29))
    assert not _opening_started(tender)
    assert BidUpload.objects.get(pk=upload_id).status == BidUpload.Status.OPEN

    start_opening(tender.pk, now=tender.bid_deadline + datetime.timedelta(seconds=30))
    assert _opening_started(tender)
    assert BidUpload.objects.get(pk=upload_id).status == BidUpload.Status.EXPIRED
    # The bidder's retry, however early it arrived the first time, is too late now: nothing is stored.
    with time_machine.travel(tender.bid_deadline + datetime.timedelta(seconds=31), tick=False):
        client.force_login(bidder)
        response = finalize(client, upload_id, digest)
    assert (response.status_code, response.json()["code"]) == (409, "deadline_passed")
    assert tender.bids.count() == 3


def test_a_bid_whose_check_ends_after_the_opening_closed_the_bidding_is_refused(client, tender, monkeypatch, settings):
    settings.BID_FINALIZE_GRACE = 2
    bidder, upload_id, digest = _uploaded(client, tender)
    arrival = tender.bid_deadline - datetime.timedelta(seconds=1)
    with time_machine.travel(arrival, tick=False) as clock:
        def during():  # the check outlasts the grace: the opening closes the bidding without it
            clock.shift(datetime.timedelta(seconds=10))
            start_opening(tender.pk)

        _slow_check(monkeypatch, during)
        client.force_login(bidder)
        response = finalize(client, upload_id, digest)
    assert (response.status_code, response.json()["code"]) == (409, "deadline_passed")
    assert tender.bids.count() == 3 and _opening_started(tender)


def test_no_arrival_is_recorded_for_an_incomplete_upload_or_after_the_deadline(client, tender):
    bidder = bidder_with_keys()
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    response = client.post("/api/uploads/", {"tender": tender.pk, "size": len(data)}, content_type="application/json")
    upload_id = response.json()["id"]
    response = finalize(client, upload_id, digest)
    assert response.json()["code"] == "incomplete_upload"
    assert BidUpload.objects.get(pk=upload_id).finalize_arrived_at is None  # the opening does not wait for it

    late_bidder, late_id, late_digest = _uploaded(client, tender)
    with time_machine.travel(tender.bid_deadline, tick=False):
        client.force_login(late_bidder)
        response = finalize(client, late_id, late_digest)
    assert (response.status_code, response.json()["code"]) == (409, "deadline_passed")
    assert BidUpload.objects.get(pk=late_id).finalize_arrived_at is None
    assert tender.bids.count() == 3


def test_after_the_opening_started_a_new_upload_is_told_the_deadline_passed(client, tender):
    moment = tender.bid_deadline + datetime.timedelta(seconds=5)
    start_opening(tender.pk, now=moment)
    assert _opening_started(tender)
    bidder = bidder_with_keys()
    with time_machine.travel(moment, tick=False):
        client.force_login(bidder)
        response = client.post("/api/uploads/", {"tender": tender.pk, "size": 1000}, content_type="application/json")
    # Not "this tender does not accept bids": the bidder learns why (the load run's late bidders got that).
    assert (response.status_code, response.json()["code"]) == (409, "deadline_passed")


def test_a_finalize_that_reached_the_server_before_the_deadline_and_queued_there_is_received_then(client, tender):
    """The API passes the moment the request reached the server process (config.limits stamps it before
    the request waits for a place): a finalize that queued past the deadline is judged by its arrival."""
    from types import SimpleNamespace

    from trading.api_bids import arrived_at

    bidder, upload_id, digest = _uploaded(client, tender)
    reached = tender.bid_deadline - datetime.timedelta(milliseconds=300)
    with time_machine.travel(tender.bid_deadline + datetime.timedelta(seconds=2), tick=False):
        request = SimpleNamespace(scope={"arrived_at": reached.timestamp()})
        assert arrived_at(request) == reached
        assert arrived_at(SimpleNamespace()) == tender.bid_deadline + datetime.timedelta(seconds=2)
        bid = bid_actions.finalize_upload(actor=bidder, upload_id=upload_id, sha256=digest, arrived=arrived_at(request))
    assert bid.submitted_at == reached
    # A stamp after the deadline is refused as before, and nothing more is stored.
    late_bidder, late_id, late_digest = _uploaded(client, tender)
    with time_machine.travel(tender.bid_deadline + datetime.timedelta(seconds=2), tick=False):
        with pytest.raises(DomainError) as refused:
            bid_actions.finalize_upload(actor=late_bidder, upload_id=late_id, sha256=late_digest,
                                        arrived=tender.bid_deadline + datetime.timedelta(milliseconds=1))
    assert refused.value.code == "deadline_passed"
    assert tender.bids.count() == 4
