"""The signed PDF of an announcement: produced after the commit, sealed by the platform, verifying,
served to anyone."""

from records.models import Record
from records.verify import verify_pdf
from tests.announce.conftest import publish
from tests.records.helpers import flip_byte_in_first_revision, read
from trading.announce import announce
from trading.announce.pdf import produce_announcement_pdf
from trading.models import Announcement


def test_the_pdf_is_sealed_after_the_commit_and_verifies(regions, platform_pki, django_capture_on_commit_callbacks,
                                                          client):
    from tests.factories import make_tender, make_user

    staff = make_user("staff", "511921")
    with django_capture_on_commit_callbacks(execute=True):  # (approve_tender announces, once patched)
        tender = make_tender(make_user("tenderer", "511921"), "511921", publish_by=staff, title="通江县道路工程")
        a = announce(tender, "tender", actor=staff)
    a.refresh_from_db()
    record = a.record
    assert record is not None and record.kind == Record.Kind.ANNOUNCEMENT == "announcement"
    assert (record.tender_ref, record.region.code, record.title) == (tender.code, "511921", "通江县道路工程招标公告")
    pdf = read(record)
    report = verify_pdf(pdf)
    assert report.ok and len(report.signatures) == 1  # the platform seal
    assert not verify_pdf(flip_byte_in_first_revision(pdf)).ok

    response = client.get(f"/announcements/{a.pk}/pdf/")  # anonymous
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf


def test_producing_twice_makes_one_record(published):
    a = Announcement.objects.get(tender=published)
    assert a.record_id is None
    first = produce_announcement_pdf(a.pk)
    assert produce_announcement_pdf(a.pk) == first
    assert Record.objects.filter(kind="announcement").count() == 1


def test_no_pdf_yet_is_a_404_and_the_page_says_it_is_being_prepared(published, client):
    a = Announcement.objects.get(tender=published)
    assert client.get(f"/announcements/{a.pk}/pdf/").status_code == 404
    assert b'id="announcement-pdf-pending"' in client.get(f"/announcements/{a.pk}/").content


def test_a_failed_signing_does_not_undo_the_announcement(regions, platform_pki, settings,
                                                         django_capture_on_commit_callbacks, tmp_path):
    tender = publish(title="签章失败的标段")  # announced without running the commit callbacks
    settings.PKI_DIR = tmp_path / "no-pki"  # the seal cannot be loaded
    a = Announcement.objects.get(tender=tender)
    with django_capture_on_commit_callbacks(execute=True):
        announce(tender, "failure", source="fewer_than_three_bids")
    assert Announcement.objects.filter(tender=tender).count() == 2
    assert not Record.objects.filter(kind="announcement").exists()
    a.refresh_from_db()
    assert a.record_id is None
