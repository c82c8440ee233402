"""The release package: pages, the date window (Beijing days), errors with their stable code; the record
endpoint's 404s; the ocid prefix setting."""

import datetime

import pytest
import time_machine

from ledger.models import Entry
from tests.factories import make_tender, make_user
from trading.api_ocds import ReleasePagination
from trading.ocds import validate
from trading.ocds.build import ocid

# 16:30 UTC on November 3rd is 00:30 on November 4th in Beijing.
LATE = datetime.datetime(2026, 11, 3, 16, 30, tzinfo=datetime.UTC)


@pytest.fixture
def three_tenders(regions, platform_pki):
    """Three tenders published one day apart, the first at LATE."""
    owner, staff = make_user("tenderer", "511921"), make_user("staff", "511921")
    tenders = []
    for day in range(3):
        with time_machine.travel(LATE + datetime.timedelta(days=day), tick=False):
            tenders.append(make_tender(owner, "511921", publish_by=staff))
    return tenders


def _ids(response):
    assert response.status_code == 200, response.content
    return [r["tender"]["id"] for r in response.json()["releases"]]


def test_the_package_validates_and_pages_go_by_the_log(client, three_tenders, monkeypatch):
    monkeypatch.setattr(ReleasePagination, "page_size", 2)
    first = client.get("/api/ocds/releases/")
    package = first.json()
    assert validate.package_errors(package) == []  # `links` (OCDS's paging convention) is an allowed extra
    assert _ids(first) == [t.code for t in three_tenders[:2]]
    assert package["links"] == {"next": "http://testserver/api/ocds/releases/?page=2", "prev": None}
    second = client.get(package["links"]["next"])
    assert _ids(second) == [three_tenders[2].code]
    assert second.json()["links"]["next"] is None
    assert second.json()["publishedDate"] == second.json()["releases"][0]["date"]
    past = client.get("/api/ocds/releases/", {"page": 3})
    assert (past.status_code, past.json()["code"]) == (404, "not_found")


def test_a_date_is_a_whole_day_of_beijing_time(client, three_tenders):
    codes = [t.code for t in three_tenders]
    assert _ids(client.get("/api/ocds/releases/", {"until": "2026-11-03"})) == []
    assert _ids(client.get("/api/ocds/releases/", {"since": "2026-11-04", "until": "2026-11-04"})) == codes[:1]
    assert _ids(client.get("/api/ocds/releases/", {"since": "2026-11-05"})) == codes[1:]
    assert _ids(client.get("/api/ocds/releases/", {"until": "2026-11-05"})) == codes[:2]


def test_a_date_and_time_with_its_offset_is_that_instant(client, three_tenders):
    codes = [t.code for t in three_tenders]
    published = Entry.objects.get(tender_ref=codes[1], action="tender.published").created_at
    at = published.isoformat()
    assert _ids(client.get("/api/ocds/releases/", {"since": at})) == codes[1:]
    assert _ids(client.get("/api/ocds/releases/", {"until": at})) == codes[:2]  # inclusive
    assert _ids(client.get("/api/ocds/releases/", {"since": "2026-11-05T00:30:00+08:00", "until": at})) == codes[1:2]
    assert _ids(client.get("/api/ocds/releases/", {"since": "2026-11-04T16:30:00.000001Z"})) == codes[2:]


@pytest.mark.parametrize(("params", "parameter"), [
    ({"since": "2026-13-01"}, "since"),
    ({"since": "yesterday"}, "since"),
    ({"until": "2026-12-03T08:00:00"}, "until"),  # no offset: which 08:00?
    ({"until": "9999-12-31"}, "until"),
    ({"since": "0001-01-01"}, "since"),
    ({"since": "２０２６-１２-０３"}, "since"),
    ({"since": "2026-12-04", "until": "2026-12-03"}, "until"),
    ({"page": "0"}, "page"),
    ({"page": "1.5"}, "page"),
])
@pytest.mark.parametrize("path", ["/api/ocds/releases/", "/api/ocds/releases.jsonl"])
def test_a_bad_parameter_is_refused_with_its_name(client, db, path, params, parameter):
    if path.endswith(".jsonl") and "page" in params:
        return  # the dump has no pages
    response = client.get(path, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["code"], body["parameter"]) == ("invalid_parameter", parameter)


def test_no_release_yet_is_an_empty_first_page(client, db):
    response = client.get("/api/ocds/releases/")
    assert response.status_code == 200
    assert response.json()["releases"] == []


def test_a_record_is_found_by_its_ocid_only(client, three_tenders, regions):
    draft = make_tender(make_user("tenderer", "511921"), "511921")
    code = three_tenders[0].code
    assert client.get(f"/api/ocds/records/{ocid(code)}/").status_code == 200
    for wrong in [f"ocds-zzzzzz-{code}", code, f"{ocid(code)}9", ocid(draft.code), "ocds-bzggzy-", "%00"]:
        response = client.get(f"/api/ocds/records/{wrong}/")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), wrong


def test_the_prefix_is_a_setting(client, three_tenders, settings):
    settings.OCDS_OCID_PREFIX = "ocds-a1b2c3"
    code = three_tenders[0].code
    response = client.get(f"/api/ocds/records/ocds-a1b2c3-{code}/")
    assert response.status_code == 200
    assert response.json()["records"][0]["ocid"] == f"ocds-a1b2c3-{code}"
    assert response.json()["records"][0]["releases"][0]["id"].startswith(f"ocds-a1b2c3-{code}-")
    assert client.get(f"/api/ocds/records/ocds-bzggzy-{code}/").status_code == 404


def test_no_login_is_needed_and_a_stale_token_changes_nothing(client, three_tenders):
    for path in ["/api/ocds/releases/", f"/api/ocds/records/{ocid(three_tenders[0].code)}/",
                 "/api/ocds/releases.jsonl"]:
        assert client.get(path, HTTP_AUTHORIZATION="Token bzt_revoked").status_code == 200, path


def test_a_page_reads_its_tenders_in_a_fixed_number_of_queries(client, three_tenders, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = client.get("/api/ocds/releases/")
    assert len(response.json()["releases"]) == 3
