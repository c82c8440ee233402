"""Nothing secret on the public pages: no bidder before the opening (招标投标法 art. 22), the opening's bids
only once its record is signed; then the candidates and the result as the award actions publish them."""

import json

import pytest

from tests.award.conftest import after
from tests.award.conftest import publish as publish_candidates
from tests.realtime.opening_setup import opening_scene
from trading.actions import award
from trading.actions.opening import start_opening
from trading.actions.opening_record import produce_opening_record
from trading.announce import announce
from trading.models import Announcement


def _public_text(client, announcement):
    """Everything the public sees of an announcement: the list, its page, its stored content."""
    return "".join([client.get("/announcements/").content.decode(),
                    client.get(f"/announcements/{announcement.pk}/").content.decode(),
                    json.dumps(announcement.body, ensure_ascii=False), announcement.title])


@pytest.fixture
def scene(regions, platform_pki):
    return opening_scene(3)


def test_no_bidder_is_named_before_the_opening(scene, client):
    a = announce(scene.tender, "tender")
    text = _public_text(client, a)
    for bidder in scene.bidders:
        assert bidder.organization.name not in text and bidder.organization.credit_code not in text
    assert "投标人数量" not in text


def test_a_failed_tender_names_no_bidder(regions, platform_pki, client):
    scene = opening_scene(2)
    with scene.after_deadline():
        start_opening(scene.tender.pk)
    scene.tender.refresh_from_db()
    assert scene.tender.status == "failed"
    a = announce(scene.tender, "failure")
    assert a.title.endswith("流标公告")
    assert ["递交投标文件的投标人数量", "2"] in a.body["fields"]
    assert "第二十八条" in a.body["paragraphs"][0]
    text = _public_text(client, a)
    for bidder in scene.bidders:
        assert bidder.organization.name not in text


def test_the_opening_record_is_announced_only_once_signed(opened_tender, client):
    tender = opened_tender.tender
    with pytest.raises(ValueError):
        announce(tender, "opening_record")
    assert not Announcement.objects.filter(kind="opening_record").exists()

    produce_opening_record(tender.pk)
    a = announce(tender, "opening_record")
    assert a.title.endswith("开标记录")
    rows = a.body["table"]["rows"]
    assert [row[1] for row in rows] == [b.organization.name for b in opened_tender.bidders]
    assert [row[2] for row in rows] == ["已解密"] * 3
    assert "¥10,000,000.00 元" in rows[0]  # the price read out (唱标)
    page = client.get(f"/announcements/{a.pk}/").content.decode()
    assert all(b.organization.name in page for b in opened_tender.bidders)
    assert announce(tender, "opening_record").pk == a.pk


def test_the_candidates_and_the_result_as_published(evaluated, client):
    publicity = publish_candidates(evaluated)
    c = announce(evaluated.tender, "candidates", actor=evaluated.owner, source=publicity)
    assert c.title.endswith("中标候选人公示")
    assert [row[:2] for row in c.body["table"]["rows"]] == [
        [str(n), b.organization.name] for n, b in enumerate(evaluated.bidders, start=1)]
    with after(publicity.ends):
        won = award.confirm_award(actor=evaluated.owner, tender_id=evaluated.tender.pk)
        r = announce(evaluated.tender, "result", actor=evaluated.owner, source=won)
    assert r.title.endswith("中标结果公告")
    assert ["中标人", evaluated.bidders[0].organization.name] in r.body["fields"]
    assert ["中标价", "¥10,000,000.00 元"] in r.body["fields"]
    page = client.get(f"/announcements/{r.pk}/").content.decode()
    assert evaluated.bidders[0].organization.name in page
    kinds = list(Announcement.objects.filter(tender=evaluated.tender).order_by("published_at", "id")
                 .values_list("kind", flat=True))
    assert kinds[-2:] == ["candidates", "result"]
