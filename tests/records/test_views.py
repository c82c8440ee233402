"""The record list, the download and the verify page, driven as a user would."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import Record
from records.render import LedgerAnchor, render
from records.render.samples import sample_bid_receipt
from tests.factories import PASSWORD

from .helpers import flip_byte_in_first_revision, read

EN = {}  # English is chosen with the language switch's cookie, set at login (Accept-Language is ignored)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies["django_language"] = "en"
    return client


def upload(client, name, data):
    return client.post(reverse("records:verify"), {"file": SimpleUploadedFile(name, data)}, **EN)


# --- verify page ---------------------------------------------------------------------------

def test_the_verify_page_is_open_to_anonymous_users(client, db):
    # The records say anyone may verify them (issue 14): tests/records/test_public_verification.py.
    assert client.get(reverse("records:verify")).status_code == 200
    assert client.post(reverse("records:verify"), {"file": io.BytesIO(b"%PDF-")}).status_code == 400


def test_the_verify_page_shows_every_signature_of_a_record(client, make_user, produced_report, report_data):
    login(client, make_user("bidder"))

    response = upload(client, "report.pdf", read(produced_report))

    assert response.status_code == 200
    body = response.content.decode()
    assert "All 4 signatures are valid." in body
    for expert in report_data.experts:
        assert expert.name in body
    assert "巴中市公共资源交易平台 电子签章" in body
    assert body.count("Issued by the platform CA") == 4
    assert "Covers the whole document" in body
    assert produced_report.sha256 in body
    assert f"entered in the trading log as entry {produced_report.ledger_seq}" in body


def test_the_verify_page_reports_a_tampered_record(client, make_user, produced_report):
    login(client, make_user("bidder"))

    response = upload(client, "report.pdf", flip_byte_in_first_revision(read(produced_report)))

    body = response.content.decode()
    assert response.status_code == 200
    assert "4 of 4 signatures are not valid." in body
    assert body.count("Broken: the signed content was changed") == 4


def test_a_non_pdf_upload_gets_a_clear_message_not_an_error_page(client, make_user):
    login(client, make_user("bidder"))

    response = upload(client, "letter.docx", b"PK\x03\x04 this is a zip file, not a PDF")

    assert response.status_code == 400
    assert "This file is not a PDF document." in response.content.decode()


def test_a_damaged_pdf_gets_a_clear_message(client, make_user):
    login(client, make_user("bidder"))

    response = upload(client, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")

    assert response.status_code == 400
    assert "This PDF is damaged and cannot be read." in response.content.decode()


def test_a_post_without_a_file_asks_for_one(client, make_user):
    login(client, make_user("bidder"))

    response = client.post(reverse("records:verify"), {}, **EN)

    assert response.status_code == 400
    assert "Choose a PDF file to check." in response.content.decode()


def test_an_unsigned_pdf_is_reported_as_unsigned(client, make_user, platform_pki):
    login(client, make_user("bidder"))
    pdf = render("bid_receipt", sample_bid_receipt(), anchor=LedgerAnchor(1, "0" * 64)).pdf

    response = upload(client, "receipt.pdf", pdf)

    assert response.status_code == 200
    assert "This PDF carries no signature." in response.content.decode()


def test_the_verify_page_speaks_chinese_by_default(client, make_user):
    login(client, make_user("bidder"))
    del client.cookies["django_language"]

    response = client.get(reverse("records:verify"))

    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.content.decode()


# --- record list -----------------------------------------------------------------------------

def test_a_regulator_sees_every_record_with_its_hash_signers_and_ledger_entry(client, city_regulator, produced_report):
    login(client, city_regulator)

    response = client.get(reverse("records:list"), **EN)

    body = response.content.decode()
    assert response.status_code == 200
    assert produced_report.sha256 in body
    assert produced_report.tender_ref in body
    assert "、".join(produced_report.signer_names()) in body
    assert f'<td class="mono">{produced_report.ledger_seq}</td>' in body
    assert reverse("records:download", args=[produced_report.pk]) in body
    assert 'method="post"' not in body.split("<main")[1]  # nothing to act on: read-only


def test_the_record_list_is_read_only_for_regulators(client, city_regulator, produced_report):
    login(client, city_regulator)
    before = list(Record.objects.values())

    response = client.post(reverse("records:list"), {"kind": "bid_receipt"})

    assert response.status_code == 405
    assert list(Record.objects.values()) == before


def test_the_record_list_is_refused_to_bidders(client, make_user, produced_report):
    login(client, make_user("bidder"))

    assert client.get(reverse("records:list")).status_code == 403


def test_a_county_regulator_sees_only_the_records_of_their_county(client, make_user, produced_report):
    login(client, make_user("regulator", "511922"))  # the report belongs to 通江县 511921

    response = client.get(reverse("records:list"))

    assert response.status_code == 200
    assert produced_report.sha256 not in response.content.decode()


def test_the_record_list_filters_by_tender(client, city_regulator, produced_report):
    login(client, city_regulator)

    assert produced_report.sha256 in client.get(reverse("records:list"), {"tender": produced_report.tender_ref}).content.decode()
    assert produced_report.sha256 not in client.get(reverse("records:list"), {"tender": "other"}).content.decode()


def test_the_record_list_stays_within_a_query_budget(client, city_regulator, produced_report,
                                                      django_assert_max_num_queries):
    login(client, city_regulator)

    with django_assert_max_num_queries(12):
        assert client.get(reverse("records:list")).status_code == 200


# --- download --------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["city_regulator", "tongjiang_regulator", "tongjiang_staff", "signer"])
def test_people_who_may_read_a_record_download_it(client, request, produced_report, committee, who):
    user = committee[0] if who == "signer" else request.getfixturevalue(who)
    login(client, user)

    response = client.get(reverse("records:download", args=[produced_report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == read(produced_report)


@pytest.mark.parametrize("who", ["bidder", "nanjiang_regulator", "other_expert"])
def test_others_may_not_download_a_record(client, make_user, make_expert, produced_report, who):
    user = {"bidder": lambda: make_user("bidder"), "nanjiang_regulator": lambda: make_user("regulator", "511922"),
            "other_expert": lambda: make_expert("路人甲")}[who]()
    login(client, user)

    assert client.get(reverse("records:download", args=[produced_report.pk])).status_code == 403


def test_the_bidder_a_receipt_is_issued_to_downloads_it_and_no_other_bidder(client, make_user, platform_pki):
    from records.actions import produce_record

    bidder, rival = make_user("bidder"), make_user("bidder")
    record = produce_record("bid_receipt", sample_bid_receipt(), tender_ref="T", organization=bidder.organization)

    assert login(client, bidder).get(reverse("records:download", args=[record.pk])).status_code == 200
    assert login(client, rival).get(reverse("records:download", args=[record.pk])).status_code == 403


def test_download_needs_a_signed_in_user_and_an_existing_record(client, city_regulator, produced_report):
    assert client.get(reverse("records:download", args=[produced_report.pk])).status_code == 302
    login(client, city_regulator)
    assert client.get(reverse("records:download", args=[produced_report.pk + 999])).status_code == 404


# --- bid receipts: who has bid stays secret until the deadline (招标投标法 art. 22) ---------------

@pytest.fixture
def receipt_before_deadline(platform_pki, regions):
    """A bid on a 通江县 tender and its receipt record, produced as the platform does after finalize."""
    from django.test import Client

    from tests.trading.bidding import bidder_with_keys, published_tender, submit
    from trading.actions.receipt_pdf import produce_receipt_pdf

    tender = published_tender()
    bidder = bidder_with_keys()
    bid = submit(Client(), tender, bidder)
    return tender, bidder, Record.objects.get(pk=produce_receipt_pdf(bid["id"]))


@pytest.mark.parametrize(("role", "region"), [("staff", "511921"), ("staff", "511900"), ("regulator", "511921"),
                                              ("regulator", "511900")])
def test_supervisors_neither_list_nor_read_a_bid_receipt_before_the_deadline_and_do_after(
        client, make_user, receipt_before_deadline, role, region):
    import time_machine

    tender, bidder, record = receipt_before_deadline
    supervisor = make_user(role, region)
    login(client, supervisor)
    listing = client.get(reverse("records:list"))
    assert list(listing.context["page"].object_list) == []
    assert bidder.organization.name not in listing.content.decode()
    assert client.get(reverse("records:download", args=[record.pk])).status_code == 403

    with time_machine.travel(tender.bid_deadline, tick=False):
        login(client, supervisor)
        assert list(client.get(reverse("records:list")).context["page"].object_list) == [record]
        assert client.get(reverse("records:download", args=[record.pk])).status_code == 200


def test_after_the_deadline_staff_of_another_county_still_do_not_see_the_receipt(
        client, make_user, receipt_before_deadline):
    import time_machine

    tender, _bidder, record = receipt_before_deadline
    nanjiang = make_user("staff", "511922")
    with time_machine.travel(tender.bid_deadline, tick=False):
        login(client, nanjiang)
        assert list(client.get(reverse("records:list")).context["page"].object_list) == []
        assert client.get(reverse("records:download", args=[record.pk])).status_code == 403


def test_a_bid_receipt_record_and_its_log_entry_name_no_tender_or_region(receipt_before_deadline):
    from ledger.models import Entry

    tender, bidder, record = receipt_before_deadline
    assert (record.tender_ref, record.region_id, record.organization_id) == ("", None, bidder.organization_id)
    entry = Entry.objects.get(seq=record.ledger_seq)
    assert (entry.action, entry.region_code, entry.tender_ref, entry.actor_id) == ("record.signed", "", "", None)
    assert tender.code not in entry.payload and bidder.organization.name not in entry.payload
