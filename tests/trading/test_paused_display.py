"""A tender with an unanswered objection to its documents shows as paused (暂停) with the reason, on the
portal and in the API, instead of 投标中 (实施条例 art. 22)."""

import datetime

import pytest
import time_machine

from tests.factories import make_user
from tests.trading.bidding import published_tender
from trading import actions

REASON = "对招标文件的异议尚待招标人答复，作出答复前招标投标活动暂停（《招标投标法实施条例》第二十二条）。"


@pytest.fixture
def bidding(platform_pki, regions):
    """A tender 10 days after publication: documents closed, accepting bids, 20 days to the deadline."""
    tender = published_tender()
    traveller = time_machine.travel(tender.documents_until + datetime.timedelta(days=1), tick=False)
    traveller.start()
    yield tender
    traveller.stop()


def _row(html, tender):
    start = html.index(f'href="/tenders/{tender.pk}/"')
    return html[start:html.index("</li>", start)]


def _api_stage(client, tender):
    detail = client.get(f"/api/tenders/{tender.pk}/").json()
    listed = next(t for t in client.get("/api/tenders/").json()["results"] if t["id"] == tender.pk)
    return [(detail["stage"], detail["pause_reason"]), (listed["stage"], listed["pause_reason"])]


def test_an_unanswered_objection_shows_the_tender_as_paused_until_it_is_answered(client, bidding):
    tender = bidding
    assert "投标中" in _row(client.get("/tenders/").content.decode(), tender)
    assert _api_stage(client, tender) == [("bidding", None)] * 2

    objection = actions.raise_objection(actor=make_user("bidder"), tender_id=tender.pk, text="资格条件排斥潜在投标人")

    row = _row(client.get("/tenders/").content.decode(), tender)
    assert "暂停" in row and "投标中" not in row
    assert "对招标文件的异议尚待招标人答复" in row
    assert "暂停" in _row(client.get("/").content.decode(), tender)
    page = client.get(f"/tenders/{tender.pk}/")
    badge = page.content.decode().split('id="tender-stage">')[1].split("</span>")[0]
    assert badge == "暂停"
    assert page.context["pause_reason"] == REASON
    assert _api_stage(client, tender) == [("paused", REASON)] * 2
    assert [t["id"] for t in client.get("/api/tenders/?stage=paused").json()["results"]] == [tender.pk]
    assert client.get("/api/tenders/?stage=bidding").json()["results"] == []

    actions.answer_objection(actor=_owner(tender), objection_id=objection.pk, answer="资格条件符合法律规定")
    assert "投标中" in _row(client.get("/tenders/").content.decode(), tender)
    assert _api_stage(client, tender) == [("bidding", None)] * 2


def _owner(tender):
    from accounts.models import User

    return User.objects.get(pk=tender.created_by_id)


def test_the_portal_list_needs_no_query_per_row_for_the_pause(client, bidding, django_assert_max_num_queries):
    for _ in range(3):
        tender = published_tender()
        actions.raise_objection(actor=make_user("bidder"), tender_id=tender.pk, text="异议")
    with django_assert_max_num_queries(3):
        response = client.get("/tenders/")
    assert response.content.decode().count("对招标文件的异议尚待招标人答复") == 3
