"""The verification page is public (issue 14: the records say anyone may verify them). A visitor sees
what the PDF itself shows, nothing more; checks are counted per network address or per person."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.models import Entry
from tests.factories import PASSWORD

from .helpers import flip_byte_in_first_revision, read

URL = "/records/verify/"


def _check(client, data, name="report.pdf", **extra):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)}, **extra)


def test_a_visitor_verifies_a_record_without_signing_in(client, produced_report, report_data):
    client.cookies["django_language"] = "en"
    entries = Entry.objects.count()

    assert client.get(URL).status_code == 200
    response = _check(client, read(produced_report))

    assert response.status_code == 200
    body = response.content.decode()
    assert "All 4 signatures are valid." in body
    for expert in report_data.experts:  # the signers: what the PDF itself shows
        assert expert.name in body
    assert produced_report.sha256 in body
    assert f"entered in the trading log as entry {produced_report.ledger_seq}" in body
    # Nothing of the platform beyond the file: no download link, no record list, and nothing logged.
    assert reverse("records:download", args=[produced_report.pk]) not in body
    assert 'href="/records/"' not in body
    assert Entry.objects.count() == entries


def test_a_visitor_sees_a_tampered_record_as_broken(client, produced_report):
    client.cookies["django_language"] = "en"
    body = _check(client, flip_byte_in_first_revision(read(produced_report))).content.decode()
    assert "4 of 4 signatures are not valid." in body
    assert "entered in the trading log" not in body  # a changed file is not the platform's record


def test_the_page_speaks_chinese_to_visitors_and_is_in_the_menu(client, db):
    body = client.get("/").content.decode()
    assert 'id="nav-verify" href="/records/verify/"' in body or 'href="/records/verify/" id="nav-verify"' in body
    body = client.get(URL).content.decode()
    assert '<html lang="zh-CN">' in body and "任何人无需登录即可在此核验记录。" in body


def test_checks_are_limited_per_address_for_visitors(client, db, settings):
    settings.RECORDS_VERIFY_LIMIT, settings.RECORDS_VERIFY_WINDOW = 2, 600
    client.cookies["django_language"] = "en"
    not_pdf = b"PK\x03\x04 not a pdf"
    assert [_check(client, not_pdf).status_code for _ in range(2)] == [400, 400]

    refused = _check(client, not_pdf)

    assert refused.status_code == 429
    assert "Too many files checked from your account or network address. Please wait 10 minutes" in (
        refused.content.decode())
    # Another address is counted apart; reading the page is never limited.
    assert _check(client, not_pdf, REMOTE_ADDR="10.0.0.9").status_code == 400
    assert client.get(URL).status_code == 200


def test_a_signed_in_user_is_counted_apart_from_their_address(client, make_user, settings):
    settings.RECORDS_VERIFY_LIMIT = 1
    not_pdf = b"PK\x03\x04 not a pdf"
    assert _check(client, not_pdf).status_code == 400
    assert _check(client, not_pdf).status_code == 429
    user = make_user("bidder")
    assert client.login(username=user.username, password=PASSWORD)
    assert _check(client, not_pdf).status_code == 400
    assert _check(client, not_pdf).status_code == 429
