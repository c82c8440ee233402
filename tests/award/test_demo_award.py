"""`manage.py load_demo_award` after `load_demo`: a tender in publicity with an answered objection, an
awarded tender with its signed notices, and a failed tender re-tendered; run again, it adds nothing."""

import io

import pytest
from django.core.management import call_command

from ledger.queries import last_seq
from records.verify import verify_pdf
from tests.test_demo import old_key_files, reference_data  # noqa: F401  (fixtures)
from trading.models import Tender

from .conftest import read_record


@pytest.mark.django_db(transaction=True)
def test_the_award_demo_loads_once(platform_pki, reference_data, old_key_files, settings, tmp_path):  # noqa: F811
    settings.VAR_DIR = tmp_path / "var"
    call_command("load_demo", keys_dir=str(old_key_files), stdout=io.StringIO())
    call_command("load_demo_award", keys_dir=str(old_key_files), stdout=io.StringIO())

    publicized = Tender.objects.get(title="通江县诺江镇污水处理厂提标改造工程")
    assert publicized.status == "publicizing"
    (objection,) = publicized.candidate_objections.all()
    assert objection.answered_at is not None and objection.answer
    assert verify_pdf(read_record(publicized.publicity.record)).ok

    awarded = Tender.objects.get(title="巴中市回风大道绿化提升工程")
    assert awarded.status == "awarded"
    award = awarded.award
    assert award.rank == 1 and award.contract_signed_at is not None and award.reported_at is None
    assert award.organization.name == "通江红云建筑有限公司"  # the lowest price, bidder2
    for record in (award.notice_record, award.result_record, awarded.publicity.record):
        assert verify_pdf(read_record(record)).ok
    assert len(award.unsuccessful_records) == 2

    failed = Tender.objects.get(title="巴州区回龙镇农村公路建设工程")
    assert failed.status == "failed"
    (again,) = failed.retenders.all()
    assert again.status == "draft" and again.documents.count() == failed.documents.count() == 1

    head, out = last_seq(), io.StringIO()
    call_command("load_demo_award", keys_dir=str(old_key_files), stdout=out)
    assert "already loaded" in out.getvalue() and last_seq() == head
