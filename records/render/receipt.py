"""投标文件接收回执: the receipt a bidder gets the moment the platform has its sealed bid
(电子招标投标办法: every received bid gets an immediate receipt)."""

import datetime
from dataclasses import dataclass

from .base import PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing
from .data import build

TITLE = "投标文件接收回执"


@dataclass(frozen=True)
class BidReceipt:
    tender_code: str
    tender_name: str
    bidder_name: str
    bidder_credit_code: str
    envelope_sha256: str
    size_bytes: int
    received_at: datetime.datetime  # server time, aware
    receipt_no: str
    upload_id: str


def _size(n: int) -> str:
    text = f"{n:,} 字节"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{text}（约 {n / scale:.2f} {unit}）"
    return text


def render_bid_receipt(receipt, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    r = build(BidReceipt, receipt)
    doc = RecordDocument(title=TITLE, tender_code=r.tender_code, anchor=anchor, issued_at=r.received_at,
                         watermark=watermark, summary=f"{TITLE} · {r.bidder_name}")
    doc.text(TITLE, "title")
    doc.text(f"回执编号：{r.receipt_no}", "subtitle")
    doc.fields([
        ("招标项目编号", r.tender_code),
        ("招标项目名称", r.tender_name),
        ("投标人", r.bidder_name),
        ("统一社会信用代码", r.bidder_credit_code),
        ("投标文件（密封信封）SHA-256", r.envelope_sha256),
        ("文件大小", _size(r.size_bytes)),
        ("平台接收时间", f"{beijing(r.received_at, precise=True)}（北京时间，以平台服务器时间为准）"),
        ("回执编号", r.receipt_no),
        ("上传编号", r.upload_id),
    ])
    doc.text(
        "本平台已收到上述投标文件。投标文件在投标人处加密后上传，开标前任何单位和个人均无法解密；"
        "平台已核验文件大小、SHA-256 摘要和投标人签名。投标截止时间前，投标人可撤回或替换投标文件。"
        "本回执以平台电子签章签署，任何人可在平台“签章验证”页面或使用通用 PDF 验签工具核验。",
        "small",
    )
    doc.spacer()
    doc.signature_slots(
        [Slot(field="Seal", caption=f"{PLATFORM}（电子签章）", name="", seal=True, reason="投标文件接收回执签章")],
        columns=1, align="RIGHT",
    )
    return doc.build()
