"""公告: one public announcement of a tender (招标公告/采购公告, 变更公告, 开标记录, 中标候选人公示,
中标结果公告, 流标公告, 终止公告), sealed by the platform.

Built from the announcement's frozen content (trading.announce): a heading, label/value fields, paragraphs,
at most one table, and the legal basis in small print. Records does not import trading: the content
arrives as plain data, already worded in Chinese."""

import datetime
from dataclasses import dataclass, field

from reportlab.lib.units import mm

from .. import fonts
from .base import CONTENT_W, PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing
from .data import DataError, build

MAX_COLUMNS = 8


@dataclass(frozen=True)
class AnnouncementTable:
    header: list[str]
    rows: list[list[str]]
    right: list[int] = field(default_factory=list)  # columns of amounts, aligned right


@dataclass(frozen=True)
class AnnouncementData:
    number: str  # the announcement's number on the platform, printed in the subtitle
    heading: str  # 招标公告 / 变更公告 / ...
    title: str
    tender_code: str
    tender_name: str
    issued_at: datetime.datetime
    fields: list[list[str]] = field(default_factory=list)  # [label, value]
    paragraphs: list[str] = field(default_factory=list)
    table: AnnouncementTable | None = None
    legal: str = ""


def _p(text):
    """What people typed, made printable (a missing glyph is written as its code point)."""
    text = str(text)
    missing = fonts.missing_glyphs(text)
    return "".join(f"[U+{ord(ch):04X}]" if ch in missing else ch for ch in text) if missing else text


def _check(r: AnnouncementData):
    if not r.heading.strip() or not r.title.strip():
        raise DataError("an announcement needs its heading and title")
    for pair in r.fields:
        if len(pair) != 2:
            raise DataError("each field is a [label, value] pair")
    if r.table is not None:
        width = len(r.table.header)
        if not 1 <= width <= MAX_COLUMNS:
            raise DataError(f"the table has 1 to {MAX_COLUMNS} columns")
        if any(len(row) != width for row in r.table.rows):
            raise DataError("every table row has as many cells as the header")


def render_announcement(data, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    r = build(AnnouncementData, data)
    _check(r)
    doc = RecordDocument(title=r.heading, tender_code=r.tender_code, anchor=anchor, issued_at=r.issued_at,
                         watermark=watermark, summary=_p(r.title)[:200])
    doc.text(_p(r.title), "title")
    doc.text(f"公告编号 {_p(r.number)} · 发布时间 {beijing(r.issued_at)}（北京时间）", "subtitle")
    doc.fields([("招标项目编号", _p(r.tender_code)), ("招标项目名称", _p(r.tender_name)),
                *[(_p(label), _p(value)) for label, value in r.fields]])
    for text in r.paragraphs:
        doc.text(_p(text))
    if r.table is not None and r.table.rows:
        width = len(r.table.header)
        first = 12 * mm
        rest = (CONTENT_W - first) / max(width - 1, 1)
        widths = [first] + [rest] * (width - 1) if width > 1 else [CONTENT_W]
        doc.table([_p(h) for h in r.table.header], [[_p(c) for c in row] for row in r.table.rows], widths,
                  wrap=set(range(1, width)) - set(r.table.right), right=set(r.table.right))
    if r.legal:
        doc.text(_p(r.legal), "small")
    doc.spacer()
    doc.signature_slots([Slot(field="Seal", caption=f"{PLATFORM}（电子签章）", name="", seal=True,
                              reason=f"平台电子签章：{r.heading}")], columns=1, align="RIGHT")
    return doc.build()
