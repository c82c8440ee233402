"""交易中心服务效能季度排名: the quarterly ranking of the trading centers (issue 19), for the city's
supervision office; signed by the city staff member who produced it and the platform seal. Built from plain
data: records does not import service."""

import datetime
from dataclasses import dataclass, field

from reportlab.lib.units import mm

from .base import CONTENT_W, PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing
from .data import build

TITLE = "交易中心服务效能季度排名"


@dataclass(frozen=True)
class RankingRow:
    region_name: str
    rank: int | None  # None: no activity in the quarter, not ranked
    last: bool
    on_time: str  # "95.0%（19/20）" or "—"
    satisfaction: str
    days_publication: str
    days_opening: str
    days_evaluation: str
    days_average: str
    remote: str
    score: str


@dataclass(frozen=True)
class ServiceRanking:
    quarter: str  # "2026年第3季度"
    period: str  # "2026-07-01 至 2026-09-30"
    issued_at: datetime.datetime
    weights: str  # "按时办结率 40%，满意率 30%，…"
    producer: str  # the signer's name, as on their certificate
    rows: list[RankingRow] = field(default_factory=list)


def render_service_ranking(ranking, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    s = build(ServiceRanking, ranking)
    doc = RecordDocument(title=TITLE, tender_code="", anchor=anchor, issued_at=s.issued_at, watermark=watermark,
                         summary=f"{TITLE} · {s.quarter}")
    doc.text(TITLE, "title")
    doc.text(f"统计期间：{s.quarter}（{s.period}）　出具时间：{beijing(s.issued_at)}", "subtitle")
    ranked = [r for r in s.rows if r.rank is not None]
    last = [r.region_name for r in ranked if r.last]
    doc.fields([
        ("参与排名的交易中心", str(len(ranked))),
        ("本季度无业务的交易中心", "、".join(r.region_name for r in s.rows if r.rank is None) or "无"),
        ("末位", "、".join(last) or "无"),
        ("综合得分权重", s.weights),
    ])
    doc.heading("一、排名")
    doc.table(
        ["名次", "交易中心", "按时办结率", "满意率", "发布→开标", "开标→评标", "评标→定标", "平均天数", "远程评标占比",
         "综合得分"],
        [[("末位 " if r.last else "") + (str(r.rank) if r.rank is not None else "无业务"), r.region_name,
          r.on_time, r.satisfaction, r.days_publication, r.days_opening, r.days_evaluation, r.days_average,
          r.remote, r.score] for r in s.rows],
        [14 * mm, 20 * mm, 22 * mm, 20 * mm, 15 * mm, 15 * mm, 15 * mm, 15 * mm, 20 * mm, CONTENT_W - 156 * mm],
        wrap=(1, 2, 3, 8), right=(4, 5, 6, 7, 9),
    )
    doc.text("按时办结率＝本季度办结且未超过办理时限的服务事项数／本季度办结的服务事项数；满意率＝（满意＋基本满意）／"
             "本季度评议数；各阶段天数为本季度结束的该阶段的平均自然日；远程评标占比＝评标专家分处多个场地或在本中心以外"
             "场地的评标数／本季度完成的评标数。平均天数得分＝最短平均天数／本中心平均天数×100。某项无数据时，其权重按比例"
             "分配给其余各项。本季度无业务的交易中心不参与排名。数据以交易日志记录为准。", "small")
    doc.spacer()
    doc.signature_slots(
        [Slot(field="Producer", caption=f"制表人：{s.producer}", name=s.producer, reason="服务效能季度排名制表"),
         Slot(field="Seal", caption=f"{PLATFORM}（电子签章）", name="", seal=True, reason="服务效能季度排名签章")],
        columns=2, align="RIGHT",
    )
    return doc.build()
