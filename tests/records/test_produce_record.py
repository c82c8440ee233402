import hashlib
import json
from pathlib import Path

import pytest
from django.test import override_settings

from accounts.errors import DomainError, Forbidden
from ledger import chain
from ledger.models import Entry
from records import actions
from records.models import Record
from records.render import to_jsonable
from records.render.samples import sample_bid_receipt
from records.verify import verify_pdf

from .helpers import read, run


def test_produce_record_stores_the_file_and_records_it_in_the_ledger(produced_report, committee, report_data):
    record = produced_report
    pdf = read(record)

    assert record.kind == "evaluation_report" and record.tender_ref == report_data.tender_code
    assert record.region.code == "511921"
    assert record.sha256 == hashlib.sha256(pdf).hexdigest() and record.size == len(pdf)
    assert record.signer_names() == [e.name for e in report_data.experts] + ["巴中市公共资源交易平台 电子签章"]
    assert [s["user"] for s in record.signers] == [u.pk for u in committee] + [None]
    entry = Entry.objects.get(seq=record.ledger_seq)
    assert entry.action == "record.signed" and entry.tender_ref == report_data.tender_code
    assert entry.region_code == "511921"
    payload = json.loads(entry.payload)
    assert payload["record"] == record.pk and payload["sha256"] == record.sha256
    assert payload["anchor"] == {"seq": record.anchor_seq, "hash": record.anchor_hash}
    assert [s["name"] for s in payload["signers"]] == record.signer_names()
    # The anchor is the head before the record's own entry (and the certificates issued for it).
    assert record.anchor_seq < entry.seq
    assert Entry.objects.get(seq=record.anchor_seq).hash == record.anchor_hash
    assert chain.verify().ok


def test_a_receipt_from_json_data_is_sealed_and_issued_to_the_bidder(platform_pki, make_user):
    bidder = make_user("bidder", "511923")
    data = to_jsonable(sample_bid_receipt())  # as a background task would pass it

    record = actions.produce_record("bid_receipt", data, tender_ref=data["tender_code"],
                                    region="511923", organization=bidder.organization)

    report = verify_pdf(read(record))
    assert report.ok and [s.signer for s in report.signatures] == ["巴中市公共资源交易平台 电子签章"]
    assert record.organization == bidder.organization
    assert record.title == "投标文件接收回执 · 巴中市川东路桥建设有限公司"


def test_a_bidder_cannot_produce_records_and_nothing_is_written(platform_pki, make_user, report_data, committee):
    bidder = make_user("bidder")
    entries = Entry.objects.count()

    with pytest.raises(Forbidden):
        actions.produce_record("evaluation_report", report_data, signers=committee, actor=bidder)

    assert Entry.objects.count() == entries
    assert not Record.objects.exists()


def test_a_fourth_candidate_is_refused_and_nothing_is_stored(platform_pki, settings, report_data, committee):
    data = to_jsonable(report_data)
    data["candidates"].append({"rank": 4, "bidder": "B05", "score": "60"})

    with pytest.raises(DomainError) as exc:
        actions.produce_record("evaluation_report", data, signers=committee)

    assert exc.value.code == "invalid_record_data"
    assert "at most 3 candidates" in str(exc.value.message)
    assert not Record.objects.exists()
    assert list(Path(settings.MEDIA_ROOT).rglob("*.pdf")) == []


def test_the_signers_must_be_the_committee_in_order(platform_pki, report_data, committee):
    with pytest.raises(DomainError) as exc:
        actions.produce_record("evaluation_report", report_data, signers=list(reversed(committee)))

    assert exc.value.code == "signer_mismatch"
    assert not Record.objects.exists()


def test_staff_may_produce_a_record_of_their_county(platform_pki, make_user, report_data, committee):
    staff = make_user("staff", "511921")

    record = actions.produce_record("evaluation_report", report_data, signers=committee, actor=staff, region="511921")

    assert record.created_by == staff
    assert Entry.objects.get(seq=record.ledger_seq).actor_id == staff.pk


def test_a_large_record_can_be_produced_by_a_background_task(platform_pki, report_data, committee):
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}):
        result = actions.enqueue_record("evaluation_report", report_data, tender_ref="T-1", signers=committee)

    assert result.status == "SUCCESSFUL", result.errors
    record = Record.objects.get(pk=result.return_value)
    assert record.tender_ref == "T-1" and verify_pdf(read(record)).ok


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_aproduce_record_works_from_async_code(platform_pki, report_data, committee):
    record = await actions.aproduce_record("evaluation_report", report_data, tender_ref="T-2", signers=committee)

    from asgiref.sync import sync_to_async

    pdf = await sync_to_async(read)(record)
    assert record.sha256 == hashlib.sha256(pdf).hexdigest()
    assert "评标报告" in run("pdftotext", "-enc", "UTF-8", "-", "-", data=pdf).stdout.decode()


def test_without_init_pki_nothing_can_be_signed(settings, tmp_path, report_data, committee):
    settings.PKI_DIR = tmp_path / "empty"

    with pytest.raises(DomainError) as exc:
        actions.produce_record("evaluation_report", report_data, signers=committee)

    assert exc.value.code == "pki_not_initialized"
    assert "init_pki" in str(exc.value.message)


def test_a_timestamping_authority_is_used_only_when_configured(settings):
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from records.signing import _timestamper

    assert _timestamper() is None  # none configured here: no network at signing time
    settings.RECORDS_TSA_URL = "http://tsa.example.invalid/tsr"
    assert isinstance(_timestamper(), HTTPTimeStamper)
