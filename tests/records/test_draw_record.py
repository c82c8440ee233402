"""评标专家抽取记录: the sealed variant (committee complete) names no expert; the full one (after the
reveal) carries the secrets, the seed and every identity. Both sealed by the platform, read back by poppler."""

import re

import pytest

from records import actions
from records.models import Record
from records.render import DataError, LedgerAnchor, render, to_jsonable
from records.render.samples import DRAW_EXCLUSIONS, TENDER_CODE, sample_draw_record
from records.verify import verify_pdf

from .helpers import read, run
from .test_opening_record import assert_text_stays_in_its_place, pdftotext

SEAL = "巴中市公共资源交易平台 电子签章"
ANCHOR = LedgerAnchor(42, "c" * 64)


@pytest.fixture
def sealed_data():
    return sample_draw_record(full=False)


@pytest.fixture
def full_data():
    return sample_draw_record(full=True)


def _produce(data, regions):
    return actions.produce_record("draw_record", data, tender_ref=TENDER_CODE, region=regions["511921"])


def test_the_sealed_record_is_sealed_by_the_platform_alone(platform_pki, sealed_data, regions):
    record = _produce(sealed_data, regions)
    pdf = read(record)

    assert record.kind == Record.Kind.DRAW_RECORD
    assert record.title == f"评标专家抽取记录（第 17 号抽取，密封版）· {sealed_data.tender_name}"
    assert record.signer_names() == [SEAL]
    report = verify_pdf(pdf)
    assert report.ok
    assert [(s.field, s.signer) for s in report.signatures] == [("Seal", SEAL)]


def test_pdfsig_sees_the_seal_of_both_variants_valid(platform_pki, sealed_data, full_data, regions, tmp_path):
    for name, data in (("sealed", sealed_data), ("full", full_data)):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(read(_produce(data, regions)))

        out = run("pdfsig", str(path)).stdout.decode()

        assert out.count("Signature Validation: Signature is Valid.") == 1, out
        assert "Signature Type: ETSI.CAdES.detached" in out
        assert "Total document signed" in out


def test_the_sealed_record_states_the_draw_without_any_identity(platform_pki, sealed_data, full_data, regions):
    record = _produce(sealed_data, regions)
    text = pdftotext(read(record))
    flat = re.sub(r"\s+", "", text)

    assert "评标专家抽取记录" in text and "密封版" in text
    assert sealed_data.tender_code in text
    assert "巴中市巴州区交通运输局" in text
    assert "7人：招标人代表2人，随机抽取专家5人" in flat
    assert "申请时间2026-05-2810:40:00" in flat
    assert "工程类-公路工程" in text and "经济类-工程造价" in text
    assert "通江县公共资源交易分中心评标室（副场）" in flat
    assert "冻结候选名单共1284人；因回避或不符合条件排除7人次" in flat
    assert "受雇于投标人2" in flat and "暂停评标资格1" in flat and "与项目同属一县区（异地评标）1" in flat
    for value in (sealed_data.platform_commitment, sealed_data.regulator_commitment, sealed_data.frozen_list_sha256):
        assert value in flat
    # The seats: counter, requirement, status, the replaced pick; both times.
    assert "1第1项工程类-公路工程拒绝—2026-05-2810:46:132026-05-2810:49:13" in flat
    assert "3第2项经济类-工程造价超时未答复—2026-05-2810:46:15—" in flat
    assert "5第1项工程类-公路工程接受替第1号" in flat
    assert f"交易日志第 {record.anchor_seq} 条 {record.anchor_hash}" in text
    # No one drawn or excluded is named, and nothing lets a reader recompute the committee early.
    for pick in full_data.picks:
        assert pick.expert_name not in flat and pick.employer not in flat
    for excluded in full_data.excluded:
        assert excluded.expert_name not in flat
    for secret in (full_data.platform_secret, full_data.regulator_secret, full_data.seed):
        assert secret not in flat
    assert "平台秘密承诺" in flat and "监督人员秘密承诺" in flat


def test_the_full_record_names_every_pick_and_exclusion_with_the_secrets(platform_pki, full_data, regions):
    record = _produce(full_data, regions)
    flat = re.sub(r"\s+", "", pdftotext(read(record)))

    assert record.title == f"评标专家抽取记录（第 17 号抽取，完整版）· {full_data.tender_name}"
    for value in (full_data.platform_secret, full_data.regulator_secret, full_data.seed,
                  full_data.platform_commitment, full_data.frozen_list_sha256):
        assert value in flat
    first, declined = full_data.picks[0], full_data.picks[1]
    assert f"0第1项{first.expert_name}{first.id_last4}{first.employer}接受—2026-05-2810:48:12" in flat
    assert f"1第1项{declined.expert_name}{declined.id_last4}{declined.employer}拒绝—" in flat
    assert f"{full_data.picks[6].expert_name}" in flat and "替第3号" in flat
    words = {"employed_by_bidder": "受雇于投标人", "retired": "已退出专家库", "same_county": "与项目同属一县区（异地评标）"}
    for i, (excluded, (reason, employer, detail)) in enumerate(
            zip(full_data.excluded, DRAW_EXCLUSIONS, strict=True), 1):
        assert f"{i}{excluded.expert_name}{excluded.id_last4}" in flat
        if reason in words:
            assert f"{excluded.id_last4}{employer or '—'}{words[reason]}{detail or '—'}".replace(" ", "") in flat
    assert "种子=SHA-256(平台秘密‖监督人员秘密‖冻结名单的SHA-256)" in flat


def test_both_variants_stay_inside_their_cells(platform_pki, sealed_data, full_data):
    for data in (sealed_data, full_data):
        assert_text_stays_in_its_place(render("draw_record", data, anchor=ANCHOR).pdf)


def test_the_same_data_gives_the_same_bytes(platform_pki, full_data):
    first = render("draw_record", full_data, anchor=ANCHOR).pdf
    again = render("draw_record", to_jsonable(full_data), anchor=ANCHOR).pdf

    assert first == again


def _broken(data, change):
    value = to_jsonable(data)
    change(value)
    return value


def _name_a_pick(value):
    value["picks"][0]["expert_name"] = "张伟"


def _keep_the_seed(value):
    value["seed"] = "d" * 64


def _wrong_secret(value):
    value["platform_secret"] = "e" * 64


def _wrong_seed(value):
    value["seed"] = "f" * 64


def _lose_an_exclusion(value):
    value["excluded"].pop()


def _size(value):
    value["committee_size"] = 9


def _unknown_reason(value):
    value["exclusion_counts"]["friend_of_the_host"] = 1


@pytest.mark.parametrize(
    ("full", "change", "message"),
    [
        (False, _name_a_pick, "the sealed draw record carries no expert's identity"),
        (False, _keep_the_seed, "the sealed draw record carries no secret and no seed"),
        (True, _wrong_secret, "the platform secret does not match the platform commitment"),
        (True, _wrong_seed, "the seed is not SHA-256(platform secret ‖ regulator secret ‖ frozen list SHA-256)"),
        (True, _lose_an_exclusion, "the listed exclusions do not add up to exclusion_counts"),
        (False, _size, "5 seats and 2 representatives do not make a committee of 9"),
        (False, _unknown_reason, "exclusion reason 'friend_of_the_host' is not one of"),
    ],
)
def test_data_the_record_must_not_state_is_refused(platform_pki, full, change, message):
    with pytest.raises(DataError, match=re.escape(message)):
        render("draw_record", _broken(sample_draw_record(full=full), change), anchor=ANCHOR)


def test_produce_record_refuses_a_sealed_record_with_a_name_and_stores_nothing(platform_pki, sealed_data, regions):
    from accounts.errors import DomainError
    from ledger.models import Entry

    entries = Entry.objects.count()
    with pytest.raises(DomainError) as exc:
        _produce(_broken(sealed_data, _name_a_pick), regions)

    assert exc.value.code == "invalid_record_data"
    assert not Record.objects.exists()
    assert Entry.objects.count() == entries

