"""开标记录: rendered from the opening's data, signed by the host, then sealed; read back by poppler."""

import dataclasses
import io
import re

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from accounts import actions as accounts_actions
from accounts.errors import DomainError
from records import actions
from records.render import DataError, LedgerAnchor, render, to_jsonable
from records.render.base import MARGIN_X, PAGE_H, PAGE_W
from records.render.opening_record import BidLetterField
from records.render.samples import sample_opening_record
from records.verify import verify_pdf
from tests.factories import PASSWORD

from .helpers import read, run

HOST = "王主持"
SEAL = "巴中市公共资源交易平台 电子签章"
ANCHOR = LedgerAnchor(42, "b" * 64)


@pytest.fixture
def opening_data():
    """Five bidders (the fourth revoked: its envelope is corrupt), six bid-letter fields, two
    confirmations and an objection answered by the host."""
    return sample_opening_record(host_name=HOST)


@pytest.fixture
def host(regions):
    user = accounts_actions.create_user(actor=None, username="opening_host", password=PASSWORD, full_name=HOST)
    accounts_actions.grant_role(actor=None, user=user, role="staff", region_code="511921")
    return user


@pytest.fixture
def produced_opening(platform_pki, opening_data, host, regions):
    return actions.produce_record(
        "opening_record", opening_data, tender_ref=opening_data.tender_code, signers=[host], region=regions["511921"]
    )


def pdftotext(pdf: bytes) -> str:
    return run("pdftotext", "-enc", "UTF-8", "-", "-", data=pdf).stdout.decode()


def words(pdf: bytes):
    """[(page width, page height, [(xMin, yMin, xMax, yMax, text)])] from pdftotext -bbox (y down)."""
    html = run("pdftotext", "-bbox", "-", "-", data=pdf).stdout.decode()
    word = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        (float(w), float(h), [(*map(float, m[:4]), m[4]) for m in re.findall(word, body)])
        for w, h, body in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S)
    ]


def vertical_rules(pdf: bytes):
    """Per page, the vertical lines drawn (x, y bottom, y top; PDF coordinates, y up): the column
    rules of every table. reportlab writes one operation a line and moves with translations only."""
    pages = []
    for page in PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"]:
        contents = page.get_object()["/Contents"]
        parts = contents if isinstance(contents, list) else [contents]
        data = b"\n".join(part.get_object().data for part in parts).decode("latin-1")
        stack, (tx, ty), found = [], (0.0, 0.0), []
        for line in data.splitlines():
            line = line.strip()
            if line == "q":
                stack.append((tx, ty))
            elif line == "Q":
                tx, ty = stack.pop()
            elif m := re.fullmatch(r"1 0 0 1 (\S+) (\S+) cm", line):
                tx, ty = tx + float(m[1]), ty + float(m[2])
            elif (m := re.fullmatch(r"n (\S+) (\S+) m (\S+) (\S+) l S", line)) and m[1] == m[3]:
                y1, y2 = float(m[2]), float(m[4])
                found.append((tx + float(m[1]), ty + min(y1, y2), ty + max(y1, y2)))
        pages.append(found)
    return pages


def assert_text_stays_in_its_place(pdf: bytes):
    """Every word inside the page's text column, and none across a table's column rule (text
    running out of its cell into the next one, or past the table's edge)."""
    rules = vertical_rules(pdf)
    pages = words(pdf)
    assert len(rules) == len(pages)
    assert any(rules), "no table found: the check below would prove nothing"
    for number, ((width, height, page_words), page_rules) in enumerate(zip(pages, rules, strict=True), 1):
        assert (width, height) == pytest.approx((PAGE_W, PAGE_H), abs=0.01)
        for x1, y1, x2, y2, text in page_words:
            assert MARGIN_X - 0.5 <= x1 and x2 <= PAGE_W - MARGIN_X + 0.5, f"page {number}: {text} leaves the column"
            assert 0 <= y1 and y2 <= height, f"page {number}: {text} leaves the page"
            middle = height - (y1 + y2) / 2
            crossed = [x for x, bottom, top in page_rules if x1 + 0.3 < x < x2 - 0.3 and bottom < middle < top]
            assert not crossed, (
                f"page {number}: {text!r} ({x1:.1f}–{x2:.1f}) runs across the rule at x={crossed[0]:.1f}"
            )


# --- produced, signed, read back ------------------------------------------------------------


def test_the_host_signs_then_the_platform_seals(produced_opening, host, opening_data):
    record = produced_opening
    pdf = read(record)

    assert record.kind == "opening_record" and record.tender_ref == opening_data.tender_code
    assert record.title == f"开标记录 · {opening_data.tender_name}"
    assert record.signer_names() == [HOST, SEAL]
    assert [s["user"] for s in record.signers] == [host.pk, None]
    report = verify_pdf(pdf)
    assert report.ok
    assert [(s.field, s.signer) for s in report.signatures] == [("Host", HOST), ("Seal", SEAL)]


def test_pdftotext_reads_the_names_prices_and_the_revocation(produced_opening, opening_data):
    text = pdftotext(read(produced_opening))
    flat = re.sub(r"\s+", "", text)  # names wrap inside their cells

    assert "开标记录" in text and opening_data.tender_code in text
    for bid in opening_data.bids:
        assert bid.bidder_name in flat
    opened = [b for b in opening_data.bids if b.status == "opened"]
    assert len(opened) == 4
    for bid in opened:
        yuan, fen = divmod(bid.letter["price"], 100)
        assert f"¥{yuan:,}.{fen:02d} 元" in text  # money is printed in yuan
    assert "¥34,785,706.00 元" in text  # the first bid's price, by hand
    assert "撤销" in text
    assert "《电子招标投标办法》第三十一条" in text
    assert "视为撤销其投标文件" in text
    assert "投标文件密文校验失败" in text  # the revoked bid's reason
    # The section of confirmations and objections, the objection and the host's answer.
    assert "投标人确认与异议" in text
    assert "【异议】" in text and text.count("【确认】") == 2
    assert f"答复（{HOST}" in text
    assert "王主持" in text and "3 of 5" in text
    assert f"交易日志第 {produced_opening.anchor_seq} 条 {produced_opening.anchor_hash}" in text


def test_pdffonts_shows_every_font_embedded(produced_opening):
    lines = run("pdffonts", "-", data=read(produced_opening)).stdout.decode().splitlines()
    header, rows = lines[0], lines[2:]
    emb = header.index("emb")

    assert rows
    assert [row[emb : emb + 3] for row in rows] == ["yes"] * len(rows)


def test_pdfsig_sees_both_signatures_valid(produced_opening, tmp_path):
    path = tmp_path / "opening.pdf"
    path.write_bytes(read(produced_opening))

    out = run("pdfsig", str(path)).stdout.decode()

    assert out.count("Signature Validation: Signature is Valid.") == 2
    assert out.count("Signature Type: ETSI.CAdES.detached") == 2
    assert f"Signer Certificate Common Name: {HOST}" in out
    assert "Total document signed" in out  # the seal, last, covers the whole file


def test_only_the_host_may_sign_the_host_slot(platform_pki, make_user, opening_data):
    other_staff = make_user("staff", "511921")  # full name "staff user"

    with pytest.raises(DomainError) as exc:
        actions.produce_record("opening_record", opening_data, signers=[other_staff])

    assert exc.value.code == "signer_mismatch"


# --- layout ---------------------------------------------------------------------------------


def test_eight_fields_and_thirty_bidders_stay_inside_their_cells(platform_pki):
    data = sample_opening_record(bidders=30, fields=8)
    assert len(data.bid_letter_fields) == 8

    rendered = render("opening_record", data, anchor=ANCHOR)

    assert_text_stays_in_its_place(rendered.pdf)
    text = pdftotext(rendered.pdf)
    # Headers wrap in narrow columns: read them in drawing order (-raw), a cell's lines together.
    raw = re.sub(r"\s+", "", run("pdftotext", "-raw", "-enc", "UTF-8", "-", "-", data=rendered.pdf).stdout.decode())
    for field in data.bid_letter_fields:
        assert field.label in raw
    # Every amount on one line, never broken inside the number.
    amounts = {w[4] for _w, _h, page in words(rendered.pdf) for w in page if w[4].startswith("¥")}
    for bid in data.bids:
        if bid.status == "opened":
            for key in ("price", "safety_fee", "provisional_sum"):
                yuan, fen = divmod(bid.letter[key], 100)
                assert f"¥{yuan:,}.{fen:02d}" in amounts
    assert "撤回" in text  # the seventh bid: the platform could not read it
    # One 唱标 table: eight fields fit A4 portrait in smaller type.
    assert "第 1 部分" not in text


def test_the_layout_check_catches_text_running_out_of_its_cell(platform_pki, monkeypatch):
    """The check above has teeth: without the renderer's overflow correction, the header
    “工期（日历天）” keeps its closing bracket past the column's edge."""
    from records.render import opening_record

    monkeypatch.setattr(opening_record, "_overflow", lambda *args: 0.0)
    pdf = render("opening_record", sample_opening_record(bidders=30, fields=8), anchor=ANCHOR).pdf

    with pytest.raises(AssertionError, match="runs across the rule"):
        assert_text_stays_in_its_place(pdf)


def test_more_fields_than_a_page_holds_are_spread_over_several_tables(platform_pki):
    data = sample_opening_record(bidders=6, fields=8)
    more = [BidLetterField(key=f"extra{i}", label=f"分项报价{i}", type="money") for i in range(1, 15)]
    bids = [
        dataclasses.replace(b, letter={**b.letter, **{f.key: 12_345_678_900 + i for i, f in enumerate(more)}})
        if b.status == "opened"
        else b
        for b in data.bids
    ]
    data = dataclasses.replace(data, bid_letter_fields=[*data.bid_letter_fields, *more], bids=bids)

    rendered = render("opening_record", data, anchor=ANCHOR)

    assert_text_stays_in_its_place(rendered.pdf)
    text = pdftotext(rendered.pdf)
    assert re.search(r"唱标记录（第\s*1\s*部分，共\s*\d\s*部分）", text)
    assert "分项报价14" in text and "¥123,456,789.13 元" in text


def test_what_a_bidder_wrote_cannot_stop_the_record(platform_pki, opening_data):
    """The bid letter is the bidder's: an emoji, a word in an amount, a key the tender does not
    ask for and a very long text are printed (or left out), never a reason to fail."""
    first = opening_data.bids[0]
    letter = {**first.letter, "quality": "合格😀", "price": "三千万元", "surprise": 1}
    letter["project_manager"] = "张三" + "，一级建造师" * 30
    bids = [dataclasses.replace(first, letter=letter), *opening_data.bids[1:]]
    data = dataclasses.replace(opening_data, bids=bids)

    rendered = render("opening_record", data, anchor=ANCHOR)

    text = re.sub(r"\s+", "", pdftotext(rendered.pdf))  # cells wrap
    assert "合格[U+1F600]" in text
    assert "三千万元" in text
    assert "见注1" in text and "注1：第1号" in text  # the long text, in full below the table
    assert "张三" + "，一级建造师" * 30 in text
    assert_text_stays_in_its_place(rendered.pdf)


def test_without_revoked_or_withdrawn_bids_there_is_no_article_31_note(platform_pki, opening_data):
    revoked = opening_data.bids[3]
    bids = list(opening_data.bids)
    bids[3] = dataclasses.replace(revoked, status="opened", reason="", letter=dict(opening_data.bids[0].letter))
    data = dataclasses.replace(
        opening_data,
        bids=bids,
        opened_count=5,
        confirmations=[c for c in opening_data.confirmations if c.kind == "confirm"],
    )

    text = pdftotext(render("opening_record", data, anchor=ANCHOR).pdf)

    assert "第三十一条" not in text and "撤销" not in text
    assert text.count("已开启") == 5


# --- data ----------------------------------------------------------------------------------


def test_the_same_data_gives_the_same_bytes(platform_pki, opening_data):
    first = render("opening_record", opening_data, anchor=ANCHOR)
    again = render("opening_record", opening_data, anchor=ANCHOR)
    from_json = render("opening_record", to_jsonable(opening_data), anchor=ANCHOR)  # as a task passes it

    assert first.pdf == again.pdf == from_json.pdf
    assert render("opening_record", opening_data, anchor=LedgerAnchor(43, "b" * 64)).pdf != first.pdf


def test_the_signature_slots_are_the_host_then_the_seal(platform_pki, opening_data):
    rendered = render("opening_record", opening_data, anchor=ANCHOR)

    assert [(s.field, s.name, s.seal) for s in rendered.slots] == [("Host", HOST, False), ("Seal", "", True)]
    assert {s.page for s in rendered.slots} == {rendered.pages - 1}  # the signature page, last


def _broken(data, change):
    value = to_jsonable(data)
    change(value)
    return value


def _unanswered(value):
    objection = next(c for c in value["confirmations"] if c["kind"] == "objection")
    objection.update(answer="", answered_by="", answered_at=None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v: v.update(total_bids=6), "total_bids is 6 but 5 bids are listed"),
        (lambda v: v.update(opened_count=5), "opened_count is 5 but 4 bids are marked opened"),
        (lambda v: v["bids"][3].update(reason=""), "the reason is required"),
        (lambda v: v["bids"][3].update(status="lost"), "status 'lost'"),
        (lambda v: v["bids"][1].update(received_at="2026-05-28T09:30:00.001+08:00"), "after the deadline"),
        (lambda v: v["custodians"][0].update(released_at="2026-05-28T09:29:59+08:00"), "released outside"),
        (lambda v: v.update(threshold=5), "only 4 of the 5 shares"),
        (lambda v: v["bid_letter_fields"][0].update(type="date"), "type 'date'"),
        (_unanswered, "has no answer"),
        (lambda v: v["bids"][0].update(received_at="2026-05-26T08:07:13"), "aware datetime"),
        (lambda v: v.update(agenda="唱标"), "unknown fields"),
    ],
)
def test_data_the_record_must_not_state_is_refused(platform_pki, opening_data, change, message):
    with pytest.raises(DataError, match=re.escape(message)):
        render("opening_record", _broken(opening_data, change), anchor=ANCHOR)


def test_produce_record_refuses_it_and_stores_nothing(platform_pki, opening_data, host):
    from records.models import Record

    with pytest.raises(DomainError) as exc:
        actions.produce_record("opening_record", _broken(opening_data, _unanswered), signers=[host])

    assert exc.value.code == "invalid_record_data"
    assert not Record.objects.exists()


def test_render_sample_records_includes_a_signed_opening_record(db, tmp_path):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("render_sample_records", str(tmp_path), stdout=out)

    path = tmp_path / "opening_record.pdf"
    assert f"{path}  3 pages  2 signatures  SHA-256 " in out.getvalue()
    text = pdftotext(path.read_bytes())
    assert all(ch in text for ch in "样例仅供版式审阅")  # the watermark
    verified = io.StringIO()
    call_command("verify_record", str(path), "--ca", str(tmp_path / "sample-ca.pem"), stdout=verified)
    assert "All 2 signatures are valid." in verified.getvalue()
