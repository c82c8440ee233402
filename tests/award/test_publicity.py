"""The tenderer publicizes the candidates within 3 days of the report, for at least 3 days (实施条例
art. 54), with the clock frozen at each boundary (Spring Festival 2027 included)."""

import pytest

from accounts.errors import DomainError, Forbidden
from ledger.models import Entry
from records.verify import verify_pdf
from trading.actions.award import publish_candidates
from trading.award.panel import panel

from .conftest import bj, evaluate, frozen, read_record, snapshot


@pytest.fixture
def received_feb_2(opened_tender):
    # Received Tue Feb 2 10:00: the 3 days end at 24:00 of Tue Feb 9 (Feb 5-8 are rest days).
    with frozen(bj(2, 2, 10)):
        return evaluate(opened_tender, at=bj(2, 2, 10))


def test_publicized_at_the_last_second_of_the_3_days_is_on_time(received_feb_2):
    ev = received_feb_2
    assert [c.rank for c in ev.tender.candidates.all()] == [1, 2, 3]
    assert [c.organization_id for c in ev.tender.candidates.order_by("rank")] == [
        b.organization_id for b in ev.bidders]
    with frozen(bj(2, 8, 23, 59)):
        assert panel(ev.owner, ev.tender)["publish_warning"] is False
    with frozen(bj(2, 9, 0, 0, 1)):
        assert panel(ev.owner, ev.tender)["publish_warning"] is True
        assert panel(ev.bidders[0], ev.tender)["publish_warning"] is False  # only the tenderer is warned
    with frozen(bj(2, 9, 23, 59, 59)):
        publicity = publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    assert publicity.published_late is False
    assert publicity.ends == bj(2, 13)  # by default the shortest lawful period: Feb 9 + 3 days = 24:00 of Fri Feb 12
    ev.refresh()
    assert ev.tender.status == "publicizing"
    entry = Entry.objects.filter(action="publicity.published", tender_ref=ev.tender.code).get()
    assert '"late":false' in entry.payload.replace(" ", "")


def test_publicized_one_second_late_is_accepted_and_marked_late(received_feb_2):
    ev = received_feb_2
    with frozen(bj(2, 10, 0, 0, 1)):
        assert panel(ev.owner, ev.tender)["publish_overdue"] is True
        publicity = publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    assert publicity.published_late is True


def test_a_publicity_shorter_than_3_days_is_refused_with_the_article(received_feb_2):
    ev = received_feb_2
    before = snapshot(ev.tender)
    with frozen(bj(2, 3, 9)), pytest.raises(DomainError) as exc:
        # Starts Wed Feb 3: day 3 is Sat Feb 6, rest to Mon Feb 8 → Tue Feb 9: it must reach 24:00 of Feb 9.
        publish_candidates(actor=ev.owner, tender_id=ev.tender.pk, starts=bj(2, 3, 9), ends=bj(2, 9, 23, 59, 59))
    assert exc.value.code == "publicity_too_short" and "第五十四条" in str(exc.value.message)
    assert snapshot(ev.tender) == before
    with frozen(bj(2, 3, 9)):
        publicity = publish_candidates(actor=ev.owner, tender_id=ev.tender.pk, starts=bj(2, 3, 9), ends=bj(2, 10))
    assert publicity.ends == bj(2, 10)


def test_the_publicity_is_a_signed_pdf_the_bidders_may_read(received_feb_2):
    ev = received_feb_2
    with frozen(bj(2, 3, 9)):
        publicity = publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    record = publicity.record
    report = verify_pdf(read_record(record))
    assert report.ok and [s.signer for s in report.signatures] == ["巴中市公共资源交易平台 电子签章"]
    assert record.kind == "candidate_publicity" and record.organization_id == ev.tender.project.owner_id
    assert set(record.readers.values_list("pk", flat=True)) == {b.organization_id for b in ev.bidders}


@pytest.mark.parametrize("who", ["bidder", "outsider", "staff", "regulator"])
def test_only_the_tenderer_publicizes_and_a_refusal_changes_nothing(received_feb_2, who):
    ev = received_feb_2
    actor = {"bidder": ev.bidders[0], "outsider": ev.outsider, "staff": ev.scene.host,
             "regulator": ev.regulator}[who]
    before = snapshot(ev.tender)
    with frozen(bj(2, 3, 9)), pytest.raises(Forbidden):
        publish_candidates(actor=actor, tender_id=ev.tender.pk)
    assert snapshot(ev.tender) == before
