"""The records after the evaluation, each sealed by the platform (docs/award.md):
中标候选人公示 (candidate_publicity, 实施条例 art. 54), 中标通知书 (award_notice, 招标投标法 art. 45),
中标结果公告 (award_result), 中标结果通知书 to the others (unsuccessful_notice, art. 45) and the
regulator's 投诉处理决定书 (complaint_decision, 实施条例 art. 61). Built from plain data: records does
not import trading."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from reportlab.lib.units import mm

from .. import fonts
from .base import CONTENT_W, PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing, yuan
from .data import DataError, build


@dataclass(frozen=True)
class CandidateRow:
    rank: int
    name: str
    credit_code: str
    price_fen: int
    score: Decimal | None = None


@dataclass(frozen=True)
class TenderHeader:
    tender_code: str
    tender_name: str
    project_name: str
    region_name: str
    tenderer_name: str
    category: str  # Chinese


@dataclass(frozen=True)
class CandidatePublicity:
    tender: TenderHeader
    issued_at: datetime.datetime
    starts: datetime.datetime
    ends: datetime.datetime
    candidates: list[CandidateRow]


@dataclass(frozen=True)
class AwardNotice:
    """One document shape for the award notice, the result announcement and a notice to another bidder."""

    tender: TenderHeader
    issued_at: datetime.datetime
    winner: CandidateRow
    contract_due: datetime.datetime
    addressee: str = ""  # the organization the notice is sent to (empty: the public announcement)
    reason: str = ""  # why rank 1 was not chosen
    candidates: list[CandidateRow] = field(default_factory=list)


@dataclass(frozen=True)
class ComplaintDecision:
    tender: TenderHeader
    issued_at: datetime.datetime
    complainant: str
    filed_at: datetime.datetime
    grounds: str
    outcome: str  # upheld / dismissed
    decision: str
    regulator: str  # the deciding regulator's region (机关)


OUTCOMES = {"upheld": "投诉成立", "dismissed": "驳回投诉"}


def _p(text):
    """What people typed, made printable (a missing glyph is written as its code point)."""
    missing = fonts.missing_glyphs(text)
    return "".join(f"[U+{ord(ch):04X}]" if ch in missing else ch for ch in text) if missing else text


def _money(fen):
    return f"¥{yuan(fen)} 元"


def _score(score):
    return "—" if score is None else f"{score:.2f}"


def _doc(title, tender, issued_at, anchor, watermark, summary_tail=""):
    doc = RecordDocument(title=title, tender_code=tender.tender_code, anchor=anchor, issued_at=issued_at,
                         watermark=watermark, summary=f"{title} · {tender.tender_name}{summary_tail}")
    doc.text(title, "title")
    doc.text(tender.tender_name, "subtitle")
    return doc


def _header_fields(tender):
    return [("招标项目编号", tender.tender_code), ("招标项目名称", tender.tender_name),
            ("所属项目", tender.project_name), ("所属区域", tender.region_name), ("招标人", tender.tenderer_name),
            ("项目类别", tender.category)]


def _candidate_table(doc, rows):
    doc.table(["排名", "中标候选人", "统一社会信用代码", "投标报价", "综合得分"],
              [[c.rank, _p(c.name), c.credit_code, _money(c.price_fen), _score(c.score)] for c in rows],
              [14 * mm, CONTENT_W - 122 * mm, 44 * mm, 42 * mm, 22 * mm], wrap={1}, right={3, 4})


def _seal(doc, reason):
    doc.spacer()
    doc.signature_slots([Slot(field="Seal", caption=f"{PLATFORM}（电子签章）", name="", seal=True, reason=reason)],
                        columns=1, align="RIGHT")


def render_candidate_publicity(data, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    r = build(CandidatePublicity, data)
    if not 1 <= len(r.candidates) <= 3 or [c.rank for c in r.candidates] != list(range(1, len(r.candidates) + 1)):
        raise DataError("the publicity names 1 to 3 candidates ranked 1..n (实施条例 art. 53)")
    if r.ends <= r.starts:
        raise DataError("the publicity must end after it starts")
    doc = _doc("中标候选人公示", r.tender, r.issued_at, anchor, watermark)
    doc.fields([*_header_fields(r.tender), ("公示期", f"{beijing(r.starts)} 至 {beijing(r.ends)}（北京时间）")])
    doc.heading("一、中标候选人")
    _candidate_table(doc, r.candidates)
    doc.heading("二、异议")
    doc.text("投标人或者其他利害关系人对依法必须进行招标的项目的评标结果有异议的，应当在中标候选人公示期间提出。"
             "招标人应当自收到异议之日起3日内作出答复；作出答复前，应当暂停招标投标活动"
             "（《中华人民共和国招标投标法实施条例》第五十四条）。", "small")
    _seal(doc, "平台电子签章：中标候选人公示")
    return doc.build()


def _award(title, data, anchor, watermark, body, reason):
    r = build(AwardNotice, data)
    doc = _doc(title, r.tender, r.issued_at, anchor, watermark, f" · {r.addressee}" if r.addressee else "")
    if r.addressee:
        doc.text(f"{_p(r.addressee)}：", "body")
    doc.fields([*_header_fields(r.tender), ("中标人", _p(r.winner.name)),
                ("中标价", _money(r.winner.price_fen)), ("发出时间", beijing(r.issued_at))])
    for line in body(r):
        doc.text(line)
    if r.reason:
        doc.text(f"未确定排名第一的中标候选人为中标人的理由：{_p(r.reason)}", "small")
    if r.candidates:
        doc.heading("中标候选人")
        _candidate_table(doc, r.candidates)
    _seal(doc, reason)
    return doc.build()


def render_award_notice(data, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    def body(r):
        return [f"你单位在本项目中被确定为中标人，中标价为 {_money(r.winner.price_fen)}。"
                f"请于 {beijing(r.contract_due)}（北京时间）之前，按照招标文件和你单位的投标文件与招标人订立书面合同"
                "（《中华人民共和国招标投标法》第四十五条、第四十六条）。"]
    return _award("中标通知书", data, anchor, watermark, body, "平台电子签章：中标通知书")


def render_award_result(data, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    def body(r):
        return [f"本项目经评标委员会评审、中标候选人公示，招标人确定 {_p(r.winner.name)} 为中标人，"
                f"中标价为 {_money(r.winner.price_fen)}。"]
    return _award("中标结果公告", data, anchor, watermark, body, "平台电子签章：中标结果公告")


def render_unsuccessful_notice(data, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    def body(r):
        return [f"本项目的中标人为 {_p(r.winner.name)}。感谢你单位参与投标。"
                "中标通知书发出的同时，中标结果通知所有未中标的投标人（《中华人民共和国招标投标法》第四十五条）。"]
    return _award("中标结果通知书", data, anchor, watermark, body, "平台电子签章：中标结果通知书")


def render_complaint_decision(data, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    r = build(ComplaintDecision, data)
    if r.outcome not in OUTCOMES:
        raise DataError(f"outcome {r.outcome!r} is not one of {', '.join(OUTCOMES)}")
    doc = _doc("投诉处理决定书", r.tender, r.issued_at, anchor, watermark, f" · {r.complainant}")
    doc.fields([*_header_fields(r.tender), ("投诉人", _p(r.complainant)), ("投诉时间", beijing(r.filed_at)),
                ("处理机关", _p(r.regulator)), ("处理结论", OUTCOMES[r.outcome]), ("决定时间", beijing(r.issued_at))])
    doc.heading("一、投诉事项")
    doc.text(_p(r.grounds))
    doc.heading("二、处理决定")
    doc.text(_p(r.decision))
    doc.text("行政监督部门应当自收到投诉之日起3个工作日内决定是否受理投诉，并自受理投诉之日起30个工作日内作出书面处理决定"
             "（《中华人民共和国招标投标法实施条例》第六十一条）。", "small")
    _seal(doc, "平台电子签章：投诉处理决定书")
    return doc.build()


AWARD_RENDERERS = {
    "candidate_publicity": render_candidate_publicity,
    "award_notice": render_award_notice,
    "award_result": render_award_result,
    "unsuccessful_notice": render_unsuccessful_notice,
    "complaint_decision": render_complaint_decision,
}
AWARD_DATA_CLASSES = {"candidate_publicity": CandidatePublicity, "award_notice": AwardNotice,
                      "award_result": AwardNotice, "unsuccessful_notice": AwardNotice,
                      "complaint_decision": ComplaintDecision}
