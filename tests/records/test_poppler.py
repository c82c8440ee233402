"""An independent toolchain (poppler) reads the records: text, fonts and signatures."""

import re

from records.render import LedgerAnchor, render
from records.render.samples import sample_bid_receipt

from .helpers import read, run


def produced_report_pages(record):
    info = run("pdfinfo", "-", data=read(record)).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_pdftotext_extracts_the_chinese_text_of_a_report(produced_report, report_data):
    text = run("pdftotext", "-enc", "UTF-8", "-", "-", data=read(produced_report)).stdout.decode()

    assert "评标报告" in text
    assert report_data.tender_code in text
    assert "巴中市巴州区江北大道（一期）道路改造工程施工" in text
    assert report_data.bidders[0].name in text
    for expert in report_data.experts:
        assert expert.name in text
    assert "安全生产许可证已于投标截止日前过期" in text  # the qualification failure and its reason
    # pdftotext drops the spaces of "第 1 页 共 5 页" between Chinese and digits.
    pages = int(re.search(r"第\s*1\s*页\s*共\s*(\d+)\s*页", text).group(1))
    assert pages == produced_report_pages(produced_report)
    assert re.search(rf"第\s*{pages}\s*页\s*共\s*{pages}\s*页", text)
    # The footer carries the trading-log head at signing time.
    assert f"交易日志第 {produced_report.anchor_seq} 条 {produced_report.anchor_hash}" in text


def test_pdftotext_extracts_the_chinese_text_of_a_receipt(platform_pki):
    receipt = sample_bid_receipt()
    pdf = render("bid_receipt", receipt, anchor=LedgerAnchor(7, "a" * 64)).pdf

    text = run("pdftotext", "-enc", "UTF-8", "-", "-", data=pdf).stdout.decode()

    assert "投标文件接收回执" in text
    assert receipt.tender_code in text
    assert "巴中市川东路桥建设有限公司" in text
    assert receipt.envelope_sha256 in text
    assert "48,213,771 字节" in text
    assert "2026-05-11 09:41:27.318" in text
    assert re.search(r"第\s*1\s*页\s*共\s*1\s*页", text)


def test_pdffonts_shows_every_font_embedded(produced_report):
    lines = run("pdffonts", "-", data=read(produced_report)).stdout.decode().splitlines()
    header, rows = lines[0], lines[2:]
    emb = header.index("emb")

    assert rows, "the PDF has fonts"
    assert [row[emb:emb + 3] for row in rows] == ["yes"] * len(rows)
    assert all("WenQuanYi" in row for row in rows)


def test_pdfsig_sees_every_signature_valid_with_the_pades_subfilter(produced_report, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(read(produced_report))

    out = run("pdfsig", str(path)).stdout.decode()

    assert out.count("Signature Validation: Signature is Valid.") == 4
    assert out.count("Signature Type: ETSI.CAdES.detached") == 4
    assert "adbe.pkcs7" not in out
    assert "Total document signed" in out  # the seal, last, covers the whole file


def test_a_record_carries_the_latest_signed_tree_head(platform_pki, report_data, committee, regions):
    """issue 15: every PDF record shows the signed tree head published before it (size, root, time), so its
    holder can ask the log for consistency from that head to any later one."""
    from ledger import chain, sth
    from records.actions import produce_record

    chain.append("test.before_head", actor=None, payload={})
    head = sth.publish()
    assert head is not None
    record = produce_record("evaluation_report", report_data, tender_ref=report_data.tender_code,
                            signers=committee, region=regions["511921"])
    text = run("pdftotext", "-enc", "UTF-8", "-", "-", data=read(record)).stdout.decode()
    assert re.search(rf"签名树头\s*大小\s*{head.tree_size}\s*根\s*{head.root_hash}", text)
