"""开标记录: what happened at the opening of one tender — the key custodians' shares, the bids
received, the 唱标 (each bidder's name, price and the other main contents of its bid letter, read
out and recorded: 招标投标法 art. 36), bids that could not be decrypted with their art. 31 outcome
(电子招标投标办法: revoked when the bidder caused it, withdrawn otherwise), the bidders'
confirmations and objections with the on-the-spot answers (实施条例 art. 44), signed by the host
and then sealed by the platform.

The 唱标 table has one column per bid-letter field of the tender. Its columns are sized from
their content: amounts and integers never break, text wraps; the font shrinks down to
MIN_FONT_SIZE to fit, and fields beyond that are spread over several tables. Text longer than
LONG_TEXT goes below the table as a numbered note, so no row can outgrow a page.
"""

import datetime
import json
from dataclasses import dataclass, field, replace
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from .. import fonts
from .base import CONTENT_W, PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing, yuan
from .data import DataError, build

TITLE = "开标记录"
FIELD_TYPES = ("money", "integer", "text")
STATUS_WORDS = {"opened": "已开启", "revoked": "撤销", "withdrawn": "撤回"}
CONFIRMATION_KINDS = {"confirm": "确认", "objection": "异议"}
FONT_SIZES = (8.5, 8, 7.5, 7, 6.5)
MIN_FONT_SIZE = FONT_SIZES[-1]
FIXED_MAX_EM = 12  # ¥999,999,999,999.99 元 is about 10.5 em wide
PREFERRED_MAX_EM = 16  # a wrapping column wants at most this much, before the spare is shared by weight
LONG_TEXT = 60  # characters: a longer cell value is printed as a note below the table

NOT_DECRYPTED = "—"
NOT_FILLED = "未填写"
ART_31 = (
    "《电子招标投标办法》第三十一条：因投标人原因造成投标文件未解密的，视为撤销其投标文件；"
    "因投标人之外的原因造成投标文件未解密的，视为撤回其投标文件，投标人有权要求责任方赔偿因此遭受的直接损失。"
    "部分投标文件未解密的，其他投标文件的开标可以继续进行。"
)


def _pad(size):
    """Left and right padding of a table cell (points): 3 as on the other records, 2 in small type."""
    return 3.0 if size >= 8 else 2.0


@dataclass(frozen=True)
class Custodian:
    name: str
    released_at: datetime.datetime | None = None  # when the share was released; None: not released


@dataclass(frozen=True)
class BidLetterField:
    key: str
    label: str
    type: str  # money (integer fen) / integer / text


@dataclass(frozen=True)
class OpeningBid:
    seq: int  # 1..n in the order the bids were received
    bidder_name: str
    credit_code: str
    receipt_no: str
    received_at: datetime.datetime
    sha256: str
    status: str  # opened / revoked / withdrawn
    reason: str = ""  # why it was not decrypted; empty when opened
    letter: dict[str, Any] = field(default_factory=dict)  # field key -> int (money in fen, integer) or str
    signed_in: bool = False  # the bidder was present online


@dataclass(frozen=True)
class Confirmation:
    bidder_name: str
    kind: str  # confirm / objection
    text: str
    at: datetime.datetime
    answer: str = ""
    answered_by: str = ""
    answered_at: datetime.datetime | None = None


@dataclass(frozen=True)
class OpeningRecord:
    tender_code: str
    tender_name: str
    project_name: str
    region_name: str
    tenderer_name: str
    venue: str
    bid_deadline: datetime.datetime  # = the opening time
    opened_at: datetime.datetime  # when the opening key was rebuilt
    closed_at: datetime.datetime
    host_name: str  # the trading-center staff member who hosts and signs
    custodians: list[Custodian]
    threshold: int  # k: shares needed to rebuild the opening key
    bid_letter_fields: list[BidLetterField]
    bids: list[OpeningBid]
    total_bids: int
    opened_count: int
    supervisors: list[str] = field(default_factory=list)
    confirmations: list[Confirmation] = field(default_factory=list)


def _check(r: OpeningRecord):
    """Refuse data the record must never state: a count that disagrees with the rows, a late bid,
    a share released before the opening time, an unopened bid without its art. 31 reason, an
    unanswered objection."""
    if not r.host_name.strip():
        raise DataError("the opening record needs its host (host_name)")
    if not r.bid_deadline <= r.opened_at <= r.closed_at:
        raise DataError("the times must run bid_deadline <= opened_at <= closed_at")
    released = [c for c in r.custodians if c.released_at is not None]
    if not 1 <= r.threshold <= len(r.custodians):
        raise DataError(f"threshold {r.threshold} is not between 1 and the {len(r.custodians)} custodians")
    if len(released) < r.threshold:
        raise DataError(f"only {len(released)} of the {r.threshold} shares needed to rebuild the key were released")
    for c in released:
        if not r.bid_deadline <= c.released_at <= r.closed_at:
            raise DataError(f"the share of {c.name} was released outside the opening (bid_deadline..closed_at)")

    keys = [f.key for f in r.bid_letter_fields]
    if len(set(keys)) != len(keys):
        raise DataError("two bid-letter fields share a key")
    for f in r.bid_letter_fields:
        if f.type not in FIELD_TYPES:
            raise DataError(f"bid-letter field {f.key}: type {f.type!r} is not one of {', '.join(FIELD_TYPES)}")

    if [b.seq for b in r.bids] != list(range(1, len(r.bids) + 1)):
        raise DataError("bids must be numbered 1..n in the order they were received")
    names = [b.bidder_name for b in r.bids]
    if len(set(names)) != len(names):
        raise DataError("two bids name the same bidder")
    if r.total_bids != len(r.bids):
        raise DataError(f"total_bids is {r.total_bids} but {len(r.bids)} bids are listed")
    opened = sum(b.status == "opened" for b in r.bids)
    if r.opened_count != opened:
        raise DataError(f"opened_count is {r.opened_count} but {opened} bids are marked opened")
    for b in r.bids:
        where = f"bid {b.seq}"
        if b.status not in STATUS_WORDS:
            raise DataError(f"{where}: status {b.status!r} is not one of {', '.join(STATUS_WORDS)}")
        if not isinstance(b.signed_in, bool):
            raise DataError(f"{where}: signed_in must be true or false")
        if b.received_at > r.bid_deadline:
            raise DataError(f"{where} was received after the deadline")
        if b.status != "opened":
            if not b.reason.strip():
                raise DataError(f"{where} was not opened: the reason is required (电子招标投标办法 art. 31)")
            if b.letter:
                raise DataError(f"{where} was not opened: it has no bid letter")
        # An opened bid's letter is what the bidder sealed: keys the tender does not ask for are
        # not read out, and a value of the wrong type is printed as written (the reason says so).
        # Nothing a bidder wrote may keep the record from being produced.

    for c in r.confirmations:
        if c.kind not in CONFIRMATION_KINDS:
            raise DataError(f"confirmation kind {c.kind!r} is not one of {', '.join(CONFIRMATION_KINDS)}")
        if c.bidder_name not in names:
            raise DataError(f"{c.bidder_name} confirmed or objected but did not bid")
        if c.kind == "objection" and not (c.answer.strip() and c.answered_by.strip() and c.answered_at):
            raise DataError(f"the objection of {c.bidder_name} has no answer (实施条例 art. 44: answered on the spot)")


# --- the 唱标 table --------------------------------------------------------------------------


def _money(fen: int) -> str:
    return f"¥{yuan(fen)} 元"


def _value(bid: OpeningBid, f: BidLetterField) -> str:
    if bid.status != "opened":
        return NOT_DECRYPTED
    value = bid.letter.get(f.key)
    if value is None:
        return NOT_FILLED
    well_typed = isinstance(value, str) if f.type == "text" else isinstance(value, int) and not isinstance(value, bool)
    if not well_typed:  # printed as the bidder wrote it
        return _printable(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True))
    if f.type == "money":
        return _money(value)
    return _printable(str(value))


def _printable_record(r: OpeningRecord) -> OpeningRecord:
    """Checked, with what bidders and hosts typed made printable (the host's own name stays exact:
    the signing step matches it against the host's certificate)."""
    _check(r)
    p = _printable
    return replace(
        r,
        bids=[replace(b, bidder_name=p(b.bidder_name), reason=p(b.reason)) for b in r.bids],
        confirmations=[
            replace(c, bidder_name=p(c.bidder_name), text=p(c.text), answer=p(c.answer), answered_by=p(c.answered_by))
            for c in r.confirmations
        ],
    )


def _printable(text: str) -> str:
    """`text` with every character the font cannot draw (an emoji, a control character) written as
    its code point: what bidders type must not keep the record from being produced."""
    missing = fonts.missing_glyphs(text)
    if not missing:
        return text
    return "".join(f"[U+{ord(ch):04X}]" if ch in missing else ch for ch in text)


@dataclass(frozen=True)
class _Column:
    header: str
    cells: list  # one str per bid
    kind: str  # "fixed": never breaks (amounts, numbers, short words); "flex": wraps
    weight: float = 1.0  # share of the spare width (flex columns)
    min_em: float = 4.0  # narrowest width of a flex column, in characters of the font size
    right: bool = False


def _cell(text, style):
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _overflow(text, style, width) -> float:
    """How far `text` wrapped at `width` runs past it: reportlab's CJK wrapping keeps closing
    punctuation with the character before it, even beyond the line's end."""
    para = _cell(text, style)
    para.wrap(width, 1e6)
    spare = [line[0] if isinstance(line, tuple) else line.extraSpace for line in para.blPara.lines]
    return max([0.0, *(-x for x in spare)])


def _fit(doc, columns, size, *, strict=True):
    """Column widths (points) that fill CONTENT_W at font `size` with no text running out of its
    cell, or None if there are none. Not `strict`: the narrowest widths, whatever runs over."""
    font, style, pad = doc.font, doc.styles[_styles(doc, size)[0]], _pad(size)
    base, preferred, weights = [], [], []
    for col in columns:
        widest = max([stringWidth(text, font, size) for text in col.cells] or [0])
        if col.kind == "fixed":
            # A value wider than FIXED_MAX_EM (what a bidder typed, not an amount) wraps.
            inner = min(max(widest, 2 * size), FIXED_MAX_EM * size)
            while inner < FIXED_MAX_EM * size and _overflow(col.header, style, inner):
                inner += size / 2  # the header wraps, but must not run out of the cell
            base.append(inner + 2 * pad)
            preferred.append(base[-1])
            weights.append(0)
        else:
            base.append(col.min_em * size + 2 * pad)
            preferred.append(max(base[-1], min(widest, PREFERRED_MAX_EM * size) + 2 * pad))
            weights.append(col.weight)
    spare = CONTENT_W - sum(base)
    if spare < 0:
        return None
    # The spare width goes first to the wrapping columns whose text is longest, up to one line
    # of it (or PREFERRED_MAX_EM); what remains, by weight.
    deficit = [p - b for p, b in zip(preferred, base, strict=True)]
    if spare <= sum(deficit):
        widths = [b + spare * d / sum(deficit) for b, d in zip(base, deficit, strict=True)]
    else:
        rest = spare - sum(deficit)
        widths = [p + rest * w / (sum(weights) or 1) for p, w in zip(preferred, weights, strict=True)]
    if not strict:
        return widths
    for _round in range(6):
        need = [
            max(_overflow(text, style, w - 2 * pad) for text in [col.header, *col.cells])
            for col, w in zip(columns, widths, strict=True)
        ]
        if not any(need):
            return widths
        # Widen what runs over, by what it runs over; take it from the other wrapping columns.
        widths = [w + n for w, n in zip(widths, need, strict=True)]
        excess = sum(widths) - CONTENT_W
        slack = [
            w - b if col.kind == "flex" and not n else 0
            for col, w, b, n in zip(columns, widths, base, need, strict=True)
        ]
        if excess > 0:
            if sum(slack) < excess:
                return None
            widths = [w - excess * sl / sum(slack) for w, sl in zip(widths, slack, strict=True)]
    return None


def _table(doc, columns, caption=""):
    """A grid of `columns` in the largest font size that fits."""
    for size in FONT_SIZES:
        widths = _fit(doc, columns, size)
        if widths is not None:
            _grid(doc, columns, widths, size, caption)
            return
    _grid(doc, columns, _fit(doc, columns, MIN_FONT_SIZE, strict=False), MIN_FONT_SIZE, caption)


def _layout(doc, lead, fields, tail):
    """[(font size, columns, widths)] for the 唱标 table: `lead` (序号, 投标人) on every part,
    the field columns over as few parts as fit, `tail` (状态, 原因) on the last one."""
    columns = [*lead, *fields, *tail]
    for size in FONT_SIZES:
        widths = _fit(doc, columns, size)
        if widths is not None:
            return [(size, columns, widths)]
    if len(fields) <= 1:  # nothing left to split (a pathological text): the narrowest widths
        return [(MIN_FONT_SIZE, columns, _fit(doc, columns, MIN_FONT_SIZE, strict=False))]
    half = (len(fields) + 1) // 2
    return _layout(doc, lead, fields[:half], []) + _layout(doc, lead, fields[half:], tail)


def _styles(doc, size):
    name = f"opening_{size}"
    if name not in doc.styles:
        base = {"fontName": doc.font, "wordWrap": "CJK", "fontSize": size, "leading": round(size * 1.3, 1)}
        doc.styles[name] = ParagraphStyle(name, **base)
        doc.styles[name + "_right"] = ParagraphStyle(name + "_right", **base, alignment=TA_RIGHT)
    return name, name + "_right"


def _grid(doc, columns, widths, size, caption=""):
    left, right = _styles(doc, size)
    data = []
    if caption:
        data.append([doc.para(caption, left)] + [""] * (len(columns) - 1))
    data.append([doc.para(c.header, left) for c in columns])
    for row in zip(*[c.cells for c in columns], strict=True):
        data.append([doc.para(text, right if c.right else left) for text, c in zip(row, columns, strict=True)])
    head = 2 if caption else 1
    table = Table(data, colWidths=widths, repeatRows=head, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), doc.font),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.Color(0.55, 0.55, 0.55)),
        ("BACKGROUND", (0, 0), (-1, head - 1), colors.Color(0.92, 0.93, 0.95)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), _pad(size)),
        ("RIGHTPADDING", (0, 0), (-1, -1), _pad(size)),
    ]
    if caption:
        style.append(("SPAN", (0, 0), (-1, 0)))
    table.setStyle(TableStyle(style))
    doc.add(table)
    doc.spacer(2 * mm)


def _reading(doc, r: OpeningRecord):
    """三、唱标记录."""
    notes = []

    def cell(text, bid, label):
        if len(text) <= LONG_TEXT:
            return text
        notes.append(f"注{len(notes) + 1}：第 {bid.seq} 号 {bid.bidder_name} · {label}：{text}")
        return f"见注{len(notes)}"

    fields = []
    for f in r.bid_letter_fields:
        cells = [cell(_value(b, f), b, f.label) for b in r.bids]
        if f.type == "text":
            fields.append(_Column(f.label, cells, "flex", weight=1.5, min_em=4))
        else:
            fields.append(_Column(f.label, cells, "fixed", right=True))
    lead = [
        _Column("序号", [str(b.seq) for b in r.bids], "fixed", right=True),
        _Column("投标人", [b.bidder_name for b in r.bids], "flex", weight=3, min_em=7),
    ]
    reasons = [cell(b.reason, b, "原因说明") for b in r.bids]
    tail = [
        _Column("状态", [STATUS_WORDS[b.status] for b in r.bids], "fixed"),
        _Column("原因说明", reasons, "flex", weight=2 if any(reasons) else 0.5, min_em=5),
    ]
    parts = _layout(doc, lead, fields, tail)
    for n, (size, columns, widths) in enumerate(parts, 1):
        caption = f"唱标记录（第 {n} 部分，共 {len(parts)} 部分）" if len(parts) > 1 else ""
        _grid(doc, columns, widths, size, caption)
    for note in notes:
        doc.text(note, "small")


# --- the record ------------------------------------------------------------------------------


def _counts(r: OpeningRecord) -> str:
    revoked = sum(b.status == "revoked" for b in r.bids)
    withdrawn = sum(b.status == "withdrawn" for b in r.bids)
    text = f"共递交投标文件 {r.total_bids} 份，成功开启 {r.opened_count} 份"
    if revoked:
        text += f"，视为撤销 {revoked} 份"
    if withdrawn:
        text += f"，视为撤回 {withdrawn} 份"
    return text


def render_opening_record(record, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    r = _printable_record(build(OpeningRecord, record))
    doc = RecordDocument(
        title=TITLE,
        tender_code=r.tender_code,
        anchor=anchor,
        issued_at=r.closed_at,
        watermark=watermark,
        summary=f"{TITLE} · {r.tender_name}",
    )
    doc.text(TITLE, "title")
    doc.text(r.tender_name, "subtitle")
    doc.fields(
        [
            ("招标项目编号", r.tender_code),
            ("招标项目名称", r.tender_name),
            ("所属项目", r.project_name),
            ("所属区域", r.region_name),
            ("招标人", r.tenderer_name),
            ("开标时间", f"{beijing(r.bid_deadline)}（北京时间，即投标截止时间）"),
            ("开标地点", r.venue),
            ("开标主持人", r.host_name),
            ("监督人员", "、".join(r.supervisors) or "无"),
            ("开标密钥重建时间", beijing(r.opened_at)),
            ("开标结束时间", beijing(r.closed_at)),
            ("投标文件", _counts(r)),
        ]
    )
    doc.text(
        "开标依据《中华人民共和国招标投标法》第三十六条和《中华人民共和国招标投标法实施条例》第四十四条进行："
        "在投标截止时间公开开启投标文件，宣读投标人名称、投标价格和投标函的其他主要内容，并当场记录投标人提出的异议及答复。",
        "small",
    )

    doc.heading("一、开标密钥释放情况")
    released = sum(c.released_at is not None for c in r.custodians)
    doc.text(
        f"开标密钥门限：{r.threshold} of {len(r.custodians)}（共 {len(r.custodians)} 名密钥保管人，"
        f"任意 {r.threshold} 份密钥份额即可重建开标密钥）。实际释放 {released} 份，"
        f"开标密钥于 {beijing(r.opened_at)} 重建，随即解密投标文件。",
        "small",
    )
    doc.table(
        ["序号", "密钥保管人", "份额释放时间（北京时间）", "状态"],
        [
            [i, c.name, beijing(c.released_at) if c.released_at else "—", "已释放" if c.released_at else "未释放"]
            for i, c in enumerate(r.custodians, 1)
        ],
        [12 * mm, CONTENT_W - 80 * mm, 48 * mm, 20 * mm],
        wrap={1},
    )

    doc.heading("二、投标文件递交情况")
    doc.text(
        "投标文件按平台接收时间排序；SHA-256 为平台收到的密封投标文件的摘要，投标人可与所持接收回执核对。", "small"
    )
    _table(
        doc,
        [
            _Column("序号", [str(b.seq) for b in r.bids], "fixed", right=True),
            _Column("投标人", [b.bidder_name for b in r.bids], "flex", weight=3, min_em=7),
            _Column("统一社会信用代码", [b.credit_code for b in r.bids], "fixed"),
            _Column("回执编号", [b.receipt_no for b in r.bids], "fixed"),
            _Column("递交时间", [beijing(b.received_at, precise=True) for b in r.bids], "flex", weight=0.5, min_em=6),
            _Column("投标文件 SHA-256", [b.sha256 for b in r.bids], "flex", weight=2, min_em=16),
            _Column("在线参加", ["是" if b.signed_in else "否" for b in r.bids], "fixed"),
        ],
    )

    doc.heading("三、唱标记录")
    doc.text(
        "以下为解密后各投标人投标函的内容，按递交顺序当众宣读。金额单位为人民币元；"
        f"未能解密的投标文件不宣读其内容（以“{NOT_DECRYPTED}”表示）。{_counts(r)}。",
        "small",
    )
    _reading(doc, r)
    if any(b.status != "opened" for b in r.bids):
        for b in r.bids:
            if b.status != "opened":
                doc.text(
                    f"第 {b.seq} 号投标人 {b.bidder_name} 的投标文件未能解密，视为{STATUS_WORDS[b.status]}。"
                    f"原因：{b.reason}",
                    "small",
                )
        doc.text(ART_31, "small")

    doc.heading("四、投标人确认与异议")
    _confirmations(doc, r)

    doc.page_break()
    doc.text("开标记录签署", "h2")
    doc.text(
        "本开标记录由开标主持人签署，并加盖平台电子签章。"
        f"监督人员：{'、'.join(r.supervisors) or '无'}。"
        "本记录以平台电子签章签署，任何人可在平台“签章验证”页面或使用通用 PDF 验签工具核验。",
        "small",
    )
    doc.spacer()
    doc.signature_slots(
        [Slot(field="Host", caption=f"开标主持人：{r.host_name}", name=r.host_name, reason="开标主持人签署开标记录")]
    )
    doc.spacer()
    doc.signature_slots(
        [
            Slot(
                field="Seal",
                caption=f"{PLATFORM}（电子签章）",
                name="",
                seal=True,
                reason="平台电子签章：确认开标记录已由开标主持人签署",
            )
        ],
        columns=1,
        align="RIGHT",
    )
    return doc.build()


def _confirmations(doc, r: OpeningRecord):
    """Paragraphs rather than a table: what a bidder wrote may be long, and a paragraph splits
    across pages where a table row cannot."""
    confirmed = {c.bidder_name for c in r.confirmations if c.kind == "confirm"}
    objections = [c for c in r.confirmations if c.kind == "objection"]
    doc.text(
        f"{len(confirmed)} 名投标人在线确认了开标结果；投标人提出异议 {len(objections)} 项。"
        "投标人对开标有异议的，应当在开标现场提出，当场作出答复，并制作记录（《中华人民共和国招标投标法实施条例》第四十四条）。",
        "small",
    )
    unconfirmed = [(i, b.bidder_name) for i, b in enumerate(r.bids, 1) if b.bidder_name not in confirmed]
    if unconfirmed:  # a table: a long run of names in one paragraph would hang its punctuation past the margin
        doc.table(["序号", "未确认开标记录的投标人"], [[i, name] for i, name in unconfirmed],
                  [12 * mm, CONTENT_W - 12 * mm], wrap={1})
    if not r.confirmations:
        doc.text("开标过程中无投标人确认或提出异议的记录。")
        return
    for i, c in enumerate(r.confirmations, 1):
        doc.text(f"{i}. 【{CONFIRMATION_KINDS[c.kind]}】{c.bidder_name}（{beijing(c.at)}）：{c.text}")
        if c.answer:
            when = f"，{beijing(c.answered_at)}" if c.answered_at else ""
            doc.text(f"答复（{c.answered_by or r.host_name}{when}）：{c.answer}", "small")
