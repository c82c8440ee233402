"""The signed draw record from a real draw (issue 10): the sealed variant when the committee is
complete, the full one after the reveal, each produced by the task the draw actions enqueue, sealed by
the platform and downloadable by staff of the tender's region and regulators, never by bidders."""

import re

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from accounts import sms
from evaluation.actions import draw as draw_actions
from evaluation.models import Draw, Seat
from evaluation.records import produce_draw_record
from ledger.models import Entry
from records.models import Record
from records.verify import verify_pdf
from tests.factories import PASSWORD
from tests.records.helpers import read, run

NAMES = ["司马光远", "欧阳修文", "诸葛明亮", "上官婉清", "东方既白", "慕容复生", "令狐冲霄", "独孤求真",
         "公孙胜利", "皇甫嵩山", "尉迟恭敬", "长孙无忌", "宇文成都", "端木蓉蓉", "夏侯渊博", "西门吹雪"]
SECRET = "5e" * 32


def _text(pdf):
    return re.sub(r"\s+", "", run("pdftotext", "-enc", "UTF-8", "-", "-", data=pdf).stdout.decode())


def _run_tasks():
    """What the task worker does with the draw-record tasks the actions enqueued: run each, store its
    result (db_worker itself closes the test's database connection)."""
    for row in DBTaskResult.objects.ready().filter(task_path="evaluation.tasks.produce_draw_record_task"):
        row.set_successful(row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]))


def _codes():
    """{seat id: one-time code} of the texts sent so far."""
    out = {}
    for _phone, text in sms.outbox:
        token = re.search(r"/evaluation/draws/answer/([-\w]+)/", text)
        code = re.findall(r"(?<!\d)(\d{6})(?!\d)", text)
        out[Seat.objects.get(link_token=token[1]).pk] = code[-1]
    return out


@pytest.fixture
def complete_draw(opened_tender, expert_pool, django_capture_on_commit_callbacks):
    """A committee of 5 (one tenderer's representative, three 房屋建筑 and one 工程造价 experts) from a
    pool of 12 named experts, plus one employee of a bidder (excluded); one expert declines and is
    replaced; everyone else accepts."""
    scene = opened_tender
    experts = expert_pool(12) + expert_pool(1, employer=scene.bidders[0].organization)
    from evaluation.models import Expert

    for expert, name in zip(experts, NAMES, strict=False):  # memorable names, to look for in the PDFs
        Expert.objects.filter(pk=expert.pk).update(name=name)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        draw = draw_actions.request_draw(
            actor=scene.host, tender_id=scene.tender.pk, committee_size=5, tenderer_representatives=1,
            requirements=[{"specialty": "ENG-BLD", "count": 3}, {"specialty": "ECO-CST", "count": 1}])
        draw_actions.contribute_regulator_secret(actor=scene.regulator, draw_id=draw.pk, secret_hex=SECRET)
    answered = set()
    while (pending := [pk for pk in _codes() if pk not in answered]):
        for seat_id in pending:
            answered.add(seat_id)
            with django_capture_on_commit_callbacks(execute=True):
                draw_actions.respond_to_seat(seat_id=seat_id, code=_codes()[seat_id], accept=len(answered) != 2,
                                             reason="出差")
    draw.refresh_from_db()
    assert draw.status == Draw.Status.COMPLETE
    assert draw.seats.filter(status=Seat.Status.DECLINED).count() == 1
    scene.draw = draw
    return scene


def _download(user, record):
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client.get(f"/records/{record.pk}/download/")


def _draw_records():
    return list(Record.objects.filter(kind=Record.Kind.DRAW_RECORD).order_by("pk"))


def test_the_complete_committee_gets_a_sealed_record_staff_and_regulators_read(complete_draw, make_user):
    scene, draw = complete_draw, complete_draw.draw
    assert _draw_records() == []  # queued, not yet made

    _run_tasks()

    (record,) = _draw_records()
    assert record.title == f"评标专家抽取记录（第 {draw.pk} 号抽取，密封版）· {scene.tender.title}"
    assert (record.tender_ref, record.region_id, record.organization_id) == (scene.tender.code,
                                                                             scene.tender.region_id, None)
    assert list(record.readers.all()) == []
    assert record.signer_names() == ["巴中市公共资源交易平台 电子签章"]
    entry = Entry.objects.get(seq=record.ledger_seq)
    assert entry.action == "record.signed" and entry.tender_ref == scene.tender.code
    pdf = read(record)
    assert verify_pdf(pdf).ok
    text = _text(pdf)
    assert draw.platform_commitment in text and draw.regulator_commitment in text
    assert draw.frozen_list_sha256 in text
    assert "冻结候选名单共12人；因回避或不符合条件排除1人次" in text and "受雇于投标人1" in text
    assert "拒绝" in text and "替第" in text
    # Sealed: nobody of the pool is named, the employer neither, and no secret lets anyone recompute early.
    for name in NAMES[:13]:
        assert name not in text
    assert scene.bidders[0].organization.name not in text
    assert draw.platform_secret not in text and draw.regulator_secret not in text and draw.seed not in text
    assert f"交易日志第{record.anchor_seq}条{record.anchor_hash}" in text

    # Staff of the tender's county and regulators (of the county, of the city) read it.
    for reader in (scene.host, scene.regulator, make_user("regulator", "511900"), make_user("staff", "511900")):
        response = _download(reader, record)
        assert response.status_code == 200, reader
        assert b"".join(response.streaming_content) == pdf
    # Bidders (even those who bid), the tenderer and staff of another county do not.
    for outsider in (scene.bidders[0], scene.bidders[1], make_user("tenderer", "511921"),
                     make_user("staff", "511922")):
        assert _download(outsider, record).status_code in (403, 404), outsider


def test_after_the_reveal_the_full_record_names_every_pick(complete_draw, django_capture_on_commit_callbacks):
    scene, draw = complete_draw, complete_draw.draw
    _run_tasks()
    # The evaluation session is not built yet: the tender is moved past it directly.
    from trading.models import Tender

    Tender.objects.filter(pk=scene.tender.pk).update(status=Tender.Status.EVALUATED)
    with django_capture_on_commit_callbacks(execute=True):
        draw_actions.reveal_draw(actor=scene.host, draw_id=draw.pk)
    _run_tasks()

    sealed, full = _draw_records()
    draw.refresh_from_db()
    assert full.title == f"评标专家抽取记录（第 {draw.pk} 号抽取，完整版）· {scene.tender.title}"
    assert draw_actions.verify_draw_record(draw) == []
    text = _text(read(full))
    for value in (draw.platform_secret, draw.regulator_secret, draw.seed, draw.frozen_list_sha256):
        assert value in text
    for seat in draw.seats.select_related("expert").order_by("counter"):
        assert f"{seat.expert.name}{seat.expert.id_last4}" in text
    excluded = draw.exclusions.get().expert
    # The exclusion, with the employer that caused it (pdftotext reads this table's columns out of order).
    assert excluded.name in text
    assert f"{excluded.id_last4}{scene.bidders[0].organization.name}受雇于投标人" in text
    assert _download(scene.regulator, full).status_code == 200
    assert _download(scene.bidders[0], full).status_code in (403, 404)
    # Produced once per variant: a retried task returns the same record.
    assert produce_draw_record(draw, full=True) == full
    assert produce_draw_record(draw.pk, full=False) == sealed
    assert len(_draw_records()) == 2
