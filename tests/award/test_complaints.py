"""Complaints (投诉) to the regulator: by the objector, within 10 days of the answer (实施条例 art. 60),
decided by a regulator of the tender's region or the city (art. 61), never by another county's."""

import pytest

from accounts.errors import DomainError, Forbidden
from records.verify import verify_pdf
from tests.factories import make_user
from trading.actions import award, disputes
from trading.actions.award import publish_candidates

from .conftest import bj, evaluate, frozen, read_record, snapshot


@pytest.fixture
def answered(opened_tender):
    """Publicized Mon Jan 25 to 24:00 of Thu Jan 28; bidder 2 objected on Tue Jan 26, answered Wed Jan 27
    10:00: the 10 days of art. 60 end at 24:00 of Tue Feb 9 (day 10, Sat Feb 6, rests to Mon Feb 8)."""
    with frozen(bj(1, 25, 9)):
        ev = evaluate(opened_tender, at=bj(1, 25, 8))
        publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    with frozen(bj(1, 26, 9)):
        ev.objection = disputes.raise_objection(actor=ev.bidders[1], tender_id=ev.tender.pk, grounds="评分有误")
    with frozen(bj(1, 27, 10)):
        disputes.answer_objection(actor=ev.owner, objection_id=ev.objection.pk, answer="评分无误")
    return ev


def test_the_objector_complains_until_the_last_instant_and_not_after(answered):
    ev = answered
    before = snapshot(ev.tender)
    with frozen(bj(2, 10, 0, 0, 1)), pytest.raises(DomainError) as exc:
        disputes.file_complaint(actor=ev.bidders[1], objection_id=ev.objection.pk, grounds="答复不成立")
    assert exc.value.code == "complaint_too_late" and "第六十条" in str(exc.value.message)
    assert snapshot(ev.tender) == before
    with frozen(bj(2, 10)):
        complaint = disputes.file_complaint(actor=ev.bidders[1], objection_id=ev.objection.pk, grounds="答复不成立")
    # 30 working days from Tue Feb 9: Feb 10-12 (3), 4 weeks (23), Mar 15-19 (28), Mar 22-23 (30).
    assert complaint.due == bj(3, 24)


@pytest.mark.parametrize("who", ["other_bidder", "outsider", "tenderer"])
def test_only_the_objector_complains(answered, who):
    ev = answered
    actor = {"other_bidder": ev.bidders[2], "outsider": ev.outsider, "tenderer": ev.owner}[who]
    before = snapshot(ev.tender)
    with frozen(bj(1, 28, 10)), pytest.raises(Forbidden):
        disputes.file_complaint(actor=actor, objection_id=ev.objection.pk, grounds="投诉")
    assert snapshot(ev.tender) == before


def test_only_regulators_of_the_region_or_the_city_decide(answered, regions):
    ev = answered
    with frozen(bj(1, 28, 10)):
        complaint = disputes.file_complaint(actor=ev.bidders[1], objection_id=ev.objection.pk, grounds="答复不成立")
        others = [make_user("regulator", "511922"), make_user("staff", "511921"), make_user("staff", "511900"),
                  ev.owner, ev.bidders[0]]
        city_regulator = make_user("regulator", "511900")
        before = snapshot(ev.tender)
        for actor in others:
            with pytest.raises(Forbidden):
                disputes.decide_complaint(actor=actor, complaint_id=complaint.pk, outcome="dismissed", decision="驳回")
        assert snapshot(ev.tender) == before
    # The award waits for the decision (art. 61: the procedure may be suspended meanwhile).
    with frozen(bj(2, 1, 10)), pytest.raises(DomainError) as exc:
        award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    assert exc.value.code == "complaint_open"
    with frozen(bj(2, 1, 10)):
        decided = disputes.decide_complaint(actor=city_regulator, complaint_id=complaint.pk,
                                            outcome="dismissed", decision="投诉缺乏事实根据，予以驳回。")
    assert decided.outcome == "dismissed" and decided.decided_at == bj(2, 1, 10)
    report = verify_pdf(read_record(decided.record))
    assert report.ok and decided.record.kind == "complaint_decision"
    assert decided.record.organization_id == ev.bidders[1].organization_id
    with frozen(bj(2, 1, 11)), pytest.raises(DomainError) as exc:
        disputes.decide_complaint(actor=ev.regulator, complaint_id=complaint.pk, outcome="upheld", decision="成立")
    assert exc.value.code == "already_decided"
    with frozen(bj(2, 1, 12)):
        assert award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk).rank == 1


def test_the_regulators_list_shows_the_complaints_of_their_scope_only(answered, regions):
    from django.test import Client

    with frozen(bj(1, 28, 10)):
        disputes.file_complaint(actor=answered.bidders[1], objection_id=answered.objection.pk, grounds="答复不成立")
        users = {"here": answered.regulator, "city": make_user("regulator", "511900"),
                 "elsewhere": make_user("regulator", "511922"), "bidder": answered.bidders[1]}
        pages = {}
        for key, user in users.items():
            client = Client()
            client.force_login(user)
            pages[key] = client.get("/complaints/")
    assert answered.tender.code in pages["here"].content.decode()
    assert answered.tender.code in pages["city"].content.decode()
    assert pages["elsewhere"].status_code == 200 and answered.tender.code not in pages["elsewhere"].content.decode()
    assert "暂无投诉" in pages["elsewhere"].content.decode()
    assert pages["bidder"].status_code == 403
