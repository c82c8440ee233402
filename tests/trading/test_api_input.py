"""Bad input through the API: stable codes, nothing half-saved; HTML in titles is escaped."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import Entry
from tests.factories import make_tender, pdf_file
from trading.models import Project, Tender, TenderDocument


@pytest.fixture
def project(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    response = client.post("/api/projects/", {"name": "通江县道路项目", "region": "511921", "category": "works"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    return Project.objects.get(pk=response.json()["id"])


def _payload(proj, **overrides):
    now = timezone.now()
    day = datetime.timedelta(days=1)
    data = {
        "project": proj.pk, "title": "道路工程", "venue": "开标室", "estimated_price_fen": 50_000_000,
        "bid_security_fen": 1_000_000, "documents_from": (now + day).isoformat(),
        "documents_until": (now + 10 * day).isoformat(), "bid_deadline": (now + 30 * day).isoformat(),
        "evaluation_method": "lowest_price",
    }
    data.update(overrides)
    return data


def _post(client, data):
    return client.post("/api/tenders/", data, content_type="application/json")


def test_a_valid_tender_is_created_as_a_draft(client, project):
    response = _post(client, _payload(project))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["code"], body["region"]["code"]) == ("draft", f"{project.code}-01", "511921")
    assert body["opening_at"] == body["bid_deadline"]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"bid_security_fen": 1_000_001}, "security_too_high"),
        ({"estimated_price_fen": "很多"}, "invalid"),
        ({"title": "长" * 201}, "invalid"),
        ({"bid_deadline": "2020-01-01T09:00:00+08:00"}, "date_in_past"),
        ({"documents_from": "not a date"}, "invalid"),
        ({"evaluation_method": "comprehensive", "criteria": [{"name": "价格", "weight": 50, "kind": "price"}]},
         "invalid_criteria"),
        ({"bid_letter_fields": [{"key": "duration_days", "label": "工期", "type": "integer"}]},
         "invalid_bid_letter_fields"),
        ({"project": 999999}, "not_found"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_nothing_is_saved(client, project, overrides, code):
    before = (Tender.objects.count(), Entry.objects.count())
    response = _post(client, _payload(project, **overrides))
    assert response.status_code in (400, 404)
    assert response.json()["code"] == code
    assert (Tender.objects.count(), Entry.objects.count()) == before


def test_html_in_a_title_is_stored_as_text_and_escaped_on_pages(client, project, tongjiang_staff):
    response = _post(client, _payload(project, title='<img src=x onerror="alert(1)">工程'))
    tender = Tender.objects.get(pk=response.json()["id"])
    assert tender.title == '<img src=x onerror="alert(1)">工程'
    client.force_login(tongjiang_staff)
    body = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert '<img src=x onerror="alert(1)">' not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;工程" in body


def test_a_file_that_is_not_what_it_claims_is_refused(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921", document=False)
    client.force_login(tongjiang_tenderer)
    fake = pdf_file("招标文件.pdf", b"PK\x03\x04 this is a zip")
    response = client.post(f"/api/tenders/{tender.pk}/documents/", {"file": fake})
    assert response.status_code == 400
    assert response.json()["code"] == "file_content_mismatch"
    exe = pdf_file("setup.exe", b"MZ\x90\x00")
    assert client.post(f"/api/tenders/{tender.pk}/documents/", {"file": exe}).json()["code"] == "file_type_not_allowed"
    assert not TenderDocument.objects.exists()


def test_a_document_is_stored_with_its_hash(client, tongjiang_tenderer):
    import hashlib

    tender = make_tender(tongjiang_tenderer, "511921", document=False)
    client.force_login(tongjiang_tenderer)
    body = b"%PDF-1.7\n" + "招标文件正文".encode() * 100
    response = client.post(f"/api/tenders/{tender.pk}/documents/", {"file": pdf_file("文件.pdf", body)})
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(body).hexdigest()
    assert response.json()["size"] == len(body)


def test_submitting_without_documents_is_refused(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921", document=False)
    client.force_login(tongjiang_tenderer)
    response = client.post(f"/api/tenders/{tender.pk}/submit/")
    assert (response.status_code, response.json()["code"]) == (400, "no_documents")
    assert Tender.objects.get(pk=tender.pk).status == "draft"


def test_an_unknown_region_is_refused(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    response = client.post("/api/projects/", {"name": "项目", "region": "999999", "category": "works"},
                           content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "unknown_region")


def test_the_openapi_schema_and_docs_are_served(client, regions):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/tenders/{id}/approve/" in schema.content
    assert client.get("/api/docs/").status_code == 200
