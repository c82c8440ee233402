"""A government-procurement tender follows 政府采购法 and its 实施条例, every other kind the bidding law:
each rule at its boundary, clock frozen, and each message citing the law of the tender's kind only."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.errors import DomainError
from tests.factories import make_tender, tender_terms
from trading import actions
from trading.models import Tender

CST = ZoneInfo("Asia/Shanghai")
BIDDING_LAW = "招标投标法"
PROCUREMENT_LAW = "政府采购法"


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


NOW = at(2026, 9, 1, 9, 0)  # a Tuesday


def _create(owner, category, **overrides):
    project = actions.create_project(actor=owner, name="项目", region_code="511921", category=category)
    return actions.create_tender(actor=owner, project_id=project.pk, **tender_terms(NOW, **overrides))


def _refused(code, owner, category, **overrides):
    before = Tender.objects.count()
    with pytest.raises(DomainError) as info:
        _create(owner, category, **overrides)
    assert info.value.code == code
    assert Tender.objects.count() == before
    return str(info.value.message)


@time_machine.travel(NOW, tick=False)
def test_procurement_security_is_at_most_two_percent_of_the_budget(tongjiang_tenderer):
    # Budget 1,234,567.89 yuan: 2 % is 24,691.3578 yuan, so 24,691.35 is the most (whole fen).
    budget = 123_456_789
    message = _refused("security_too_high", tongjiang_tenderer, "procurement",
                       estimated_price_fen=budget, bid_security_fen=2_469_136)
    assert "预算金额" in message and "24,691.35" in message
    assert "《政府采购法实施条例》第三十三条" in message
    assert BIDDING_LAW not in message
    tender = _create(tongjiang_tenderer, "procurement", estimated_price_fen=budget, bid_security_fen=2_469_135)
    assert (tender.category, tender.bid_security_fen) == ("procurement", 2_469_135)


@time_machine.travel(NOW, tick=False)
def test_works_security_cites_the_bidding_law_only(tongjiang_tenderer):
    message = _refused("security_too_high", tongjiang_tenderer, "works",
                       estimated_price_fen=100_000_000, bid_security_fen=2_000_001)
    assert "估算价" in message and "《招标投标法实施条例》第二十六条" in message
    assert PROCUREMENT_LAW not in message


@time_machine.travel(NOW, tick=False)
def test_the_twenty_days_cite_the_law_of_the_tenders_kind(tongjiang_tenderer):
    # From Tue 8 Sep: day 20 is Mon 28 Sep; a deadline on 27 Sep is one day short under either law.
    short = {"documents_from": at(2026, 9, 8, 10, 0), "documents_until": at(2026, 9, 18),
             "bid_deadline": at(2026, 9, 27, 9, 30)}
    procurement = _refused("bidding_period_too_short", tongjiang_tenderer, "procurement", **short)
    assert "《政府采购法》第三十五条" in procurement and BIDDING_LAW not in procurement
    works = _refused("bidding_period_too_short", tongjiang_tenderer, "works", **short)
    assert "《招标投标法》第二十四条" in works and PROCUREMENT_LAW not in works
    assert "2026-09-28" in procurement and "2026-09-28" in works


@time_machine.travel(NOW, tick=False)
def test_procurement_documents_are_on_offer_five_working_days(tongjiang_tenderer):
    # From Wed 2 Sep 10:00: working days 3, 4, 7, 8, 9 Sep, so to 24:00 of Wed 9 Sep (政府采购法实施条例
    # art. 31); a works tender needs 5 calendar days only, to 24:00 of Mon 7 Sep.
    start, deadline = at(2026, 9, 2, 10, 0), at(2026, 10, 20, 9, 30)
    message = _refused("documents_window_too_short", tongjiang_tenderer, "procurement", documents_from=start,
                       documents_until=at(2026, 9, 9, 23, 59, 59), bid_deadline=deadline)
    assert "5 个工作日" in message and "2026-09-09" in message
    assert "《政府采购法实施条例》第三十一条" in message and BIDDING_LAW not in message
    assert _create(tongjiang_tenderer, "procurement", documents_from=start, documents_until=at(2026, 9, 10),
                   bid_deadline=deadline).pk
    assert _create(tongjiang_tenderer, "works", documents_from=start, documents_until=at(2026, 9, 8),
                   bid_deadline=deadline).pk
    works = _refused("documents_window_too_short", tongjiang_tenderer, "works", documents_from=start,
                     documents_until=at(2026, 9, 7, 23, 59, 59), bid_deadline=deadline)
    assert "《招标投标法实施条例》第十六条" in works and PROCUREMENT_LAW not in works


@time_machine.travel(NOW, tick=False)
def test_the_opening_rule_cites_the_law_of_the_tenders_kind(tongjiang_tenderer):
    deadline = at(2026, 10, 20, 9, 30)
    late = deadline + datetime.timedelta(minutes=1)
    procurement = _refused("opening_not_at_deadline", tongjiang_tenderer, "procurement", bid_deadline=deadline,
                           opening_at=late)
    assert "政府采购货物和服务招标投标管理办法" in procurement and "《招标投标法》" not in procurement
    works = _refused("opening_not_at_deadline", tongjiang_tenderer, "works", bid_deadline=deadline, opening_at=late)
    assert "《招标投标法》第三十四条" in works and PROCUREMENT_LAW not in works


def test_the_api_refuses_a_procurement_security_over_two_percent_of_the_budget(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    with time_machine.travel(NOW, tick=False):
        project = client.post("/api/projects/", {"name": "采购项目", "region": "511921", "category": "procurement"},
                              content_type="application/json").json()
        terms = {key: (value.isoformat() if isinstance(value, datetime.datetime) else value)
                 for key, value in tender_terms(NOW, estimated_price_fen=50_000_000).items()}
        response = client.post("/api/tenders/", {**terms, "project": project["id"], "bid_security_fen": 1_000_001},
                               content_type="application/json")
        assert response.status_code == 400
        body = response.json()
        assert (body["code"], body["field"]) == ("security_too_high", "bid_security_fen")
        assert "第三十三条" in body["detail"] and BIDDING_LAW not in body["detail"]
        response = client.post("/api/tenders/", {**terms, "project": project["id"], "bid_security_fen": 1_000_000},
                               content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_procurement_amendment_cites_its_article_where_the_deadline_moved(client, tongjiang_tenderer,
                                                                           tongjiang_staff):
    with time_machine.travel(NOW, tick=False):
        tender = make_tender(tongjiang_tenderer, "511921", category="procurement", publish_by=tongjiang_staff,
                             documents_from=at(2026, 9, 2, 9, 0), documents_until=at(2026, 9, 12),
                             bid_deadline=at(2026, 10, 20, 9, 30))
    # Issued on 6 Oct: day 15 is 21 Oct, so the deadline moves (政府采购法实施条例 art. 31).
    with time_machine.travel(at(2026, 10, 6, 10, 0), tick=False):
        amendment = actions.issue_amendment(actor=tongjiang_tenderer, tender_id=tender.pk, kind="amendment",
                                            text="修改技术参数", affects_bids=True)
    assert amendment.new_deadline == at(2026, 10, 21, 9, 30)
    body = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert "《政府采购法实施条例》第三十一条" in body
    assert "《招标投标法实施条例》第二十一条" not in body


def test_the_edit_form_labels_the_procurement_budget(client, tongjiang_tenderer):
    with time_machine.travel(NOW, tick=False):
        procurement = make_tender(tongjiang_tenderer, "511921", category="procurement", now=NOW)
        works = make_tender(tongjiang_tenderer, "511921", category="works", now=NOW)
        client.force_login(tongjiang_tenderer)
        assert "预算金额(元)" in client.get(f"/tenders/{procurement.pk}/edit/").content.decode()
        page = client.get(f"/tenders/{works.pk}/edit/").content.decode()
    assert "估算价(元)" in page and "预算金额(元)" not in page
