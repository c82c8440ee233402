"""Submitting sealed bids through the API: receipts, refusals (nothing stored as submitted), scope."""

import datetime
import json

import pytest
import time_machine

from ledger.models import Entry
from tests.trading.bidding import bidder_with_keys, finalize, published_tender, sealed_bid, submit, upload
from trading.models import Bid, BidUpload, SealedLogEntry
from trading.receipts import verify_receipt


@pytest.fixture
def tender(platform_pki, regions):
    return published_tender()


@pytest.fixture
def bidder(regions):
    return bidder_with_keys()


def sealed_actions(tender):
    """The bid events the log sealed for the tender, in order (revealed only at the deadline)."""
    return [json.loads(d)["action"] for d in SealedLogEntry.objects.filter(tender=tender).values_list("document",
                                                                                                     flat=True)]


def _seal_pem():
    from records.pki import cert_pem, platform_ca, platform_seal

    return cert_pem(platform_seal().certificate), cert_pem(platform_ca().certificate)


def test_a_sealed_bid_is_accepted_with_a_signed_receipt(client, tender, bidder, django_capture_on_commit_callbacks):
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    with django_capture_on_commit_callbacks(execute=False):
        response = finalize(client, upload(client, tender, data), digest)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["sha256"], body["size"]) == ("submitted", digest, len(data))
    seal, ca = _seal_pem()
    receipt = verify_receipt(body["receipt"], body["receipt_signature"], seal, ca)
    assert receipt["envelope_sha256"] == digest
    assert receipt["tender"] == tender.code
    assert receipt["credit_code"] == bidder.organization.credit_code
    # Before the deadline the log names no one: the entry carries only the commitment on the receipt.
    entry = Entry.objects.get(seq=receipt["ledger_seq"])
    assert (entry.action, entry.actor_id, entry.actor_name, entry.region_code, entry.tender_ref) == (
        "bid.committed", None, "system", "", "")
    assert json.loads(entry.payload) == {"format": "bid-commitment/1", "commitment": receipt["ledger_commitment"]}
    document = json.loads(SealedLogEntry.objects.get(seq=entry.seq).document)
    assert (document["action"], document["tender"], document["payload"]["receipt_no"]) == (
        "bid.submitted", tender.code, receipt["receipt_no"])


def test_a_tampered_receipt_does_not_verify(client, tender, bidder):
    body = submit(client, tender, bidder)
    seal, ca = _seal_pem()
    forged = body["receipt"].replace(body["sha256"], "0" * 64)
    with pytest.raises(ValueError):
        verify_receipt(forged, body["receipt_signature"], seal, ca)


def test_a_second_bid_replaces_the_first(client, tender, bidder):
    first = submit(client, tender, bidder, price=100)
    second = submit(client, tender, bidder, price=90)
    assert Bid.objects.get(pk=first["id"]).status == "replaced"
    assert Bid.objects.get(pk=second["id"]).status == "submitted"
    assert sealed_actions(tender).count("bid.replaced") == 1


def test_a_bidder_withdraws_before_the_deadline(client, tender, bidder):
    bid = submit(client, tender, bidder)
    response = client.post(f"/api/bids/{bid['id']}/withdraw/")
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")
    assert sealed_actions(tender).count("bid.withdrawn") == 1


def _refused(response, code, status=400):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Bid.objects.exists()


def test_finalize_after_the_deadline_is_refused_whatever_was_uploaded(client, tender, bidder):
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    upload_id = upload(client, tender, data)
    with time_machine.travel(tender.bid_deadline, tick=False):
        client.force_login(bidder)  # a month later: a new session
        _refused(finalize(client, upload_id, digest), "deadline_passed", 409)
        assert BidUpload.objects.get(pk=upload_id).status == "refused"
        assert Entry.objects.filter(action="bid.refused").count() == 1
        _refused(finalize(client, upload_id, digest), "upload_closed", 409)  # and it stays refused


def test_one_microsecond_before_the_deadline_is_accepted(client, tender, bidder):
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    upload_id = upload(client, tender, data)
    with time_machine.travel(tender.bid_deadline - datetime.timedelta(microseconds=1), tick=False):
        client.force_login(bidder)
        assert finalize(client, upload_id, digest).status_code == 201


def test_a_bid_over_the_size_limit_is_refused_at_create(client, platform_pki, regions, bidder):
    tender = published_tender(max_bid_bytes=100_000)
    client.force_login(bidder)
    response = client.post("/api/uploads/", {"tender": tender.pk, "size": 100_001}, content_type="application/json")
    _refused(response, "bid_too_large", 413)
    assert not BidUpload.objects.exists()


def test_a_part_beyond_the_announced_size_is_refused_at_once(client, tender, bidder):
    client.force_login(bidder)
    upload_id = client.post("/api/uploads/", {"tender": tender.pk, "size": 10},
                            content_type="application/json").json()["id"]
    response = client.put(f"/api/uploads/{upload_id}/parts/?offset=0", b"x" * 11,
                          content_type="application/octet-stream")
    _refused(response, "part_beyond_size", 413)
    assert BidUpload.objects.get(pk=upload_id).received == 0


def test_a_part_at_the_wrong_offset_says_where_to_resume(client, tender, bidder):
    client.force_login(bidder)
    upload_id = client.post("/api/uploads/", {"tender": tender.pk, "size": 10},
                            content_type="application/json").json()["id"]
    client.put(f"/api/uploads/{upload_id}/parts/?offset=0", b"abcd", content_type="application/octet-stream")
    response = client.put(f"/api/uploads/{upload_id}/parts/?offset=2", b"cdef", content_type="application/octet-stream")
    assert (response.status_code, response.json()["code"], response.json()["received"]) == (409, "offset_mismatch", 4)


def test_an_unencrypted_file_is_refused_at_finalize(client, tender, bidder):
    import hashlib

    plain = b"%PDF-1.7 this is a plain, unencrypted bid" * 100
    client.force_login(bidder)
    _refused(finalize(client, upload(client, tender, plain), hashlib.sha256(plain).hexdigest()), "bad_magic")
    assert sealed_actions(tender) == ["bid.upload_created", "bid.refused"]


@pytest.mark.parametrize(("mutate", "code"), [
    (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "bad_signature"),  # the signature's last byte
    (lambda d: d[:2000] + bytes([d[2000] ^ 1]) + d[2001:], "bad_signature"),  # a ciphertext byte
    (lambda d: d[:-100], "bad_size"),  # truncated
])
def test_a_malformed_envelope_is_refused(client, tender, bidder, mutate, code):
    import hashlib

    data, _digest = sealed_bid(tender, bidder)
    bad = mutate(data)
    client.force_login(bidder)
    _refused(finalize(client, upload(client, tender, bad), hashlib.sha256(bad).hexdigest()), code)


def test_a_hash_that_does_not_match_what_was_received_is_refused(client, tender, bidder):
    data, _digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    _refused(finalize(client, upload(client, tender, data), "ab" * 32), "sha256_mismatch")


def test_a_bid_signed_by_another_key_is_refused(client, tender, bidder):
    other = bidder_with_keys()
    data, digest = sealed_bid(tender, other)  # sealed with the other company's keys
    client.force_login(bidder)
    _refused(finalize(client, upload(client, tender, data), digest), "wrong_signing_key")


def test_a_bid_for_another_tender_is_refused(client, platform_pki, regions, tender, bidder):
    other = published_tender()
    data, digest = sealed_bid(other, bidder)
    client.force_login(bidder)
    _refused(finalize(client, upload(client, tender, data), digest), "wrong_tender")


def test_only_the_uploader_may_add_parts_or_finalize(client, tender, bidder):
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    upload_id = upload(client, tender, data[:1000] + data[1000:], part_size=len(data))
    colleague = bidder_with_keys()
    client.force_login(colleague)
    assert client.put(f"/api/uploads/{upload_id}/parts/?offset=0", b"x",
                      content_type="application/octet-stream").json()["code"] == "not_upload_owner"
    _refused(finalize(client, upload_id, digest), "not_upload_owner", 403)


def test_bids_and_receipts_are_visible_only_to_their_organization(client, tender, bidder):
    bid = submit(client, tender, bidder)
    rival = bidder_with_keys()
    client.force_login(rival)
    assert client.get("/api/bids/").json()["results"] == []
    assert client.get(f"/api/bids/{bid['id']}/").status_code == 404
    assert client.get(f"/api/bids/{bid['id']}/envelope/").status_code == 404
    client.force_login(bidder)
    assert [b["id"] for b in client.get("/api/bids/").json()["results"]] == [bid["id"]]


def test_the_stored_envelope_is_returned_for_the_self_check(client, tender, bidder):
    import io

    from sealedbid.envelope import open_envelope

    data, _digest = sealed_bid(tender, bidder, files=[("技术标.pdf", b"%PDF tech" * 500)])
    client.force_login(bidder)
    bid = finalize(client, upload(client, tender, data), __import__("hashlib").sha256(data).hexdigest()).json()
    stored = b"".join(client.get(f"/api/bids/{bid['id']}/envelope/").streaming_content)
    assert stored == data
    opened = open_envelope(io.BytesIO(stored), bidder.keys.encryption, which="bidder")
    assert opened.bid_letter["price"] == 9_800_000_00


def test_a_finalize_before_every_byte_arrived_keeps_the_upload_open(client, tender, bidder):
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    upload_id = client.post("/api/uploads/", {"tender": tender.pk, "size": len(data)},
                            content_type="application/json").json()["id"]
    client.put(f"/api/uploads/{upload_id}/parts/?offset=0", data[:1000], content_type="application/octet-stream")
    response = finalize(client, upload_id, digest)
    assert (response.status_code, response.json()["code"], response.json()["received"]) == (
        409, "incomplete_upload", 1000)
    assert BidUpload.objects.get(pk=upload_id).status == "open"
    client.put(f"/api/uploads/{upload_id}/parts/?offset=1000", data[1000:], content_type="application/octet-stream")
    assert finalize(client, upload_id, digest).status_code == 201


def test_a_part_larger_than_the_part_size_is_refused(client, platform_pki, regions, bidder, settings):
    from trading.actions import bids

    tender = published_tender()
    client.force_login(bidder)
    size = bids.PART_SIZE + 1
    upload_id = client.post("/api/uploads/", {"tender": tender.pk, "size": size},
                            content_type="application/json").json()["id"]
    response = client.put(f"/api/uploads/{upload_id}/parts/?offset=0", b"x" * size,
                          content_type="application/octet-stream")
    assert (response.status_code, response.json()["code"]) == (413, "part_too_large")
    assert BidUpload.objects.get(pk=upload_id).received == 0


def test_a_malformed_upload_id_is_refused(client, tender, bidder):
    client.force_login(bidder)
    response = client.get("/api/uploads/not-a-uuid-0000-0000-0000-000000000000/")
    assert (response.status_code, response.json()["code"], response.json()["parameter"]) == (
        400, "invalid_parameter", "id")  # like every id of the API (issue 9 item 10)
