"""The signed evaluation report of a finished session (docs/evaluation-session.md, `signing` → `closed`):
the last signature enqueues the task; the task renders the report from the database, has every active
member sign it with their own certificate in seat order, seals it, and closes the session. Checked with
poppler (pdfsig, pdftotext) and against evaluation.scoring."""

import json
import re
from decimal import Decimal

import pytest
from django_tasks_db.models import DBTaskResult

from accounts.errors import DomainError, Forbidden
from evaluation import scoring
from evaluation.actions import review
from evaluation.actions import session as session_actions
from evaluation.actions.report import produce_session_report, retry_report
from evaluation.models import EvaluationSession, Member, Score
from ledger.models import Entry
from realtime.models import StreamEvent
from records.models import Record
from records.pki import SEAL_NAME
from tests.evaluation.session_setup import accept_replacements, session_scene
from tests.records.helpers import read, run

pytestmark = pytest.mark.django_db
TASK = "evaluation.tasks.produce_session_report_task"
SEVEN = [("511921", 3), ("511922", 2), ("511923", 2)]


def _name_users(scene):
    """Experts' accounts carry the expert's name, as real ones do (the certificate names its holder)."""
    for m in Member.objects.filter(session=scene.session).select_related("expert", "user"):
        m.user.full_name = m.expert.name
        m.user.save(update_fields=["full_name"])


def _sign_all(scene, capture):
    with capture(execute=True):
        for m in scene.members:
            review.sign_report(actor=m.user, session_id=scene.session.pk)


def _run_tasks():
    """What the worker does with the report tasks the actions enqueued; returns their results."""
    out = []
    for row in DBTaskResult.objects.ready().filter(task_path=TASK):
        result = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.set_successful(result)
        out.append(result)
    return out


def _text(record):
    return run("pdftotext", "-layout", "-enc", "UTF-8", "-", "-", data=read(record)).stdout.decode()


def _pdfsig(record, tmp_path):
    path = tmp_path / f"report-{record.pk}.pdf"
    path.write_bytes(read(record))
    return run("pdfsig", str(path)).stdout.decode()


def _expected_scores(session):
    """{bid id: final score} recomputed from the rows with evaluation.scoring, independently of the report."""
    members = [m.pk for m in session.members.filter(removed_at__isnull=True)]
    criteria = session.terms["criteria"]
    out = {}
    for result in session.results.filter(qualified=True):
        totals = []
        for m in members:
            points = Score.objects.filter(member_id=m, bid=result.bid).values_list("points", flat=True)
            assert len(points) == sum(1 for c in criteria if c["kind"] != "price")
            totals.append(sum(points, Decimal(0)) + result.price_score)
        out[result.bid_id] = scoring.final_score(totals, trim_extremes=session.terms["trim_extremes"])
    return out


def _summary_rows(text, session):
    """{bid code: the score printed at the end of its row in the summary table}."""
    section = text[text.index("评分汇总及排序"):text.index("评标委员会成员的不同意见")]
    rows = {}
    for code in session.codes.values():
        match = re.search(rf"^\s*(\d+)\s+{code}\s+.*?(\d+\.\d\d)\s*$", section, re.M)
        if match:
            rows[code] = (int(match.group(1)), Decimal(match.group(2)))
    return rows


@pytest.fixture
def scene(opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool)
    _name_users(scene)
    return scene


def test_the_last_signature_produces_the_signed_report_and_closes_the_session(
        scene, django_capture_on_commit_callbacks, tmp_path):
    session = scene.to_stage("signing")
    members = scene.members
    _sign_all(scene, django_capture_on_commit_callbacks)
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1

    (record_id,) = _run_tasks()

    session.refresh_from_db()
    record = Record.objects.get(pk=record_id)
    assert session.report_id == record.pk and session.stage == "closed" and session.closed_at is not None
    assert session.report_error == ""
    scene.tender.refresh_from_db()
    assert scene.tender.status == "evaluated"
    assert record.kind == "evaluation_report" and record.tender_ref == scene.tender.code
    assert record.region == scene.tender.region and record.organization == scene.tender.project.owner
    assert list(record.readers.all()) == []
    # Every member, in seat order, with their own certificate; then the seal.
    assert [s["user"] for s in record.signers] == [m.user_id for m in members] + [None]
    assert record.signer_names() == [m.expert.name for m in members] + [SEAL_NAME]
    assert len({s["certificate"] for s in record.signers}) == len(members) + 1
    out = _pdfsig(record, tmp_path)
    assert out.count("Signature Validation: Signature is Valid.") == len(members) + 1
    for m in members:
        assert f"Signer Certificate Common Name: {m.expert.name}" in out
    assert f"Signer Certificate Common Name: {SEAL_NAME}" in out
    assert "Total document signed" in out
    # The ledger and the stream say the session closed, with the report.
    entry = Entry.objects.filter(action="evaluation.closed", tender_ref=scene.tender.code).get()
    payload = json.loads(entry.payload)
    receipts = dict(session.results.values_list("bid_id", "bid__bid__receipt_no"))
    assert payload == {"session": session.pk, "record": record.pk, "sha256": record.sha256,
                       "candidates": [receipts[b] for b in session.ranking["candidates"]]}
    closed = StreamEvent.objects.filter(stream__name=f"evaluation-session-{session.pk}", type="session.closed").get()
    assert closed.data == {"audience": "all", "report": record.pk}

    # What it prints agrees with evaluation.scoring: each bid's mean, and the ranking.
    text = _text(record)
    expected = _expected_scores(session)
    printed = _summary_rows(text, session)
    assert printed == {session.codes[str(o["bid"])]: (o["rank"], expected[o["bid"]])
                       for o in session.ranking["order"]}
    assert [Decimal(o["score"]) for o in session.ranking["order"]] == [expected[o["bid"]]
                                                                        for o in session.ranking["order"]]
    leader = Member.objects.get(pk=session.leader_id)
    assert re.search(rf"组长\s*：\s*{leader.expert.name}", text)
    for venue in scene.venues:
        assert venue.name in text


def test_a_rerun_returns_the_same_record(scene, django_capture_on_commit_callbacks):
    scene.to_stage("signing")
    _sign_all(scene, django_capture_on_commit_callbacks)
    (record_id,) = _run_tasks()
    entries = Entry.objects.count()

    again = produce_session_report(scene.session.pk)

    assert again.pk == record_id
    assert Record.objects.filter(kind="evaluation_report").count() == 1
    assert Entry.objects.count() == entries


def test_a_close_that_failed_after_the_record_was_stored_reuses_that_record(scene, django_capture_on_commit_callbacks,
                                                                           monkeypatch):
    from evaluation.actions import report

    scene.to_stage("signing")
    _sign_all(scene, django_capture_on_commit_callbacks)
    DBTaskResult.objects.filter(task_path=TASK).delete()
    real_close = report._close

    def broken(session_id, record):
        raise RuntimeError("database went away")

    monkeypatch.setattr(report, "_close", broken)
    with pytest.raises(RuntimeError):
        produce_session_report(scene.session.pk)
    stored = Record.objects.get(kind="evaluation_report")
    assert scene.refresh().report_error == "RuntimeError: database went away"

    monkeypatch.setattr(report, "_close", real_close)
    record = produce_session_report(scene.session.pk)

    assert record.pk == stored.pk and Record.objects.filter(kind="evaluation_report").count() == 1
    assert scene.refresh().stage == "closed" and scene.session.report_error == ""


def test_a_bid_that_failed_qualification_is_printed_with_its_reasons_and_not_ranked(
        scene, django_capture_on_commit_callbacks):
    failing = scene.bids[1]
    session = scene.to_stage("signing", fail=[failing.pk])
    _sign_all(scene, django_capture_on_commit_callbacks)
    _run_tasks()

    session.refresh_from_db()
    text = _text(session.report)
    code = session.codes[str(failing.pk)]
    name = failing.bid.organization.name
    assert re.search(rf"{code}\s+{name}：“{session.terms['qualification_criteria'][0]}”未通过"
                     rf"（通过:不通过 0:{len(scene.members)}）。理由：资质证书过期", text)
    assert re.search(rf"^\s*{code}\s+{name}.*不合格\s*$", text, re.M)
    assert "不进入详细评审，不参与排序" in text
    assert failing.pk not in [o["bid"] for o in session.ranking["order"]]
    printed = _summary_rows(text, session)
    assert code not in printed
    assert set(printed) == {session.codes[str(o["bid"])] for o in session.ranking["order"]}
    # Nor is it on any score sheet.
    sheets = text[text.index("评标专家个人评分表"):text.index("评分汇总及排序")]
    assert name not in sheets


def test_when_every_bid_fails_the_report_names_no_candidate(scene, django_capture_on_commit_callbacks):
    session = scene.to_stage("signing", fail=[b.pk for b in scene.bids])
    _sign_all(scene, django_capture_on_commit_callbacks)
    _run_tasks()

    session.refresh_from_db()
    assert session.stage == "closed" and session.ranking["candidates"] == []
    text = _text(session.report)
    assert "没有投标人通过初步评审，评标委员会否决全部投标" in text
    assert text.count("理由：资质证书过期") == len(scene.bids)
    entry = Entry.objects.get(action="evaluation.closed", tender_ref=scene.tender.code)
    assert json.loads(entry.payload)["candidates"] == []


def test_with_seven_experts_the_extremes_are_dropped(opened_tender, expert_pool, django_capture_on_commit_callbacks):
    scene = session_scene(opened_tender, expert_pool, venues=SEVEN, terms={"trim_extremes": True})
    _name_users(scene)
    members = [m.pk for m in scene.members]

    def points(member, bid, criterion, weight):
        # One generous and one severe expert: trimming changes every mean.
        position = members.index(member.pk)
        share = {0: Decimal("0.99"), 6: Decimal("0.30")}.get(position, Decimal("0.70") + Decimal(position) / 100)
        return str((Decimal(weight) * share).quantize(Decimal("0.01")))

    session = scene.to_stage("signing", points=points)
    _sign_all(scene, django_capture_on_commit_callbacks)
    _run_tasks()

    session.refresh_from_db()
    assert session.stage == "closed" and session.ranking["trimmed"] is True
    text = _text(session.report)
    assert "去掉一个最高分和一个最低分" in text
    expected = _expected_scores(session)
    printed = _summary_rows(text, session)
    assert printed == {session.codes[str(o["bid"])]: (o["rank"], expected[o["bid"]])
                       for o in session.ranking["order"]}
    for result in session.results.filter(qualified=True):
        totals = [sum(Score.objects.filter(member_id=m, bid=result.bid).values_list("points", flat=True),
                      Decimal(0)) + result.price_score for m in members]
        assert expected[result.bid_id] != scoring.final_score(totals)  # the untrimmed mean is another number
    assert len(session.report.signers) == 8


def test_a_member_removed_for_a_conflict_neither_appears_nor_signs(scene, django_capture_on_commit_callbacks,
                                                                   tmp_path):
    scene.to_stage("commitments")
    leaving = scene.members[1]
    with django_capture_on_commit_callbacks(execute=True):
        session_actions.sign_commitment(actor=leaving.user, session_id=scene.session.pk,
                                        conflicts=[scene.bids[0].pk])
    accept_replacements(scene)
    _name_users(scene)
    scene.check_in_all()
    session = scene.to_stage("signing")
    members = scene.members
    assert leaving.pk not in [m.pk for m in members] and len(members) == 5
    _sign_all(scene, django_capture_on_commit_callbacks)
    _run_tasks()

    session.refresh_from_db()
    record = session.report
    assert [s["user"] for s in record.signers] == [m.user_id for m in members] + [None]
    assert leaving.user_id not in [s["user"] for s in record.signers]
    assert leaving.expert.name not in _text(record)
    assert _pdfsig(record, tmp_path).count("Signature Validation: Signature is Valid.") == 6


def test_a_failure_is_kept_for_the_page_and_the_host_retries(scene, django_capture_on_commit_callbacks, settings,
                                                             tmp_path):
    scene.to_stage("signing")
    good_pki = settings.PKI_DIR
    settings.PKI_DIR = tmp_path / "no-pki"
    _sign_all(scene, django_capture_on_commit_callbacks)
    row = DBTaskResult.objects.get(task_path=TASK)
    with pytest.raises(DomainError) as exc:
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    row.delete()

    assert exc.value.code == "pki_not_initialized"
    session = scene.refresh()
    assert session.stage == "signing" and session.report_id is None
    assert session.report_error == str(exc.value.message)  # in the worker's language, for the page
    failed = StreamEvent.objects.filter(stream__name=f"evaluation-session-{session.pk}", type="report.failed").get()
    assert failed.data == {"audience": "all", "reason": session.report_error}
    assert not Record.objects.filter(kind="evaluation_report").exists()

    # Neither a regulator nor a member may retry; nothing changes.
    entries = Entry.objects.count()
    for outsider in (scene.regulator, scene.members[0].user):
        with pytest.raises(Forbidden):
            retry_report(actor=outsider, session_id=session.pk)
    assert Entry.objects.count() == entries and not DBTaskResult.objects.filter(task_path=TASK).exists()
    assert scene.refresh().report_error == str(exc.value.message)

    settings.PKI_DIR = good_pki
    with django_capture_on_commit_callbacks(execute=True):
        retry_report(actor=scene.host, session_id=session.pk)
    assert scene.refresh().report_error == ""
    assert Entry.objects.filter(action="evaluation.report_retried").count() == 1
    (record_id,) = _run_tasks()

    assert scene.refresh().report_id == record_id and scene.session.stage == "closed"
    with pytest.raises(DomainError) as exc:
        retry_report(actor=scene.host, session_id=session.pk)
    assert exc.value.code == "already_done"


def test_the_report_is_refused_before_every_member_signed(scene):
    scene.to_stage("signing")
    review.sign_report(actor=scene.members[0].user, session_id=scene.session.pk)

    with pytest.raises(DomainError) as exc:
        produce_session_report(scene.session.pk)

    assert exc.value.code == "not_ready"
    assert scene.refresh().stage == "signing" and not Record.objects.exists()


def test_the_lowest_evaluated_price_method_ranks_by_price(opened_tender, expert_pool,
                                                          django_capture_on_commit_callbacks, tmp_path):
    from trading.models import Tender

    Tender.objects.filter(pk=opened_tender.tender.pk).update(evaluation_method="lowest_price", criteria=[])
    scene = session_scene(opened_tender, expert_pool)
    # Two experts of the same name: printed apart, each signing with their own certificate.
    first, second = scene.members[0], scene.members[1]
    type(first.expert).objects.filter(pk__in=[first.expert_id, second.expert_id]).update(name="张伟")
    for m in (first, second):
        m.user.full_name = "张伟"
        m.user.save(update_fields=["full_name"])

    session = scene.to_stage("signing")
    _sign_all(scene, django_capture_on_commit_callbacks)
    _run_tasks()

    session.refresh_from_db()
    assert session.stage == "closed" and session.ranking["method"] == "lowest_price"
    text = _text(session.report)
    assert "经评审的最低投标价法" in text and "评标价及排序" in text and "评标专家个人评分表" not in text
    by_price = sorted(session.results.all(), key=lambda r: r.price_fen)
    for rank, result in enumerate(by_price, 1):
        code = session.codes[str(result.bid_id)]
        assert re.search(rf"^\s*{rank}\s+{code}\s+.*\s{result.price_fen // 100:,}\.00\s+0\.00\s+"
                         rf"{result.price_fen // 100:,}\.00\s*$", text, re.M)
    assert "张伟（甲）" in text and "张伟（乙）" in text
    assert session.report.signer_names()[:2] == ["张伟", "张伟"]
    assert _pdfsig(session.report, tmp_path).count("Signature Validation: Signature is Valid.") == 6


def test_the_renderers_mean_is_evaluation_scorings():
    """docs/price-scoring.md: the mean the report prints is evaluation.scoring's, trimmed or not."""
    import random

    from records.render.evaluation_report import final_score

    rng = random.Random(7)
    for n in (3, 5, 6, 7, 9, 13):
        for _ in range(50):
            totals = [Decimal(rng.randrange(0, 10001)) / 100 for _ in range(n)]
            for trim in (False, True):
                assert final_score(totals, trim_extremes=trim) == scoring.final_score(totals, trim_extremes=trim)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["candidates"][0].update(score="99.99"), "disagrees with the ranking"),
    (lambda d: [c.update(rank=3 - c["rank"]) for c in d["candidates"][:2]], "disagrees with the ranking"),
    (lambda d: d["candidates"][0].update(bidder="B03"), "disagrees with the ranking"),
    # The sample's candidates are ranked by the untrimmed mean: with 7 experts, trimming moves them.
    (lambda d: d.update(trim_extremes=True), "disagrees with the ranking"),
    (lambda d: d.update(method_kind="lowest_price"), "takes no scoring criteria"),
])
def test_the_renderer_refuses_candidates_other_than_its_ranking(change, message):
    from records.render import DataError, LedgerAnchor, render, to_jsonable
    from records.render.samples import sample_evaluation_report

    data = to_jsonable(sample_evaluation_report(bidders=6, experts=7, criteria=4))
    render("evaluation_report", data, anchor=LedgerAnchor(1, "0" * 64))  # as given, it renders
    change(data)

    with pytest.raises(DataError, match=message):
        render("evaluation_report", data, anchor=LedgerAnchor(1, "0" * 64))


def test_an_unknown_session_is_not_found(db):
    from accounts.errors import NotFound

    with pytest.raises(NotFound):
        produce_session_report(987654)
    assert not EvaluationSession.objects.exists()
