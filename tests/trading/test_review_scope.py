"""Region scope through the HTTP interface: staff act only in their county; owners only on their tenders."""

from ledger.models import Entry
from tests.factories import assign_custodians, make_tender
from trading import actions
from trading.models import Tender


def _submitted(owner, region):
    tender = make_tender(owner, region)
    assign_custodians(tender)
    actions.submit_tender(actor=owner, tender_id=tender.pk)
    return tender


def test_county_staff_see_only_their_county_in_the_review_queue(client, tongjiang_tenderer, nanjiang_tenderer,
                                                               tongjiang_staff):
    mine = _submitted(tongjiang_tenderer, "511921")
    theirs = _submitted(nanjiang_tenderer, "511922")
    client.force_login(tongjiang_staff)
    body = client.get("/tenders/review/").content.decode()
    assert mine.code in body
    assert theirs.code not in body


def test_county_staff_cannot_approve_another_countys_tender(client, nanjiang_tenderer, tongjiang_staff):
    tender = _submitted(nanjiang_tenderer, "511922")
    before = Entry.objects.count()
    client.force_login(tongjiang_staff)
    assert client.post(f"/tenders/{tender.pk}/approve/").status_code == 403
    assert Tender.objects.get(pk=tender.pk).status == "submitted"
    assert Entry.objects.count() == before


def test_county_staff_cannot_approve_through_the_api_either(client, nanjiang_tenderer, tongjiang_staff):
    tender = _submitted(nanjiang_tenderer, "511922")
    client.force_login(tongjiang_staff)
    response = client.post(f"/api/tenders/{tender.pk}/approve/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Tender.objects.get(pk=tender.pk).status == "submitted"


def test_staff_approve_in_their_county_and_the_tender_is_published_and_logged(client, tongjiang_tenderer,
                                                                              tongjiang_staff):
    tender = _submitted(tongjiang_tenderer, "511921")
    client.force_login(tongjiang_staff)
    assert client.post(f"/tenders/{tender.pk}/approve/").status_code == 302
    tender.refresh_from_db()
    assert tender.status == "published" and tender.published_at is not None
    entry = Entry.objects.filter(action="tender.published").last()
    assert (entry.action, entry.tender_ref, entry.region_code) == ("tender.published", tender.code, "511921")
    # The tender announcement (招标公告) follows in the same transaction (issue 13).
    assert Entry.objects.filter(seq__gt=entry.seq).values_list("action", flat=True)[0] == "announcement.published"


def test_city_staff_approve_anywhere(client, nanjiang_tenderer, city_staff):
    tender = _submitted(nanjiang_tenderer, "511922")
    client.force_login(city_staff)
    client.post(f"/tenders/{tender.pk}/approve/")
    assert Tender.objects.get(pk=tender.pk).status == "published"


def test_staff_return_a_tender_with_a_reason(client, tongjiang_tenderer, tongjiang_staff):
    tender = _submitted(tongjiang_tenderer, "511921")
    client.force_login(tongjiang_staff)
    client.post(f"/tenders/{tender.pk}/return/", {"reason": "请补充资格条件"})
    tender.refresh_from_db()
    assert (tender.status, tender.review_note) == ("returned", "请补充资格条件")
    client.force_login(tongjiang_tenderer)
    assert "请补充资格条件" in client.get(f"/tenders/{tender.pk}/").content.decode()


def test_regulators_cannot_approve(client, tongjiang_tenderer, city_regulator):
    tender = _submitted(tongjiang_tenderer, "511921")
    client.force_login(city_regulator)
    assert client.get("/tenders/review/").status_code == 200
    assert client.post(f"/tenders/{tender.pk}/approve/").status_code == 403
    assert Tender.objects.get(pk=tender.pk).status == "submitted"


def test_a_tenderer_cannot_edit_another_tenderers_tender(client, tongjiang_tenderer, make_user):
    tender = make_tender(tongjiang_tenderer, "511921")
    rival = make_user("tenderer", "511921")
    client.force_login(rival)
    assert client.get(f"/tenders/{tender.pk}/edit/").status_code in (403, 404)
    response = client.patch(f"/api/tenders/{tender.pk}/", {"title": "篡改"}, content_type="application/json")
    assert response.status_code in (403, 404)
    assert Tender.objects.get(pk=tender.pk).title == "测试标段"


def test_drafts_are_invisible_to_the_public(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921")
    assert client.get(f"/tenders/{tender.pk}/").status_code == 404
    assert client.get(f"/api/tenders/{tender.pk}/").status_code == 404
    doc = tender.documents.get()
    assert client.get(f"/tenders/{tender.pk}/documents/{doc.pk}/").status_code == 404


def test_a_tenderer_creates_projects_only_in_its_region(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    response = client.post("/api/projects/", {"name": "越权项目", "region": "511922", "category": "works"},
                           content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_staff_choose_the_custodians_on_the_tender_page_then_publish(client, tongjiang_tenderer, tongjiang_staff):
    from tests.factories import make_custodians

    tender = make_tender(tongjiang_tenderer, "511921")
    actions.submit_tender(actor=tongjiang_tenderer, tender_id=tender.pk)
    custodians = make_custodians(3)
    client.force_login(tongjiang_staff)
    page = client.get(f"/tenders/{tender.pk}/")
    assert {u.pk for u, _checked in page.context["custodian_choices"]} >= {c.pk for c in custodians}
    response = client.post(f"/tenders/{tender.pk}/custodians/",
                           {"custodians": [c.pk for c in custodians], "threshold": "2"})
    assert response.status_code == 302
    assert client.post(f"/tenders/{tender.pk}/approve/").status_code == 302
    tender.refresh_from_db()
    assert tender.status == "published"
    assert tender.opening_key.threshold == 2
    assert tender.custodians.filter(index__isnull=False).count() == 3


def test_publishing_without_custodians_is_refused_with_a_message(client, tongjiang_tenderer, tongjiang_staff):
    tender = make_tender(tongjiang_tenderer, "511921")
    actions.submit_tender(actor=tongjiang_tenderer, tender_id=tender.pk)
    client.force_login(tongjiang_staff)
    response = client.post(f"/tenders/{tender.pk}/approve/", follow=True)
    assert "开标密钥保管人" in response.content.decode()
    assert Tender.objects.get(pk=tender.pk).status == "submitted"
