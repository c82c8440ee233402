"""An unanswered objection to the tender documents suspends the tender (实施条例 art. 22): no bid is
finalized (uploads go on), the deadline does not pass into the opening, the answer sets a new deadline
when it comes after the deadline or amends the documents (art. 21), and a late answer is flagged and
shown to the regulators. Clock frozen at each boundary."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from evaluation import alerts
from evaluation.models import Alert
from ledger.models import Entry
from tests.factories import make_tender, make_user
from tests.trading.bidding import bidder_with_keys, finalize, sealed_bid, upload
from trading import actions
from trading.actions.opening import start_opening
from trading.models import Amendment, BidUpload, Opening, Tender

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


# Monday 2 Nov 2026 (no holiday in November): documents from 3 Nov, deadline Wednesday 2 Dec 09:00.
NOW = at(2026, 11, 2, 9, 0)
DEADLINE = at(2026, 12, 2, 9, 0)
RAISED = at(2026, 11, 12, 10, 0)  # answer due within 3 days: 15 Nov is a Sunday, so by the end of 16 Nov
ANSWER_DUE = at(2026, 11, 17, 0, 0)


@pytest.fixture
def tender(platform_pki, regions):
    owner = make_user("tenderer", "511921")
    staff = make_user("staff", "511921")
    with time_machine.travel(NOW, tick=False):
        return make_tender(owner, "511921", publish_by=staff, documents_from=at(2026, 11, 3, 9, 0),
                           documents_until=at(2026, 11, 11, 9, 0), bid_deadline=DEADLINE)


def _owner(tender):
    from accounts.models import User

    return User.objects.get(pk=tender.created_by_id)


def _raise(tender, when=RAISED):
    with time_machine.travel(when, tick=False):
        return actions.raise_objection(actor=make_user("bidder"), tender_id=tender.pk, text="资格条件排斥潜在投标人")


def test_finalize_is_refused_while_an_objection_is_open_and_accepted_after_the_answer(client, tender):
    bidder = bidder_with_keys()
    objection = _raise(tender)
    assert objection.answer_due == ANSWER_DUE
    data, digest = sealed_bid(tender, bidder)
    client.force_login(bidder)
    with time_machine.travel(at(2026, 11, 13, 10, 0), tick=False):
        upload_id = upload(client, tender, data)  # uploads go on while suspended
        refused = finalize(client, upload_id, digest)
        assert refused.status_code == 409
        body = refused.json()
        assert body["code"] == "tender_suspended"
        assert "第二十二条" in body["detail"] or "art. 22" in body["detail"]  # whichever catalog is compiled
        assert BidUpload.objects.get(pk=upload_id).status == BidUpload.Status.OPEN  # not refused: kept
        assert not tender.bids.exists()
        api = client.get(f"/api/tenders/{tender.pk}/").json()
        assert api["suspended"] is True and ("第二十二条" in api["pause_reason"] or "art. 22" in api["pause_reason"])
    with time_machine.travel(at(2026, 11, 14, 10, 0), tick=False):
        actions.answer_objection(actor=_owner(tender), objection_id=objection.pk, answer="资格条件符合法律规定")
        accepted = finalize(client, upload_id, digest)
        assert accepted.status_code == 201, accepted.content
        assert client.get(f"/api/tenders/{tender.pk}/").json()["suspended"] is False
    objection.refresh_from_db()
    assert objection.answered_late is False and objection.amendment is None
    tender.refresh_from_db()
    assert tender.bid_deadline == DEADLINE  # answered in time, documents unchanged: the deadline stays


def test_the_deadline_does_not_pass_into_the_opening_and_a_late_answer_sets_a_new_one(client, tender):
    objection = _raise(tender)
    after = DEADLINE + datetime.timedelta(hours=1)
    with time_machine.travel(after, tick=False):
        recorded = actions.record_clock_stages(tender.pk)
        assert "bids_closed" not in recorded
        start_opening(tender.pk)
        tender.refresh_from_db()
        assert tender.status == Tender.Status.PUBLISHED and tender.clock_stage == "documents_closed"
        assert not Opening.objects.filter(tender=tender).exists()
        staff = make_user("staff", "511921")
        client.force_login(staff)
        hall = client.get(f"/tenders/{tender.pk}/opening/").content.decode()
        assert 'id="hall-suspended"' in hall, hall[hall.find("<section"):hall.find("</section>")]
        assert "第二十二条" in hall or "art. 22" in hall  # whichever catalog is compiled
        page = client.get(f"/tenders/{tender.pk}/").content.decode()
        assert 'id="tender-suspended"' in page
    # Answered on 3 Dec, after the deadline and past its 3-day limit: flagged, and issued as an amendment
    # whose new deadline is at least 15 days away (实施条例 art. 21): 18 Dec, same time of day.
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        answered = actions.answer_objection(actor=_owner(tender), objection_id=objection.pk, answer="维持原文件")
    assert answered.answered_late is True
    assert answered.amendment is not None and answered.amendment.kind == Amendment.Kind.AMENDMENT
    tender.refresh_from_db()
    assert tender.bid_deadline == at(2026, 12, 18, 9, 0)
    assert tender.original_deadline == DEADLINE
    entry = Entry.objects.filter(action="tender.objection_answered").get()
    assert '"late":true' in entry.payload
    with time_machine.travel(at(2026, 12, 18, 9, 0), tick=False):
        assert "bids_closed" in actions.record_clock_stages(tender.pk)


@pytest.mark.parametrize(("answered", "deadline"), [
    (at(2026, 11, 18, 0, 0), DEADLINE),  # 24:00 of 17 Nov: day 15 is 2 Dec, the deadline's day: enough
    (at(2026, 11, 18, 0, 0, 1), at(2026, 12, 3, 9, 0)),  # one day short: the deadline moves to 3 Dec
])
def test_an_answer_that_amends_the_documents_moves_the_deadline_by_article_21(client, tender, answered, deadline):
    objection = _raise(tender)
    client.force_login(_owner(tender))
    with time_machine.travel(answered, tick=False):
        response = client.post(f"/api/objections/{objection.pk}/answer/",
                               {"answer": "修改技术参数", "amends_documents": True}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["amendment"] is not None and response.json()["answered_late"] is True
    tender.refresh_from_db()
    assert tender.bid_deadline == deadline
    amendment = tender.amendments.get()
    assert amendment.affects_bids is True and amendment.text == "修改技术参数"


def test_the_answer_form_offers_the_amendment(client, tender):
    objection = _raise(tender)
    client.force_login(_owner(tender))
    with time_machine.travel(at(2026, 11, 20, 10, 0), tick=False):
        page = client.get(f"/tenders/{tender.pk}/").content.decode()
        assert 'name="amends_documents"' in page
        client.post(f"/objections/{objection.pk}/answer/", {"answer": "修改", "amends_documents": "on"})
    tender.refresh_from_db()
    assert tender.bid_deadline == at(2026, 12, 7, 9, 0)  # 20 Nov + 15 = 5 Dec, a Saturday: Monday 7 Dec


def test_a_late_answer_is_an_alert_the_regulator_sees(client, tender):
    on_time, late = _raise(tender), _raise(tender)
    with time_machine.travel(ANSWER_DUE - datetime.timedelta(seconds=1), tick=False):
        actions.answer_objection(actor=_owner(tender), objection_id=on_time.pk, answer="按时")
    with time_machine.travel(ANSWER_DUE + datetime.timedelta(minutes=1), tick=False):
        actions.answer_objection(actor=_owner(tender), objection_id=late.pk, answer="逾期")
        alerts.scan(Tender.objects.none())
    on_time.refresh_from_db(), late.refresh_from_db()
    assert (on_time.answered_late, late.answered_late) == (False, True)
    found = Alert.objects.get(rule=Alert.Rule.LATE_ANSWER)
    assert found.subject_key == f"{tender.code}:objection:{late.pk}" and found.region_code == "511921"
    client.force_login(make_user("regulator", "511900"))
    listing = client.get("/evaluation/alerts/").content.decode()
    assert tender.code in listing and "逾期答复" in listing
    # Another county's regulator does not see it.
    client.force_login(make_user("regulator", "511922"))
    assert tender.code not in client.get("/evaluation/alerts/").content.decode()
