"""From the deadline on, staff and regulators see how many bids are in and when, never their contents;
the receipt PDF."""

import pytest
import time_machine

from records.models import Record
from tests.factories import make_user
from tests.trading.bidding import bidder_with_keys, published_tender, submit
from trading.actions.receipt_pdf import produce_receipt_pdf
from trading.models import Bid


@pytest.fixture
def tender(platform_pki, regions):
    return published_tender()


def test_staff_see_the_count_and_arrival_times_from_the_deadline_on_but_no_bid_details(client, tender):
    bidder = bidder_with_keys()
    bid = submit(client, tender, bidder)
    staff = make_user("staff", "511921")
    client.force_login(staff)
    assert client.get(f"/tenders/{tender.pk}/").context["arrivals"] is None  # 招标投标法 art. 22
    with time_machine.travel(tender.bid_deadline, tick=False):
        client.force_login(staff)  # a month later: a new session
        page = client.get(f"/tenders/{tender.pk}/")
    body = page.content.decode()
    assert len(page.context["arrivals"]) == 1
    assert 'id="bid-count"' in body
    assert bid["receipt_no"] not in body and bid["sha256"] not in body
    assert bidder.organization.name not in body
    assert client.get(f"/api/bids/{bid['id']}/").status_code == 404


def test_a_regulator_of_another_county_sees_no_count(client, tender):
    submit(client, tender, bidder_with_keys())
    regulator = make_user("regulator", "511922")
    with time_machine.travel(tender.bid_deadline, tick=False):
        client.force_login(regulator)
        assert client.get(f"/tenders/{tender.pk}/").context.get("arrivals") is None


def test_the_bidder_sees_its_own_bid_on_the_tender_page(client, tender):
    bidder = bidder_with_keys()
    bid = submit(client, tender, bidder)
    page = client.get(f"/tenders/{tender.pk}/")
    assert [b.receipt_no for b in page.context["my_bids"]] == [bid["receipt_no"]]
    assert page.context["bid_page"]["tender"]["code"] == tender.code


def test_the_receipt_pdf_is_signed_and_linked_to_the_bid(client, tender):
    from records.verify import verify_pdf

    bidder = bidder_with_keys()
    bid = submit(client, tender, bidder)
    record_id = produce_receipt_pdf(bid["id"])
    assert produce_receipt_pdf(bid["id"]) == record_id  # idempotent
    record = Record.objects.get(pk=record_id)
    assert Bid.objects.get(pk=bid["id"]).receipt_record_id == record.pk
    response = client.get(f"/records/{record.pk}/download/")
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    report = verify_pdf(pdf)
    assert report.ok
    rival = bidder_with_keys()
    client.force_login(rival)
    assert client.get(f"/records/{record.pk}/download/").status_code in (403, 404)
