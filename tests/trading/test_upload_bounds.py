"""Uploads are bounded (a few unfinished per bidder and tender), discarded on request, and expired with
their files at the deadline; only verified companies upload and finalize."""

import datetime
import json

import pytest
import time_machine
from django.core.files.storage import default_storage
from django_tasks_db.models import DBTaskResult

from accounts.models import Organization
from ledger.models import Entry
from ledger.queries import last_seq
from tests.factories import make_user
from tests.trading.bidding import bidder_with_keys, finalize, published_tender, sealed_bid, upload
from trading import actions
from trading.models import Bid, BidUpload


@pytest.fixture
def tender(platform_pki, regions):
    return published_tender()


def _create(client, tender, size=1000):
    return client.post("/api/uploads/", {"tender": tender.pk, "size": size}, content_type="application/json")


def test_a_bidder_holds_at_most_two_unfinished_uploads_per_tender(client, tender, django_capture_on_commit_callbacks):
    bidder = bidder_with_keys()
    client.force_login(bidder)
    first, second = _create(client, tender).json(), _create(client, tender).json()
    head = last_seq()
    refused = _create(client, tender)
    assert (refused.status_code, refused.json()["code"]) == (409, "too_many_open_uploads")
    assert "2 个未完成的上传" in refused.json()["detail"]
    assert (BidUpload.objects.count(), last_seq()) == (2, head)

    # Another bidder, and another tender, are not affected.
    client.force_login(bidder_with_keys())
    assert _create(client, tender).status_code == 201
    client.force_login(bidder)
    assert _create(client, published_tender()).status_code == 201

    # Discarding one (the page's "discard" button) deletes its file and frees a place.
    name = BidUpload.objects.get(pk=first["id"]).storage_name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/uploads/{first['id']}/")
    assert (response.status_code, response.json()["status"]) == (200, "abandoned")
    assert not default_storage.exists(name)
    assert client.delete(f"/api/uploads/{first['id']}/").json()["code"] == "upload_closed"
    assert _create(client, tender).status_code == 201
    assert BidUpload.objects.filter(pk=second["id"], status="open").exists()


def test_only_the_uploader_discards_an_upload(client, tender):
    bidder = bidder_with_keys()
    client.force_login(bidder)
    created = _create(client, tender).json()
    client.force_login(bidder_with_keys())
    assert client.delete(f"/api/uploads/{created['id']}/").status_code == 403
    assert BidUpload.objects.get(pk=created["id"]).status == "open"


def test_at_the_deadline_unfinished_uploads_expire_and_their_files_are_deleted(client, tender,
                                                                             django_capture_on_commit_callbacks):
    bidder = bidder_with_keys()
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    half = client.post("/api/uploads/", {"tender": tender.pk, "size": len(data)}, content_type="application/json")
    upload_id = half.json()["id"]
    client.put(f"/api/uploads/{upload_id}/parts/?offset=0", data[:1000], content_type="application/octet-stream")
    name = BidUpload.objects.get(pk=upload_id).storage_name
    assert default_storage.size(name) == 1000

    with time_machine.travel(tender.bid_deadline + datetime.timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            actions.record_clock_stages(tender.pk)
        assert BidUpload.objects.get(pk=upload_id).status == "expired"
        assert not default_storage.exists(name)
        entry = Entry.objects.get(action="bid.upload_expired")
        assert entry.tender_ref == tender.code
        assert json.loads(entry.payload) == {"upload": upload_id, "organization": bidder.organization_id,
                                             "received": 1000, "size": len(data)}
        # A later sweep catches uploads that were busy at the deadline.
        assert DBTaskResult.objects.filter(task_path="trading.tasks.expire_uploads_task").count() == 1
        client.force_login(bidder)
        part = client.put(f"/api/uploads/{upload_id}/parts/?offset=1000", data[1000:2000],
                          content_type="application/octet-stream")
        assert (part.status_code, part.json()["code"]) == (409, "deadline_passed")
        assert finalize(client, upload_id, digest).json()["code"] == "deadline_passed"
    assert not Bid.objects.exists()


def test_the_follow_up_sweep_expires_what_is_still_open(client, tender):
    from trading.actions.bids import sweep_expired_uploads

    client.force_login(bidder_with_keys())
    upload_id = _create(client, tender).json()["id"]
    assert sweep_expired_uploads(tender.pk) == 0  # before the deadline it touches nothing
    with time_machine.travel(tender.bid_deadline, tick=False):
        assert sweep_expired_uploads(tender.pk) == 1
    assert BidUpload.objects.get(pk=upload_id).status == "expired"


def test_an_unverified_company_cannot_start_an_upload(client, tender, unverified_bidder):
    client.force_login(unverified_bidder)
    head = last_seq()
    response = _create(client, tender)
    assert (response.status_code, response.json()["code"]) == (403, "organization_unverified")
    assert (BidUpload.objects.count(), last_seq()) == (0, head)


def test_a_company_no_longer_verified_cannot_finalize(client, tender):
    bidder = bidder_with_keys()
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    upload_id = upload(client, tender, data)
    Organization.objects.filter(pk=bidder.organization_id).update(verified_at=None)  # e.g. found to be false
    head = last_seq()
    response = finalize(client, upload_id, digest)
    assert (response.status_code, response.json()["code"]) == (403, "organization_unverified")
    assert (Bid.objects.count(), last_seq(), BidUpload.objects.get(pk=upload_id).status) == (0, head, "open")


def test_the_bid_page_tells_an_unverified_company_why_and_who_verifies(client, tender, unverified_bidder):
    from accounts.actions import organization_unverified_message

    client.force_login(unverified_bidder)
    page = client.get(f"/tenders/{tender.pk}/")
    body = page.content.decode()
    message = str(organization_unverified_message(unverified_bidder.organization))
    assert page.context["unverified"] == message
    assert 'id="bid-unverified"' in body and "交易中心" in message
    assert 'id="seal-upload"' not in body
    # A verified company gets the form.
    client.force_login(make_user("bidder"))
    body = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert 'id="seal-upload"' in body and 'id="bid-unverified"' not in body
