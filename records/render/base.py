"""The page engine every record shares: A4, the embedded CJK font, a header with the tender code,
a footer with "第 n 页 共 m 页" and the trading-log head the record is anchored to, and signature
slots whose positions the signing step reads back.

Fixed wording on records is Chinese text here, not gettext: a record is a legal document in the
official language, and its bytes (hence its SHA-256) must not depend on who asked for it in which
language. The web pages around records are translated as usual.
"""

import datetime
import io
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .. import fonts

PLATFORM = "巴中市公共资源交易平台"
BEIJING = ZoneInfo("Asia/Shanghai")
PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 18 * mm, 22 * mm, 20 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X
SLOT_W, SLOT_H, SLOT_CAPTION_H, SLOT_GAP = 160, 62, 14, 12


@dataclass(frozen=True)
class LedgerAnchor:
    """The trading-log head (seq, hash) at signing time, printed in every page's footer, with the latest
    signed tree head then published (size, root, time; docs/trading-log.md): anyone holding the PDF can ask
    /ledger/proof/consistency from that head to a later one, and the inclusion of entry `seq` once a head
    covers it."""

    seq: int
    hash: str
    sth_size: int = 0
    sth_root: str = ""
    sth_time: str = ""  # the head's timestamp, Beijing time, to the second

    @classmethod
    def now(cls):
        """The log's head and its latest signed tree head (none yet: size 0). What was committed is hashed
        first, so the record anchors the log as it stands, not as the sequencer last left it."""
        from ledger import chain, sequencer, sth

        try:
            sequencer.hash_pending()
        except sequencer.SequencerError:
            pass  # the log cannot grow over a broken entry: anchor what is hashed; verify_ledger tells why
        seq, digest = chain.head()
        head = sth.latest()
        if head is None:
            return cls(seq, digest)
        moment = datetime.datetime.fromtimestamp(head.timestamp / 1000, tz=BEIJING)
        return cls(seq, digest, head.tree_size, head.root_hash, moment.strftime("%Y-%m-%d %H:%M:%S"))


@dataclass(frozen=True)
class Slot:
    """A place for one visible signature. `name` is who signs there: the signing step checks it
    against the signer's certificate. `page` (0-based) and `box` (x1, y1, x2, y2 in points) are
    where the layout put it."""

    field: str
    caption: str
    name: str
    seal: bool = False
    reason: str = ""
    page: int = -1
    box: tuple = ()


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    title: str
    slots: tuple
    pages: int
    summary: str = ""  # a one-line description for lists ("投标文件接收回执 · 某某公司")

    @property
    def signer_slots(self):
        return tuple(s for s in self.slots if not s.seal)

    @property
    def seal_slots(self):
        return tuple(s for s in self.slots if s.seal)


def beijing(dt, *, precise=False) -> str:
    """Beijing time as printed on records; `precise` adds milliseconds (receipt times)."""
    local = dt.astimezone(BEIJING)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    if precise:
        text += f".{local.microsecond // 1000:03d}"
    return text


def yuan(fen: int) -> str:
    """Money is integer fen; printed as yuan with thousands separators."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def points(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class SlotGrid(Flowable):
    """Signature boxes in rows of `columns`, each with its caption above. Splits between rows
    across pages. Records where each box landed into `registry` when drawn."""

    def __init__(self, slots, registry, font_name, columns=3):
        super().__init__()
        self.slots, self.registry, self.font_name, self.columns = list(slots), registry, font_name, columns

    def _rows(self):
        return [self.slots[i:i + self.columns] for i in range(0, len(self.slots), self.columns)]

    def _row_h(self):
        return SLOT_CAPTION_H + SLOT_H + SLOT_GAP

    def wrap(self, avail_w, avail_h):
        per_row = min(len(self.slots), self.columns)
        self.width = per_row * SLOT_W + (per_row - 1) * SLOT_GAP
        self.height = len(self._rows()) * self._row_h()
        return self.width, self.height

    def split(self, avail_w, avail_h):
        fit = int(avail_h // self._row_h())
        rows = self._rows()
        if fit < 1 or fit >= len(rows):
            return []
        cut = fit * self.columns
        return [SlotGrid(self.slots[:cut], self.registry, self.font_name, self.columns),
                SlotGrid(self.slots[cut:], self.registry, self.font_name, self.columns)]

    def draw(self):
        canv = self.canv
        for r, row in enumerate(self._rows()):
            top = self.height - r * self._row_h()
            for c, slot in enumerate(row):
                x = c * (SLOT_W + SLOT_GAP)
                y = top - SLOT_CAPTION_H - SLOT_H
                canv.setFont(self.font_name, 9)
                canv.setFillColor(colors.black)
                canv.drawString(x, top - 10, slot.caption)
                canv.setStrokeColor(colors.Color(0.6, 0.6, 0.6))
                canv.setDash(2, 2)
                canv.setLineWidth(0.5)
                canv.rect(x, y, SLOT_W, SLOT_H)
                canv.setDash()
                x1, y1 = canv.absolutePosition(x, y)
                x2, y2 = canv.absolutePosition(x + SLOT_W, y + SLOT_H)
                self.registry.append(replace(slot, page=canv.getPageNumber() - 1,
                                             box=(round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2))))


@dataclass
class RecordDocument:
    """Collects a record's flowables; `build()` lays them out and returns a Rendered."""

    title: str
    tender_code: str
    anchor: LedgerAnchor
    issued_at: object  # aware datetime: the PDF's creation date, so the bytes depend on the data only
    watermark: str = ""
    summary: str = ""
    story: list = field(default_factory=list)
    _text: list = field(default_factory=list)
    _slots: list = field(default_factory=list)

    def __post_init__(self):
        self.font, _ = fonts.reportlab_font()
        base = {"fontName": self.font, "wordWrap": "CJK"}
        self.styles = {
            "title": ParagraphStyle("title", **base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=6),
            "subtitle": ParagraphStyle("subtitle", **base, fontSize=10, leading=14, alignment=TA_CENTER,
                                       textColor=colors.Color(0.3, 0.3, 0.3), spaceAfter=10),
            "h2": ParagraphStyle("h2", **base, fontSize=12.5, leading=18, spaceBefore=10, spaceAfter=5),
            "h3": ParagraphStyle("h3", **base, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3),
            "body": ParagraphStyle("body", **base, fontSize=10, leading=15, spaceAfter=4),
            "small": ParagraphStyle("small", **base, fontSize=8.5, leading=12, textColor=colors.Color(0.25, 0.25, 0.25)),
            "cell": ParagraphStyle("cell", **base, fontSize=8.5, leading=11),
            "cell_right": ParagraphStyle("cell_right", **base, fontSize=8.5, leading=11, alignment=TA_RIGHT),
        }
        self._text.extend([self.title, self.tender_code, self.watermark, PLATFORM, "招标编号：交易日志第条第页共签名树头大小根时间"])

    # --- building blocks -------------------------------------------------------------------

    def para(self, text, style="body"):
        text = str(text)
        self._text.append(text)
        # Paragraph reads a small markup language: escape, and keep the caller's line breaks.
        return Paragraph(escape(text).replace("\n", "<br/>"), self.styles[style])

    def add(self, *flowables):
        self.story.extend(flowables)

    def heading(self, text, level=2):
        # Keep a heading with at least some of what follows it.
        self.add(CondPageBreak(40 * mm), self.para(text, f"h{level}"))

    def text(self, text, style="body"):
        self.add(self.para(text, style))

    def spacer(self, height=4 * mm):
        self.add(Spacer(1, height))

    def page_break(self):
        self.add(PageBreak())

    def table(self, header, rows, col_widths, *, wrap=(), right=(), caption=""):
        """A grid table. Columns in `wrap` hold text that may wrap (Paragraphs); the others are
        short values drawn as plain strings, which lay out much faster in large tables. A
        `caption` row spans the table and repeats with the header on every page it runs onto."""
        data = []
        if caption:
            data.append([self.para(caption, "cell")] + [""] * (len(header) - 1))
        head = 2 if caption else 1
        for r, row in enumerate([header, *rows]):
            cells = []
            for c, value in enumerate(row):
                value = "" if value is None else str(value)
                if r == 0 or c in wrap:
                    cells.append(self.para(value, "cell_right" if c in right and r else "cell"))
                else:
                    self._text.append(value)
                    cells.append(value)
            data.append(cells)
        table = Table(data, colWidths=col_widths, repeatRows=head, hAlign="LEFT")
        style = [
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("LEADING", (0, 0), (-1, -1), 11),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.Color(0.55, 0.55, 0.55)),
            ("BACKGROUND", (0, 0), (-1, head - 1), colors.Color(0.92, 0.93, 0.95)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        style += [("ALIGN", (c, head), (c, -1), "RIGHT") for c in right]
        if caption:
            style.append(("SPAN", (0, 0), (-1, 0)))
        table.setStyle(TableStyle(style))
        self.add(table)
        self.spacer(2 * mm)

    def fields(self, pairs, label_width=42 * mm):
        """A two-column label/value table (receipts, report headers)."""
        rows = [[self.para(label, "cell"), self.para(value, "cell")] for label, value in pairs]
        table = Table(rows, colWidths=[label_width, CONTENT_W - label_width], hAlign="LEFT")
        table.setStyle(TableStyle([
            # Set even with Paragraph cells: the table selects its font per cell, default Helvetica.
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.Color(0.55, 0.55, 0.55)),
            ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.95, 0.95, 0.96)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        self.add(table)
        self.spacer(3 * mm)

    def signature_slots(self, slots, *, columns=3, align="LEFT"):
        for slot in slots:
            self._text.extend([slot.caption, slot.name])
        grid = SlotGrid(slots, self._slots, self.font, columns)
        grid.hAlign = align
        self.add(grid)

    # --- layout ----------------------------------------------------------------------------

    def _decorate(self, canv, doc):
        """Header, anchor footer and watermark of one page (page numbers come at save time)."""
        canv.saveState()
        canv.setFont(self.font, 8)
        canv.setFillColor(colors.Color(0.3, 0.3, 0.3))
        top = PAGE_H - MARGIN_TOP + 8 * mm
        canv.drawString(MARGIN_X, top, f"{PLATFORM} · {self.title}")
        canv.drawRightString(PAGE_W - MARGIN_X, top, f"招标编号：{self.tender_code}")
        canv.setStrokeColor(colors.Color(0.7, 0.7, 0.7))
        canv.setLineWidth(0.5)
        canv.line(MARGIN_X, top - 2.5 * mm, PAGE_W - MARGIN_X, top - 2.5 * mm)
        bottom = MARGIN_BOTTOM - 9 * mm
        canv.line(MARGIN_X, bottom + 4.5 * mm, PAGE_W - MARGIN_X, bottom + 4.5 * mm)
        canv.setFont(self.font, 6.5)
        canv.drawString(MARGIN_X, bottom, f"交易日志第 {self.anchor.seq} 条 {self.anchor.hash}")
        if self.anchor.sth_size:
            canv.drawString(MARGIN_X, bottom - 3 * mm, f"签名树头 大小 {self.anchor.sth_size} 根 {self.anchor.sth_root} "
                                                       f"时间 {self.anchor.sth_time}")
        if self.watermark:
            canv.setFont(self.font, 60)
            canv.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.12))
            canv.translate(PAGE_W / 2, PAGE_H / 2)
            canv.rotate(35)
            canv.drawCentredString(0, 0, self.watermark)
        canv.restoreState()

    def _canvas_class(self):
        font = self.font
        issued = self.issued_at.astimezone(BEIJING)
        stamp = issued.strftime("D:%Y%m%d%H%M%S+08'00'")

        class NumberedCanvas(Canvas):
            """Defers each page until the end, so every page can say how many there are."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self._pages = []
                self.setDateFormatter(lambda *_parts: stamp)

            def showPage(self):  # noqa: N802 (reportlab's name)
                self._pages.append(dict(self.__dict__))
                self._startPage()

            def save(self):
                total = len(self._pages)
                for number, state in enumerate(self._pages, start=1):
                    self.__dict__.update(state)
                    self.setFont(font, 8)
                    self.setFillColor(colors.Color(0.3, 0.3, 0.3))
                    self.drawRightString(PAGE_W - MARGIN_X, MARGIN_BOTTOM - 9 * mm, f"第 {number} 页 共 {total} 页")
                    super().showPage()
                super().save()

        return NumberedCanvas

    def build(self) -> Rendered:
        fonts.check_glyphs("".join(self._text))
        buf = io.BytesIO()
        doc = BaseDocTemplate(
            buf, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM, title=self.title, author=PLATFORM, subject=self.tender_code,
            creator=PLATFORM, producer=PLATFORM, lang="zh-CN",
            # invariant: no wall-clock date or random id in the file; the same data gives the same bytes.
            invariant=1, initialFontName=self.font, initialFontSize=10,
        )
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_W, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])
        self._slots.clear()
        doc.build(list(self.story), canvasmaker=self._canvas_class())
        return Rendered(pdf=buf.getvalue(), title=self.title, slots=tuple(self._slots), pages=doc.page,
                        summary=self.summary or self.title)
