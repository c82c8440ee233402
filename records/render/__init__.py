"""Record renderers: each a pure function (data in, PDF bytes and signature slots out).

    render("bid_receipt", data, anchor=LedgerAnchor(seq, hash)) -> Rendered

`data` is the kind's dataclass or the equivalent JSON-friendly dict. Every kind is built from the same engine
in records/render/base.py.
"""

from .announcement import AnnouncementData, render_announcement
from .award_records import AWARD_DATA_CLASSES, AWARD_RENDERERS
from .base import LedgerAnchor, Rendered, Slot
from .data import DataError, to_jsonable
from .draw_record import DrawRecord, render_draw_record
from .evaluation_report import EvaluationReport, render_evaluation_report
from .green_summary import GreenChannelSummary, render_green_summary
from .opening_record import OpeningRecord, render_opening_record
from .receipt import BidReceipt, render_bid_receipt
from .service_ranking import ServiceRanking, render_service_ranking

RENDERERS = {
    "bid_receipt": render_bid_receipt,
    "draw_record": render_draw_record,
    "evaluation_report": render_evaluation_report,
    "green_channel_summary": render_green_summary,
    "opening_record": render_opening_record,
}
DATA_CLASSES = {"bid_receipt": BidReceipt, "draw_record": DrawRecord, "evaluation_report": EvaluationReport,
                "green_channel_summary": GreenChannelSummary, "opening_record": OpeningRecord}
RENDERERS["announcement"] = render_announcement
DATA_CLASSES["announcement"] = AnnouncementData
RENDERERS.update(AWARD_RENDERERS)
DATA_CLASSES.update(AWARD_DATA_CLASSES)
RENDERERS["service_ranking"] = render_service_ranking
DATA_CLASSES["service_ranking"] = ServiceRanking


def render(kind, data, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    try:
        renderer = RENDERERS[kind]
    except KeyError:
        raise DataError(f"no renderer for record kind {kind!r}") from None
    return renderer(data, anchor=anchor, watermark=watermark)


__all__ = [
    "DATA_CLASSES", "RENDERERS", "BidReceipt", "DataError", "DrawRecord", "EvaluationReport", "LedgerAnchor",
    "OpeningRecord", "Rendered", "Slot", "render", "to_jsonable",
]
