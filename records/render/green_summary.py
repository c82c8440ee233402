"""绿色通道服务月度汇总: the monthly summary of green-channel service (issue 12) — the projects, the
days saved against ordinary handling (ordinary legal and service targets minus the actual dates) and
the milestones missed. Built from plain data: records does not import trading."""

import datetime
from dataclasses import dataclass, field

from reportlab.lib.units import mm

from .base import CONTENT_W, PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing, yuan
from .data import build

TITLE = "绿色通道服务月度汇总"


@dataclass(frozen=True)
class GreenMilestoneRow:
    tender_code: str
    milestone: str  # Chinese name
    target: str  # YYYY-MM-DD
    ordinary_target: str
    actual: str  # YYYY-MM-DD or ""
    state: str  # Chinese state


@dataclass(frozen=True)
class GreenProjectRow:
    project_code: str
    project_name: str
    region_name: str
    reason: str
    investment_fen: int
    officer: str
    deputy: str
    approved_on: str
    days_saved: int
    missed: int
    milestones: list[GreenMilestoneRow] = field(default_factory=list)


@dataclass(frozen=True)
class GreenChannelSummary:
    month: str  # YYYY-MM
    issued_at: datetime.datetime
    as_of: str  # the day the states were read (the month's last day, or today within the month)
    projects: list[GreenProjectRow] = field(default_factory=list)


def render_green_summary(summary, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    s = build(GreenChannelSummary, summary)
    doc = RecordDocument(title=TITLE, tender_code="", anchor=anchor, issued_at=s.issued_at, watermark=watermark,
                         summary=f"{TITLE} · {s.month}")
    doc.text(TITLE, "title")
    doc.text(f"统计月份：{s.month}　状态截至：{s.as_of}　出具时间：{beijing(s.issued_at)}", "subtitle")
    saved = sum(p.days_saved for p in s.projects)
    missed = sum(p.missed for p in s.projects)
    doc.fields([
        ("绿色通道项目数", str(len(s.projects))),
        ("较常规办理节省天数（合计）", f"{saved} 天"),
        ("未按期完成的节点数", str(missed)),
    ])
    doc.heading("一、项目一览")
    doc.table(
        ["项目编号", "项目名称", "地区", "事由", "投资额（元）", "专人 / 副手", "节省天数", "未按期"],
        [[p.project_code, p.project_name, p.region_name, p.reason, yuan(p.investment_fen),
          f"{p.officer} / {p.deputy}", str(p.days_saved), str(p.missed)] for p in s.projects],
        [30 * mm, 38 * mm, 16 * mm, 18 * mm, 24 * mm, 26 * mm, 11 * mm, CONTENT_W - 163 * mm],
        wrap=(1, 3, 5), right=(4, 6, 7),
    )
    for p in s.projects:
        doc.heading(f"二、{p.project_code} {p.project_name}（批准日期 {p.approved_on}）", level=3)
        doc.table(
            ["标段编号", "节点", "目标日期", "常规办理日期", "实际完成", "状态"],
            [[m.tender_code, m.milestone, m.target, m.ordinary_target, m.actual or "—", m.state]
             for m in p.milestones],
            [34 * mm, 26 * mm, 24 * mm, 26 * mm, 24 * mm, CONTENT_W - 134 * mm],
        )
    doc.text("节省天数＝常规办理（法定期限加常规服务时限）的目标日期减实际完成日期，按每个标段最近完成的节点计算。"
             "绿色通道只加快平台自身的服务，不缩短任何法定期限。节点是否完成以交易日志记录为准。", "small")
    doc.spacer()
    doc.signature_slots(
        [Slot(field="Seal", caption=f"{PLATFORM}（电子签章）", name="", seal=True, reason="绿色通道服务月度汇总签章")],
        columns=1, align="RIGHT",
    )
    return doc.build()
