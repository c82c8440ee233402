"""Collusion alerts on where bids came from (IP address, device), shared legal representatives and identical
document metadata (issue 15): each fires on a constructed case, stays silent on a clean one, and nothing is
scanned before the bid deadline (招标投标法 art. 22)."""

import datetime
import hashlib
import io
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from reportlab.pdfgen import canvas

from evaluation import alerts, alerts_origin
from evaluation.models import Alert
from tests.evaluation.test_alerts import opened_bid, tender_in
from tests.factories import make_org
from tests.trading.bidding import bidder_with_keys, published_tender, sealed_bid, upload
from trading.models import Bid


def _deadline_passed(tender):
    type(tender).objects.filter(pk=tender.pk).update(bid_deadline=timezone.now() - datetime.timedelta(hours=1))
    tender.refresh_from_db()


def test_finalize_records_the_address_and_a_digest_of_the_device_only(client, platform_pki, regions):
    tender = published_tender()
    bidder = bidder_with_keys()
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    upload_id = upload(client, tender, data)
    response = client.post(f"/api/uploads/{upload_id}/finalize/", {"sha256": digest}, content_type="application/json",
                           REMOTE_ADDR="203.0.113.7", HTTP_X_CLIENT_DEVICE="device-123")
    assert response.status_code == 201, response.content
    bid = Bid.objects.get(receipt_no=response.json()["receipt_no"])
    assert bid.client_ip == "203.0.113.7"
    assert bid.client_device == hashlib.sha256(b"device-123").hexdigest()
    # Without a device id (an old client), no device is recorded: a User-Agent is not a device.
    data2, digest2 = sealed_bid(tender, bidder, price=9_700_000_00)
    response = client.post(f"/api/uploads/{upload(client, tender, data2)}/finalize/", {"sha256": digest2},
                           content_type="application/json", HTTP_USER_AGENT="Mozilla/5.0")
    assert response.status_code == 201
    assert Bid.objects.get(receipt_no=response.json()["receipt_no"]).client_device == ""


def _origin(bid_opened, ip=None, device=""):
    Bid.objects.filter(pk=bid_opened.bid_id).update(client_ip=ip, client_device=device)


def test_same_ip_across_two_companies_fires_and_one_company_twice_does_not(regions):
    tender = tender_in("511921")
    a, b, c = opened_bid(tender), opened_bid(tender), opened_bid(tender)
    _origin(a, "198.51.100.4")
    _origin(b, "198.51.100.4")
    _origin(c, "198.51.100.5")
    found = alerts_origin.same_origin(tender)
    assert [(f["rule"], f["evidence"]["field"], f["evidence"]["value"]) for f in found] == [
        ("same_origin", "ip", "198.51.100.4")]
    assert sorted(x["bid_id"] for x in found[0]["evidence"]["bids"]) == sorted([a.bid_id, b.bid_id])

    clean = tender_in("511921")
    x, y = opened_bid(clean), opened_bid(clean)
    _origin(x, "198.51.100.4")
    _origin(y, "198.51.100.6", "")
    assert alerts_origin.same_origin(clean) == []


def test_same_device_fires(regions):
    tender = tender_in("511921")
    a, b = opened_bid(tender), opened_bid(tender)
    _origin(a, "198.51.100.1", "d" * 64)
    _origin(b, "198.51.100.2", "d" * 64)
    found = alerts_origin.same_origin(tender)
    assert [(f["evidence"]["field"], f["evidence"]["value"]) for f in found] == [("device", "d" * 64)]


def test_a_shared_legal_representative_fires(regions):
    tender = tender_in("511921")
    first, second, third = (make_org("bidder", "511921") for _ in range(3))
    for org, person in ((first, "王  建国"), (second, "王 建国"), (third, "李四")):
        org.legal_representative = " ".join(person.split())
        org.save(update_fields=["legal_representative"])
        opened_bid(tender, org)
    found = [f for f in alerts.shared_contacts(tender) if f["evidence"]["field"] == "legal_representative"]
    assert len(found) == 1 and found[0]["evidence"]["value"] == "王 建国"
    assert {o["organization_id"] for o in found[0]["evidence"]["organizations"]} == {first.pk, second.pk}


def _pdf(author, creator):
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)  # invariant: a fixed creation date, as two copies of one template have
    c.setAuthor(author)
    c.setCreator(creator)
    c.drawString(72, 720, "bid")
    c.save()
    return default_storage.save(f"alerts-test/{uuid.uuid4()}.pdf", ContentFile(out.getvalue()))


def _with_pdf(opened, storage_name):
    opened.files.create(name="投标文件.pdf", media_type="application/pdf", size=1, sha256=uuid.uuid4().hex * 2,
                        storage_name=storage_name)


def test_identical_document_metadata_fires_and_different_authors_do_not(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tender = tender_in("511921")
    a, b, c = opened_bid(tender), opened_bid(tender), opened_bid(tender)
    _with_pdf(a, _pdf("张三", "WPS Office"))
    _with_pdf(b, _pdf("张三", "WPS Office"))
    _with_pdf(c, _pdf("李四", "WPS Office"))
    found = alerts_origin.same_metadata(tender)
    assert len(found) == 1 and found[0]["rule"] == "same_metadata"
    assert found[0]["evidence"]["author"] == "张三" and found[0]["evidence"]["creator"] == "WPS Office"
    assert {f["bid_id"] for f in found[0]["evidence"]["files"]} == {a.bid_id, b.bid_id}
    assert alerts_origin.pdf_metadata(_pdf("", "WPS Office")) is None  # missing author: nothing to compare


def test_a_damaged_file_is_no_evidence(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("alerts-test/broken.pdf", ContentFile(b"%PDF-1.7 not really"))
    assert alerts_origin.pdf_metadata(name) is None


def test_nothing_is_scanned_before_the_bid_deadline(regions):
    tender = tender_in("511921")
    a, b = opened_bid(tender), opened_bid(tender)
    _origin(a, "198.51.100.9")
    _origin(b, "198.51.100.9")
    assert alerts.scan() == 0 and not Alert.objects.exists()
    _deadline_passed(tender)
    assert alerts.scan() == 1
    assert list(Alert.objects.values_list("rule", flat=True)) == ["same_origin"]


