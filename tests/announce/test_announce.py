"""announce(): one frozen announcement per public event, logged in the caller's transaction."""

import hashlib
import json

import pytest
from django.db import transaction

from ledger.canonical import canonical_json
from ledger.models import Entry
from tests.announce.conftest import publish
from trading import actions
from trading.announce import announce
from trading.models import Announcement


def test_it_records_the_tender_announcement_with_its_log_entry(published):
    a = Announcement.objects.get(tender=published)
    entry = Entry.objects.get(action="announcement.published", tender_ref=published.code)
    payload = json.loads(entry.payload)
    assert (a.kind, a.title, a.region.code, a.category) == ("tender", "通江县沙溪至永安道路工程招标公告", "511921", "works")
    assert a.body["heading"] == "招标公告" and a.body["tender_code"] == published.code
    assert ["投标保证金", "¥20,000.00 元"] in a.body["fields"]
    assert a.body_sha256 == hashlib.sha256(canonical_json(a.body)).hexdigest()
    assert payload == {"announcement": a.pk, "tender": published.pk, "kind": "tender", "source": "",
                       "title": a.title, "body_sha256": a.body_sha256, "published_at": payload["published_at"]}
    assert a.ledger_seq == entry.seq
    assert a.number.startswith("GG") and a.number.endswith(f"{a.pk:06d}")


def test_a_procurement_tender_is_a_procurement_announcement(regions, platform_pki):
    tender = publish(region="511900", category="procurement", title="市级设备采购")
    assert Announcement.objects.get(tender=tender).title == "市级设备采购公告"


def test_the_same_source_is_announced_once(published):
    first = Announcement.objects.get(tender=published)
    again = announce(published, "tender")
    assert again.pk == first.pk
    assert Announcement.objects.filter(tender=published).count() == 1
    assert Entry.objects.filter(action="announcement.published").count() == 1


def test_it_rolls_back_with_the_calling_action(published):
    entries = Entry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        amendment = actions.issue_amendment(actor=published.created_by, tender_id=published.pk, kind="clarification",
                                            text="澄清：工期为365日历天。", affects_bids=False)
        announce(published, "amendment", source=amendment)
        raise RuntimeError("the action fails after announcing")
    assert Announcement.objects.filter(kind="amendment").count() == 0
    assert Entry.objects.count() == entries


def test_an_unknown_kind_is_refused(published):
    with pytest.raises(ValueError):
        announce(published, "rumour")
    assert Announcement.objects.count() == 1


def test_each_amendment_is_its_own_announcement_in_order(published):
    owner = published.created_by
    first = actions.issue_amendment(actor=owner, tender_id=published.pk, kind="clarification",
                                    text="澄清：工期为365日历天。", affects_bids=False)
    second = actions.issue_amendment(actor=owner, tender_id=published.pk, kind="amendment",
                                     text="修改：增加一项技术参数。", affects_bids=False)
    a1, a2 = announce(published, "amendment", source=first), announce(published, "amendment", source=second)
    assert a1.pk != a2.pk and a1.title == a2.title == "通江县沙溪至永安道路工程变更公告"
    assert ["公告类型", "澄清"] in a1.body["fields"] and ["第几次", "1"] in a1.body["fields"]
    assert ["公告类型", "修改"] in a2.body["fields"] and ["第几次", "2"] in a2.body["fields"]
    assert a2.body["paragraphs"] == ["修改：增加一项技术参数。"]
    assert list(Announcement.objects.filter(tender=published).order_by("published_at", "id")
                .values_list("kind", flat=True)) == ["tender", "amendment", "amendment"]


def test_the_content_stays_as_announced_when_the_data_changes_later(published, client):
    from trading.models import Amendment, Tender

    amendment = actions.issue_amendment(actor=published.created_by, tender_id=published.pk, kind="clarification",
                                        text="澄清：工期为365日历天。", affects_bids=False)
    a = announce(published, "amendment", source=amendment)
    t = Announcement.objects.get(tender=published, kind="tender")
    frozen = (t.title, json.dumps(t.body, sort_keys=True), a.body_sha256)
    # Whatever later happens to the rows (even a direct edit), the announcement says what it said.
    Tender.objects.filter(pk=published.pk).update(title="改过的名称", venue="别处")
    Amendment.objects.filter(pk=amendment.pk).update(text="改过的澄清")
    t.refresh_from_db()
    a.refresh_from_db()
    assert (t.title, json.dumps(t.body, sort_keys=True), a.body_sha256) == frozen
    page = client.get(f"/announcements/{a.pk}/").content.decode()
    assert "澄清：工期为365日历天。" in page and "改过的澄清" not in page
    page = client.get(f"/announcements/{t.pk}/").content.decode()
    assert "巴中市公共资源交易中心开标室" in page and "别处" not in page and "改过的名称" not in page


def test_a_title_says_no_word_twice():
    from trading.announce.content import title_of

    assert title_of("市级设备采购", "采购公告") == "市级设备采购公告"
    assert title_of("江口镇地块使用权出让", "出让公告") == "江口镇地块使用权出让公告"
    assert title_of("道路工程", "招标公告") == "道路工程招标公告"
    assert title_of("道路工程", "变更公告") == "道路工程变更公告"
