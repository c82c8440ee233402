"""Opening bids in the background: a corrupted bid is revoked (电子招标投标办法 art. 31), a lost file is
withdrawn, a crashed worker's rerun finishes without opening any bid twice; decrypted documents."""

import pytest
from django.core.files.storage import default_storage

from ledger.models import Entry
from tests.realtime.opening_setup import opening_scene
from trading import actions
from trading.actions import opening
from trading.models import Bid, DocumentRead, OpenedBid


@pytest.fixture
def scene(platform_pki, regions):
    return opening_scene(3, corrupt=(1,))


def _release(scene, n=2):
    with scene.after_deadline():
        for custodian in scene.custodians[:n]:
            opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))


def test_a_corrupted_bid_is_revoked_with_its_reason_and_the_others_open(scene):
    _release(scene)
    assert opening.open_bids(scene.tender.pk) == 3
    outcomes = {o.bid.receipt_no: o for o in OpenedBid.objects.select_related("bid")}
    bad = outcomes[scene.bids[1]["receipt_no"]]
    assert (bad.outcome, bad.reason_code) == ("revoked", "corrupt_chunk")
    assert "投标人" in bad.reason
    assert bad.files.count() == 0
    good = outcomes[scene.bids[0]["receipt_no"]]
    assert (good.outcome, good.bid_letter["price"]) == ("opened", 1000_0000_00)
    stored = good.files.get()
    assert default_storage.open(stored.storage_name).read() == b"bid 0 " * 5000
    assert scene.tender.opening.__class__.objects.get(tender=scene.tender).status == "reading"


def test_a_bid_whose_stored_file_is_lost_is_withdrawn_not_revoked(platform_pki, regions):
    scene = opening_scene(3)
    default_storage.delete(Bid.objects.get(pk=scene.bids[2]["id"]).envelope)
    _release(scene)
    opening.open_bids(scene.tender.pk)
    lost = OpenedBid.objects.get(bid_id=scene.bids[2]["id"])
    assert (lost.outcome, lost.reason_code) == ("withdrawn", "storage")


def test_a_worker_that_dies_midway_is_rerun_without_opening_any_bid_twice(scene, monkeypatch):
    _release(scene)
    real = opening._open_one
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 2:
            raise SystemExit("worker killed")  # what a killed process looks like from here
        return real(*args, **kwargs)

    monkeypatch.setattr(opening, "_open_one", crash_on_second)
    with pytest.raises(SystemExit):
        opening.open_bids(scene.tender.pk)
    assert OpenedBid.objects.count() == 1
    monkeypatch.setattr(opening, "_open_one", real)
    assert opening.open_bids(scene.tender.pk) == 2
    assert opening.open_bids(scene.tender.pk) == 0  # nothing left: a third run opens nothing
    logged = list(Entry.objects.filter(action="opening.bid_opened").values_list("payload", flat=True))
    assert len(logged) == 3
    assert len({p for p in logged}) == 3


def test_decrypted_documents_are_read_by_staff_only_and_each_read_is_logged(client, scene):
    _release(scene)
    opening.open_bids(scene.tender.pk)
    stored = OpenedBid.objects.get(bid_id=scene.bids[0]["id"]).files.get()
    url = f"/tenders/{scene.tender.pk}/opened/{stored.pk}/"
    assert client.get(url).status_code in (302, 403, 404)
    client.force_login(scene.bidders[1])
    assert client.get(url).status_code == 403
    client.force_login(scene.regulator)
    assert client.get(url).status_code == 403
    client.force_login(scene.host)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"bid 0 " * 5000
    assert DocumentRead.objects.filter(file=stored, user=scene.host).count() == 1
    assert Entry.objects.filter(action="opening.document_read").count() == 1


def test_the_clock_task_at_the_deadline_starts_the_opening(scene):
    with scene.after_deadline():
        actions.record_clock_stages(scene.tender.pk)
    scene.tender.refresh_from_db()
    assert scene.tender.status == "opening"


def test_closing_the_opening_produces_the_signed_opening_record(client, scene):
    from records.models import Record
    from records.verify import verify_pdf
    from trading.actions.opening_record import produce_opening_record
    from trading.models import Opening

    _release(scene)
    with scene.after_deadline():
        opening.open_bids(scene.tender.pk)
        opening.confirm_record(actor=scene.bidders[0], tender_id=scene.tender.pk)
        item = opening.confirm_record(actor=scene.bidders[2], tender_id=scene.tender.pk, objection_text="报价有误")
        opening.answer_objection_on_spot(actor=scene.host, confirmation_id=item.pk, answer="已核对无误")
        opening.close_opening(actor=scene.host, tender_id=scene.tender.pk)
    record_id = produce_opening_record(scene.tender.pk)
    assert produce_opening_record(scene.tender.pk) == record_id
    assert Opening.objects.get(tender=scene.tender).record_id == record_id
    record = Record.objects.get(pk=record_id)
    client.force_login(scene.host)
    response = client.get(f"/records/{record.pk}/download/")
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    report = verify_pdf(pdf)
    assert report.ok
    assert len(report.signatures) == 2

    # Every bidder of the tender may read it (its bid was opened or revoked alike); a bidder of another
    # tender may not.
    for bidder in scene.bidders:
        client.force_login(bidder)
        response = client.get(f"/records/{record.pk}/download/")
        assert response.status_code == 200
        pdf_of_bidder = b"".join(response.streaming_content) if response.streaming else response.content
        assert pdf_of_bidder == pdf
        assert f'href="/records/{record.pk}/download/"' in client.get(f"/tenders/{scene.tender.pk}/").content.decode()
    client.force_login(scene.outsider)
    assert client.get(f"/records/{record.pk}/download/").status_code == 403
    page = client.get(f"/tenders/{scene.tender.pk}/").content.decode()
    # The signed record itself stays with the tender's parties; the public learns the opening from its
    # announcement (开标记录公告, issue 13), a separate PDF signed by the platform seal.
    assert f"/records/{record.pk}/" not in page
    from trading.models import Announcement

    announcement = Announcement.objects.get(tender=scene.tender, kind="opening_record")
    assert f"/announcements/{announcement.pk}/" in page
