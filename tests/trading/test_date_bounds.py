"""Every tender date lies within TENDER_MAX_HORIZON_DAYS of now: far-future dates are refused with
`date_out_of_range` on the API and the forms, never a 500 (a date near 9999 overflows the calendar)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ledger.models import Entry
from tests.factories import make_tender, tender_terms
from tests.trading.form_rows import criteria_rows
from trading.models import Project, Tender

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 9, 1, 9, 0, tzinfo=CST)
HORIZON = datetime.timedelta(days=730)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def project(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    response = client.post("/api/projects/", {"name": "道路项目", "region": "511921", "category": "works"},
                           content_type="application/json")
    return Project.objects.get(pk=response.json()["id"])


def _api_terms(project, **overrides):
    terms = {key: (value.isoformat() if isinstance(value, datetime.datetime) else value)
             for key, value in tender_terms(NOW).items()}
    return {**terms, "project": project.pk, **overrides}


def _refused(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], body["field"]) == ("date_out_of_range", field)
    assert "2024-09-01" in body["detail"] and "2028-08-31" in body["detail"]
    assert Tender.objects.count() == 0


@pytest.mark.parametrize(("field", "value"), [
    ("documents_from", "9999-12-20T09:00:00+08:00"),
    ("documents_until", "9999-12-31T23:59:59+08:00"),
    ("bid_deadline", "2200-01-01T09:00:00+08:00"),
    ("bid_deadline", "9999-12-31T23:59:59-12:00"),  # beyond what a datetime holds in local time
    ("opening_at", "9999-12-31T20:00:00+08:00"),
    ("documents_from", "0001-01-01T00:00:00+08:00"),
])
def test_the_api_refuses_dates_out_of_range(client, project, field, value):
    _refused(client.post("/api/tenders/", _api_terms(project, **{field: value}), content_type="application/json"),
             field)


def test_the_api_accepts_a_deadline_at_the_horizon_and_refuses_one_second_later(client, project):
    until = (NOW + HORIZON).isoformat()
    late = (NOW + HORIZON + datetime.timedelta(seconds=1)).isoformat()
    _refused(client.post("/api/tenders/", _api_terms(project, bid_deadline=late), content_type="application/json"),
             "bid_deadline")
    response = client.post("/api/tenders/", _api_terms(project, bid_deadline=until), content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_past_deadline_is_told_as_past_not_out_of_range(client, project):
    response = client.post("/api/tenders/", _api_terms(project, bid_deadline="2020-01-01T09:00:00+08:00"),
                           content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "date_in_past")


def test_the_horizon_is_a_setting(client, project, settings):
    settings.TENDER_MAX_HORIZON_DAYS = 20
    response = client.post("/api/tenders/", _api_terms(project), content_type="application/json")  # deadline day 30
    assert response.json()["code"] == "date_out_of_range"


def test_a_patch_with_a_far_date_changes_nothing(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921")
    head = Entry.objects.count()
    client.force_login(tongjiang_tenderer)
    response = client.patch(f"/api/tenders/{tender.pk}/", {"documents_from": "9999-12-20T09:00:00+08:00"},
                            content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "date_out_of_range")
    assert Entry.objects.count() == head
    assert Tender.objects.get(pk=tender.pk).documents_from == tender.documents_from


def _form_terms(**overrides):
    fmt = "%Y-%m-%dT%H:%M"
    day = datetime.timedelta(days=1)
    data = {
        "title": "道路标段", "description": "", "venue": "开标室", "estimated_price": "1000000",
        "bid_security": "20000", "documents_from": (NOW + day).strftime(fmt),
        "documents_until": (NOW + 9 * day).strftime(fmt), "bid_deadline": (NOW + 30 * day).strftime(fmt),
        "evaluation_method": "lowest_price", **criteria_rows(), "bid_letter_fields": ["price"], "max_bid_mb": "100",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(("field", "value"), [
    ("documents_from", "9999-12-20T09:00"),
    ("bid_deadline", "2200-01-01T09:00"),
    ("documents_from", "0001-01-01T00:00"),
])
def test_the_new_tender_form_shows_the_error_on_its_field(client, tongjiang_tenderer, field, value):
    client.force_login(tongjiang_tenderer)
    data = {**_form_terms(**{field: value}), "project_name": "道路项目", "region": "511921", "category": "works"}
    response = client.post("/tenders/new/", data)
    assert response.status_code == 400
    assert "2024-09-01" in response.context["form"].errors[field][0]
    assert (Project.objects.count(), Tender.objects.count()) == (0, 0)


def test_the_edit_form_refuses_a_far_date(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921")
    client.force_login(tongjiang_tenderer)
    response = client.post(f"/tenders/{tender.pk}/edit/", _form_terms(documents_until="9999-12-31T23:59"))
    assert response.status_code == 400
    assert "2028-08-31" in response.context["form"].errors["documents_until"][0]
    assert Tender.objects.get(pk=tender.pk).documents_until == tender.documents_until
