"""Item 10: an integer parameter that is not one, or is outside the database's range, is refused
(API: 400 `invalid_parameter` naming it; pages: 404), never a server error."""

import uuid

import pytest
from django.urls import get_resolver
from django.urls.converters import IntConverter

from ledger.models import Entry
from trading.models import BidUpload, Tender

HUGE = "99999999999999999999999"
TOO_BIG = str(2**63)  # one past the largest key PostgreSQL and SQLite hold
NOT_INTEGERS = [HUGE, TOO_BIG, "0", "-1", "abc", "1.5", "1e3", "١٢", " ", "0x10"]


def _refused(response, parameter):
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], body["parameter"]) == ("invalid_parameter", parameter)
    return body


def test_a_huge_tender_filter_on_bids_is_refused_not_a_server_error(client, bidder_token):
    response = client.get(f"/api/bids/?tender={HUGE}", HTTP_AUTHORIZATION=f"Token {bidder_token}")
    body = _refused(response, "tender")
    assert body["detail"] == "参数“tender”必须是 1 到 9223372036854775807 之间的整数。"


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_every_non_integer_tender_filter_is_refused(client, bidder_token, value):
    _refused(client.get("/api/bids/", {"tender": value}, HTTP_AUTHORIZATION=f"Token {bidder_token}"), "tender")


def test_the_largest_id_is_a_valid_filter(client, bidder_token):
    response = client.get(f"/api/bids/?tender={2**63 - 1}", HTTP_AUTHORIZATION=f"Token {bidder_token}")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_a_page_number_that_is_not_one_is_refused(client, value):
    _refused(client.get("/api/tenders/", {"page": value}), "page")


def test_a_page_past_the_last_is_not_found(client, published_tender):
    assert client.get("/api/tenders/", {"page": "1"}).json()["count"] == 1
    response = client.get("/api/tenders/", {"page": "2"})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("value", [HUGE, TOO_BIG, "0", "-1", "abc"])
def test_a_tender_path_id_out_of_range_is_refused(client, value):
    _refused(client.get(f"/api/tenders/{value}/"), "id")


def test_a_missing_tender_is_not_found_with_its_code(client):
    response = client.get(f"/api/tenders/{2**63 - 1}/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("path", [
    f"/api/tenders/{HUGE}/submit/", f"/api/tenders/{HUGE}/approve/", f"/api/tenders/{HUGE}/return/",
    f"/api/tenders/{HUGE}/amendments/", f"/api/tenders/{HUGE}/objections/", f"/api/tenders/{HUGE}/documents/",
    f"/api/objections/{HUGE}/answer/", f"/api/bids/{HUGE}/withdraw/", "/api/tenders/abc/submit/",
])
def test_writes_to_an_impossible_id_are_refused_and_change_nothing(client, tenderer, path):
    client.force_login(tenderer)
    before = (Entry.objects.count(), Tender.objects.count())
    _refused(client.post(path, {}, content_type="application/json"), "id")
    assert (Entry.objects.count(), Tender.objects.count()) == before


def test_reads_of_an_impossible_bid_are_refused(client, bidder_token):
    auth = {"HTTP_AUTHORIZATION": f"Token {bidder_token}"}
    _refused(client.get(f"/api/bids/{HUGE}/", **auth), "id")
    _refused(client.get(f"/api/bids/{HUGE}/envelope/", **auth), "id")


def test_an_upload_id_that_is_not_a_uuid_is_refused(client, bidder_token):
    auth = {"HTTP_AUTHORIZATION": f"Token {bidder_token}"}
    _refused(client.get("/api/uploads/not-a-uuid/", **auth), "id")
    _refused(client.get("/api/uploads/" + "-" * 36 + "/", **auth), "id")
    response = client.get(f"/api/uploads/{str(uuid.uuid4()).upper()}/", **auth)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("offset", [HUGE, "-1", "abc", ""])
def test_a_part_offset_that_is_not_a_byte_position_is_refused(client, bidder_token, offset):
    response = client.put(f"/api/uploads/{uuid.uuid4()}/parts/?offset={offset}", b"x" * 10,
                          content_type="application/octet-stream", HTTP_AUTHORIZATION=f"Token {bidder_token}")
    _refused(response, "offset")


def test_revoking_an_impossible_token_id_is_refused(client, bidder):
    client.force_login(bidder)
    _refused(client.delete(f"/api/tokens/{HUGE}/"), "id")


def test_ids_in_a_request_body_are_bounded_too(client, bidder_token, tenderer):
    response = client.post("/api/uploads/", {"tender": int(HUGE), "size": 10}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {bidder_token}")
    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == ("invalid", ["tender"])
    assert BidUpload.objects.count() == 0
    client.force_login(tenderer)
    response = client.post("/api/tenders/", {"project": int(HUGE)}, content_type="application/json")
    assert response.status_code == 400
    assert "project" in response.json()["errors"]


def test_an_anonymous_request_is_refused_for_its_login_before_its_parameters(client):
    response = client.get(f"/api/bids/{HUGE}/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


# --- Pages ------------------------------------------------------------------------------------------

def _page_routes():
    """Every page route that takes an id, from the URL configuration (a new one cannot escape)."""
    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.pattern.converters

    return [(route, converters) for route, converters in walk(get_resolver().url_patterns)
            if converters and not route.startswith("api/")]


def test_no_page_route_takes_an_unbounded_int():
    routes = _page_routes()
    assert len(routes) >= 15
    assert [route for route, converters in routes if any(isinstance(c, IntConverter) for c in converters.values())] \
        == []


@pytest.mark.parametrize("value", [HUGE, TOO_BIG, "0"])
def test_every_page_with_an_id_answers_404_to_an_impossible_one(client, make_user, value):
    client.force_login(make_user("staff", "511900"))
    for route, converters in _page_routes():
        url = "/" + route
        for name in converters:
            url = url.replace(f"<id:{name}>", value)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, (url, response.status_code)


@pytest.mark.parametrize("custodian", [HUGE, TOO_BIG, "abc"])
def test_an_impossible_custodian_id_in_the_staff_form_gets_a_message_not_a_server_error(
        client, tenderer, make_user, custodian):
    from tests.factories import make_tender
    from trading import actions

    tender = make_tender(tenderer)
    actions.submit_tender(actor=tenderer, tender_id=tender.pk)
    client.force_login(make_user("staff", "511921"))
    before = (Entry.objects.count(), tender.custodians.count())
    response = client.post(f"/tenders/{tender.pk}/custodians/", {"custodians": [custodian], "threshold": "2"},
                           follow=True)
    assert response.status_code == 200
    assert "请选择保管人并填写整数门限。" in response.content.decode()
    assert (Entry.objects.count(), tender.custodians.count()) == before
