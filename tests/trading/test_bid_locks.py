"""What the bid path locks, with real concurrent transactions on PostgreSQL (SQLite runs one writer at a
time, so there is nothing to race there: the first pass of .ci/run runs these).

The load run (bench/bench_load.py) found about 22 requests waiting for the tender's row at any moment:
every upload created and every bid finalized locked it exclusively. Now a bidder's own row serializes what
one bidder does, and the tender takes only a share lock, which the deadline's reveal still waits for."""

import io
import threading

import pytest
from django.db import connection, connections

from tests.trading.bidding import bidder_with_keys, published_tender, sealed_bid
from trading import bidstore
from trading.actions import bids as bid_actions
from trading.models import Bid, BidUpload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and concurrent writers: PostgreSQL (first pass of .ci/run)"),
]
WAIT = 30  # seconds a step may take on a busy machine before the test gives up


def _in_thread(fn, results, key):
    """Run fn in a thread named `key` (its own database connection); its result or error goes to results."""
    def run():
        try:
            results[key] = fn()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[key] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=key)
    thread.start()
    return thread


def _complete_upload(tender, bidder, price):
    data, digest = sealed_bid(tender, bidder, price=price)
    upload = bid_actions.create_upload(actor=bidder, tender_id=tender.pk, size=len(data))
    bid_actions.receive_part(actor=bidder, upload_id=upload.pk, offset=0, stream=io.BytesIO(data), length=len(data))
    return upload.pk, digest


def test_two_finalizes_of_one_bidder_at_once_leave_one_bid(platform_pki, regions, monkeypatch):
    tender = published_tender()
    bidder = bidder_with_keys()
    uploads = [_complete_upload(tender, bidder, price) for price in (100, 200)]
    both_checked = threading.Barrier(2, timeout=WAIT)
    real_check = bid_actions.check_structure

    def check(*args, **kwargs):  # both finalizes leave their envelope check together
        info = real_check(*args, **kwargs)
        both_checked.wait()
        return info

    monkeypatch.setattr(bid_actions, "check_structure", check)
    results = {}
    threads = [_in_thread(lambda u=u, d=d: bid_actions.finalize_upload(actor=bidder, upload_id=u, sha256=d),
                          results, n) for n, (u, d) in enumerate(uploads)]
    for thread in threads:
        thread.join(WAIT)
    assert all(isinstance(r, Bid) for r in results.values()), results
    statuses = sorted(Bid.objects.filter(tender=tender).values_list("status", flat=True))
    assert statuses == ["replaced", "submitted"]  # never two live bids of one bidder


def test_bidders_create_uploads_side_by_side_and_the_reveal_waits_for_them(platform_pki, regions, monkeypatch):
    tender = published_tender()
    first, second = bidder_with_keys(), bidder_with_keys()
    inside, leave = threading.Event(), threading.Event()
    real_create = bidstore.create

    def create(name):  # the first bidder's transaction stays open here, holding its locks
        if threading.current_thread().name == "first":
            inside.set()
            assert leave.wait(WAIT)
        return real_create(name)

    monkeypatch.setattr(bidstore, "create", create)
    results = {}
    holder = _in_thread(lambda: bid_actions.create_upload(actor=first, tender_id=tender.pk, size=1000),
                        results, "first")
    assert inside.wait(WAIT)
    try:
        # Another bidder is not held up by the first one's open transaction.
        other = _in_thread(lambda: bid_actions.create_upload(actor=second, tender_id=tender.pk, size=1000),
                           results, "second")
        other.join(WAIT / 3)
        assert not other.is_alive(), "the second bidder waited for the first one's lock"
        assert isinstance(results["second"], BidUpload), results
        # The reveal (an exclusive lock on the tender, as start_opening takes it) waits for the first.
        reveal_locked = threading.Event()

        def lock_for_reveal():
            from django.db import transaction

            from trading.models import Tender

            with transaction.atomic():
                Tender.objects.select_for_update().get(pk=tender.pk)
                reveal_locked.set()

        reveal = _in_thread(lock_for_reveal, results, "reveal")
        assert not reveal_locked.wait(1.0), "the reveal's lock was granted while a bid event was being logged"
    finally:
        leave.set()
        holder.join(WAIT)
    reveal.join(WAIT)
    assert reveal_locked.is_set()
    assert isinstance(results["first"], BidUpload), results
