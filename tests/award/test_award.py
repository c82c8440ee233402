"""The award: the tenderer confirms the winner after the publicity; the award notice, the result and the
notices to the others are signed PDFs; the contract (30 days, 招标投标法 art. 46) and the report (15 days,
art. 47) are tracked and reminded."""

import pytest

from accounts import sms
from accounts.errors import DomainError, Forbidden
from ledger.models import Entry
from records.models import Record
from records.verify import verify_pdf
from trading import tasks_award  # noqa: F401  (registers trading.award_reminder, see docs/award.md)
from trading.actions import award
from trading.actions.award import publish_candidates
from trading.award.reminders import send_reminder

from .conftest import bj, evaluate, frozen, read_record, snapshot


@pytest.fixture
def publicity_over(opened_tender):
    """Publicized Mon Jan 4 to 24:00 of Thu Jan 7."""
    with frozen(bj(1, 4, 9)):
        ev = evaluate(opened_tender, at=bj(1, 4, 8))
        publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    return ev


def test_no_award_during_the_publicity(publicity_over):
    ev = publicity_over
    before = snapshot(ev.tender)
    with frozen(bj(1, 8)), pytest.raises(DomainError) as exc:
        award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    assert exc.value.code == "publicity_running"
    assert snapshot(ev.tender) == before


def test_the_award_produces_signed_notices_and_tracks_its_deadlines(publicity_over):
    ev = publicity_over
    with frozen(bj(1, 6 + 15, 10)):  # Thu Jan 21
        done = award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    winner = ev.bidders[0].organization_id
    assert (done.organization_id, done.rank, done.price_fen) == (winner, 1, 1000 * 10_000_00)
    assert done.contract_due == bj(2, 23)  # Jan 21 + 30 days = Sat Feb 20, rest to Sun 21 → Mon Feb 22
    assert done.report_due == bj(2, 10)  # Jan 21 + 15 = Fri Feb 5 (除夕) → Tue Feb 9
    records = [done.notice_record, done.result_record,
               *Record.objects.filter(pk__in=done.unsuccessful_records.values())]
    assert [r.kind for r in records] == ["award_notice", "award_result", "unsuccessful_notice", "unsuccessful_notice"]
    assert done.notice_record.organization_id == winner
    assert set(map(int, done.unsuccessful_records)) == {b.organization_id for b in ev.bidders[1:]}
    for record in records:
        report = verify_pdf(read_record(record))
        assert report.ok and len(report.signatures) == 1
    entry = Entry.objects.get(action="award.confirmed", tender_ref=ev.tender.code)
    assert f'"organization":{winner}' in entry.payload.replace(" ", "")


def test_another_rank_needs_a_reason(publicity_over):
    ev = publicity_over
    before = snapshot(ev.tender)
    with frozen(bj(1, 8, 10)), pytest.raises(DomainError) as exc:
        award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk, rank=2)
    assert exc.value.code == "reason_required" and "第五十五条" in str(exc.value.message)
    assert snapshot(ev.tender) == before
    with frozen(bj(1, 8, 10)):
        done = award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk, rank=2, reason="第一名放弃中标")
    assert done.organization_id == ev.bidders[1].organization_id and done.reason == "第一名放弃中标"


@pytest.mark.parametrize("who", ["bidder", "staff", "regulator"])
def test_only_the_tenderer_confirms(publicity_over, who):
    ev = publicity_over
    actor = {"bidder": ev.bidders[0], "staff": ev.scene.host, "regulator": ev.regulator}[who]
    before = snapshot(ev.tender)
    with frozen(bj(1, 8, 10)), pytest.raises(Forbidden):
        award.confirm_award(actor=actor, tender_id=ev.tender.pk)
    assert snapshot(ev.tender) == before


def test_contract_and_report_are_recorded_late_or_on_time_and_reminded_once(publicity_over,
                                                                           django_capture_on_commit_callbacks):
    ev = publicity_over
    ev.owner.phone = "13800000001"
    ev.owner.save(update_fields=["phone"])
    with frozen(bj(1, 21, 10)):
        award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    sms.outbox.clear()
    with frozen(bj(2, 9, 9)), django_capture_on_commit_callbacks(execute=True):
        assert send_reminder(ev.tender.pk, "report") == 1
        assert send_reminder(ev.tender.pk, "report") == 0  # once
    assert len(sms.outbox) == 1 and "第四十七条" in sms.outbox[0][1]
    with frozen(bj(2, 10)):
        done = award.record_report(actor=ev.owner, tender_id=ev.tender.pk)
    assert done.reported_at == bj(2, 10)
    assert '"late":false' in Entry.objects.get(action="award.reported").payload.replace(" ", "")
    with frozen(bj(2, 23, 0, 0, 1)):
        assert send_reminder(ev.tender.pk, "report") == 0  # done
        done = award.record_contract_signed(actor=ev.owner, tender_id=ev.tender.pk)
    assert '"late":true' in Entry.objects.get(action="award.contract_signed").payload.replace(" ", "")


def test_the_publicity_and_the_result_are_announced_in_their_transactions(opened_tender, monkeypatch):
    calls = []

    def announce(tender, kind, *, actor=None, source=None):
        from django.db import connection

        calls.append((tender.pk, kind, actor.pk, type(source).__name__, source.pk, connection.in_atomic_block))

    monkeypatch.setattr("trading.actions.award.announce", announce)
    with frozen(bj(1, 4, 9)):
        ev = evaluate(opened_tender, at=bj(1, 4, 8))
        publicity = publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    with frozen(bj(1, 8, 9)):
        done = award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    assert calls == [(ev.tender.pk, "candidates", ev.owner.pk, "Publicity", publicity.pk, True),
                     (ev.tender.pk, "result", ev.owner.pk, "Award", done.pk, True)]


def test_the_award_schedules_its_reminders_one_day_before_each_limit(publicity_over,
                                                                     django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    ev = publicity_over
    with frozen(bj(1, 21, 10)), django_capture_on_commit_callbacks(execute=True):
        award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    rows = DBTaskResult.objects.filter(task_path="trading.tasks_award.award_reminder_task")
    scheduled = sorted((r.args_kwargs["args"][1], r.run_after) for r in rows)
    assert scheduled == [("contract", bj(2, 22)), ("report", bj(2, 9))]


def test_procurement_files_the_contract_within_7_working_days_of_its_signature(opened_tender):
    from trading.models import Tender

    Tender.objects.filter(pk=opened_tender.tender.pk).update(category="procurement")
    with frozen(bj(1, 4, 9)):
        ev = evaluate(opened_tender, at=bj(1, 4, 8))
        publish_candidates(actor=ev.owner, tender_id=ev.tender.pk)
    with frozen(bj(1, 8, 9)):
        done = award.confirm_award(actor=ev.owner, tender_id=ev.tender.pk)
    assert done.report_due is None  # set by the contract's signature (政府采购法 art. 47)
    with frozen(bj(2, 2, 10)):  # Tue Feb 2: Feb 3-4 (2), Feb 5-8 rest, Feb 9-12 (6), weekend, Mon Feb 15 (7)
        done = award.record_contract_signed(actor=ev.owner, tender_id=ev.tender.pk)
    assert done.report_due == bj(2, 16)
