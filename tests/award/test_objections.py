"""Objections to the candidates (异议; procurement 质疑): only the tender's bidders, during the publicity
(procurement: 7 working days), answered within 3 days (7 working days); the award waits for every answer."""

import pytest

from accounts.errors import DomainError, Forbidden
from tests.factories import pdf_file
from trading.actions import award, disputes
from trading.actions.award import publish_candidates
from trading.models import Tender

from .conftest import bj, evaluate, frozen, snapshot


@pytest.fixture
def publicized(opened_tender):
    """Candidates received Wed Feb 3, publicized from 09:00 to 24:00 of Tue Feb 9 (Feb 5-8 are rest days)."""
    with frozen(bj(2, 3, 9)):
        ev = evaluate(opened_tender, at=bj(2, 3, 8))
        ev.publicity = publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    assert ev.publicity.ends == bj(2, 10)
    return ev


def test_a_bidder_objects_with_grounds_and_evidence_until_the_last_instant(publicized):
    ev = publicized
    with frozen(bj(2, 10)):
        objection = disputes.raise_objection(actor=ev.bidders[2], tender_id=ev.tender.pk, grounds="第一名业绩造假",
                                             evidence=pdf_file("证据.pdf", b"%PDF-1.4 evidence"))
    assert objection.organization_id == ev.bidders[2].organization_id
    assert objection.evidence_name == "证据.pdf" and len(objection.evidence_sha256) == 64
    # Raised at 24:00 of Tue Feb 9 (day_of): 3 days → Fri Feb 12.
    assert objection.answer_due == bj(2, 13)


def test_an_objection_one_second_after_the_publicity_is_refused(publicized):
    ev = publicized
    before = snapshot(ev.tender)
    with frozen(bj(2, 10, 0, 0, 1)), pytest.raises(DomainError) as exc:
        disputes.raise_objection(actor=ev.bidders[2], tender_id=ev.tender.pk, grounds="迟到的异议")
    assert exc.value.code == "objection_too_late" and "第五十四条" in str(exc.value.message)
    assert snapshot(ev.tender) == before


@pytest.mark.parametrize("who", ["outsider", "tenderer", "staff", "regulator"])
def test_only_the_tenders_bidders_may_object(publicized, who):
    ev = publicized
    actor = {"outsider": ev.outsider, "tenderer": ev.owner, "staff": ev.scene.host, "regulator": ev.regulator}[who]
    before = snapshot(ev.tender)
    with frozen(bj(2, 4, 10)), pytest.raises(Forbidden):
        disputes.raise_objection(actor=actor, tender_id=ev.tender.pk, grounds="异议")
    assert snapshot(ev.tender) == before


def test_the_award_is_refused_while_an_objection_is_open_then_allowed(publicized):
    ev = publicized
    with frozen(bj(2, 4, 10)):
        objection = disputes.raise_objection(actor=ev.bidders[1], tender_id=ev.tender.pk, grounds="评分有误")
    assert objection.answer_due == bj(2, 10)  # Thu Feb 4 + 3 days = Sun Feb 7, rest to Mon Feb 8 → Tue Feb 9
    before = snapshot(ev.tender)
    with frozen(bj(2, 10, 0, 0, 1)), pytest.raises(DomainError) as exc:
        award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    assert exc.value.code == "objection_open" and "第五十四条" in str(exc.value.message)
    assert snapshot(ev.tender) == before
    with frozen(bj(2, 10, 0, 0, 1)):
        answered = disputes.answer_objection(actor=ev.owner, objection_id=objection.pk, answer="经复核，评分无误。")
    assert answered.answered_late is True  # one second after 24:00 of Feb 9
    with frozen(bj(2, 10, 9)):
        done = award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    assert done.rank == 1 and Tender.objects.get(pk=ev.tender.pk).status == "awarded"


def test_an_answer_at_the_last_instant_is_on_time_and_only_the_tenderer_answers(publicized):
    ev = publicized
    with frozen(bj(2, 4, 10)):
        objection = disputes.raise_objection(actor=ev.bidders[1], tender_id=ev.tender.pk, grounds="评分有误")
    before = snapshot(ev.tender)
    for actor in (ev.bidders[1], ev.scene.host, ev.regulator):
        with frozen(bj(2, 5, 10)), pytest.raises(Forbidden):
            disputes.answer_objection(actor=actor, objection_id=objection.pk, answer="答复")
    assert snapshot(ev.tender) == before
    with frozen(bj(2, 10)):
        answered = disputes.answer_objection(actor=ev.owner, objection_id=objection.pk, answer="答复")
    assert answered.answered_late is False


def test_a_procurement_challenge_runs_7_working_days_from_the_announcement(opened_tender):
    Tender.objects.filter(pk=opened_tender.tender.pk).update(category="procurement")
    with frozen(bj(2, 1, 9)):
        ev = evaluate(opened_tender, at=bj(2, 1, 8))
        publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)  # Mon Feb 1 to 24:00 of Thu Feb 4
    # 7 working days from Mon Feb 1: Feb 2-4, then Feb 9-12 (Feb 5-8 rest): 24:00 of Fri Feb 12.
    with frozen(bj(2, 13)):
        challenge = disputes.raise_objection(actor=ev.bidders[1], tender_id=ev.tender.pk, grounds="质疑")
    # Answered in 7 working days: Feb 15-19, Feb 22-23 → 24:00 of Tue Feb 23.
    assert challenge.answer_due == bj(2, 24)
    before = snapshot(ev.tender)
    with frozen(bj(2, 13, 0, 0, 1)), pytest.raises(DomainError) as exc:
        disputes.raise_objection(actor=ev.bidders[2], tender_id=ev.tender.pk, grounds="迟到的质疑")
    assert exc.value.code == "objection_too_late" and "第五十二条" in str(exc.value.message)
    assert snapshot(ev.tender) == before
