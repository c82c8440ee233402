"""Refusals that say what to do instead: a past deadline (`date_in_past`) and a PATCH to a published
tender (`tender_published_use_amendment`) point to the amendment, and cite only the law that applies."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ledger.models import Entry
from tests.factories import make_tender
from trading.models import Tender

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 9, 1, 9, 0, tzinfo=CST)


def _published(owner, staff, category):
    with time_machine.travel(NOW, tick=False):
        return make_tender(owner, "511921", category=category, publish_by=staff)


@pytest.mark.parametrize(("category", "article", "other_law"), [
    ("works", "《招标投标法》第二十三条、《招标投标法实施条例》第二十一条", "政府采购法"),
    ("procurement", "《政府采购法实施条例》第三十一条", "招标投标法"),
])
def test_a_patch_to_a_published_tender_says_to_issue_an_amendment(client, tongjiang_tenderer, tongjiang_staff,
                                                                  category, article, other_law):
    tender = _published(tongjiang_tenderer, tongjiang_staff, category)
    head = Entry.objects.count()
    client.force_login(tongjiang_tenderer)
    with time_machine.travel(NOW + datetime.timedelta(days=2), tick=False):
        response = client.patch(f"/api/tenders/{tender.pk}/", {"title": "改标题"}, content_type="application/json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "tender_published_use_amendment"
    assert "澄清或修改" in body["detail"] and article in body["detail"] and other_law not in body["detail"]
    assert Entry.objects.count() == head
    assert Tender.objects.get(pk=tender.pk).title == tender.title


def test_others_still_get_a_bare_refusal(client, tongjiang_tenderer, tongjiang_staff, make_user):
    tender = _published(tongjiang_tenderer, tongjiang_staff, "works")
    client.force_login(make_user("tenderer", "511921"))
    response = client.patch(f"/api/tenders/{tender.pk}/", {"title": "篡改"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert Tender.objects.get(pk=tender.pk).title == tender.title


def test_a_past_deadline_says_what_to_do_and_cites_no_article(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    with time_machine.travel(NOW, tick=False):
        tender = make_tender(tongjiang_tenderer, "511921")
        response = client.patch(f"/api/tenders/{tender.pk}/", {"bid_deadline": "2026-09-01T08:59:59+08:00"},
                                content_type="application/json")
    body = response.json()
    assert (response.status_code, body["code"], body["field"]) == (400, "date_in_past", "bid_deadline")
    assert "修改" in body["detail"] and "草稿" in body["detail"]
    assert "第" not in body["detail"] and "条" not in body["detail"]


def test_staff_approving_after_the_deadline_passed_are_told_the_same(tongjiang_tenderer, tongjiang_staff):
    from accounts.errors import DomainError
    from trading import actions

    with time_machine.travel(NOW, tick=False):
        tender = make_tender(tongjiang_tenderer, "511921")
        actions.submit_tender(actor=tongjiang_tenderer, tender_id=tender.pk)
    with time_machine.travel(NOW + datetime.timedelta(days=31), tick=False), pytest.raises(DomainError) as info:
        actions.approve_tender(actor=tongjiang_staff, tender_id=tender.pk)
    assert info.value.code == "date_in_past"
    assert "退回" in str(info.value.message)
    assert Tender.objects.get(pk=tender.pk).status == "submitted"
