"""评标报告: the committee's report — its members, the bids, qualification review, every
expert's score sheet per bid and criterion (综合评估法) or the evaluated prices (经评审的最低投标价法),
dissent, the ranked candidates and a signature page that every member signs, then the platform seal
(实施条例 art. 53).

The ranking printed here is recomputed from the sheets by the rules of docs/price-scoring.md (the
reference implementation is evaluation.scoring, which this layer may not import: records sits below
evaluation), and the candidates given must agree with it: a report never states two rankings.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from reportlab.lib.units import mm

from .base import CONTENT_W, PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing, points, yuan
from .data import DataError, build

TITLE = "评标报告"
MAX_CANDIDATES = 3  # 实施条例 art. 53: at most 3 ranked candidates
TRIM_MIN_EXPERTS = 7  # docs/price-scoring.md: extremes are dropped only when 5 totals still remain
BIDDERS_PER_SHEET = 6  # bidder columns per score-sheet table that still fit A4 portrait
QUALIFICATION_PER_TABLE = 6  # qualification criteria columns per table
METHODS = {"comprehensive": "综合评估法", "lowest_price": "经评审的最低投标价法"}
NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Expert:
    name: str  # unique within the report (e.g. 张伟（甲）)
    role: str = "成员"  # 组长 / 成员
    category: str = "评标专家"  # 评标专家 / 招标人代表
    specialty: str = ""
    venue: str = ""
    signer: str = ""  # the name on the member's certificate, when `name` had to be made unique


@dataclass(frozen=True)
class Bidder:
    code: str  # short id used in the tables, e.g. "B01"; bidders are listed in submission order
    name: str
    credit_code: str
    price_fen: int
    duration_days: int | None = None
    quality: str = ""
    evaluated_price_fen: int | None = None  # 经评审的最低投标价法: price + documented adjustments


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    max_points: Decimal
    group: str = ""  # 商务 / 技术 / 价格


@dataclass(frozen=True)
class QualificationResult:
    bidder: str  # Bidder.code
    criterion: str
    passed: bool
    votes_pass: int
    votes_fail: int
    reason: str = ""


@dataclass(frozen=True)
class Dissent:
    expert: str
    subject: str
    opinion: str


@dataclass(frozen=True)
class Candidate:
    rank: int
    bidder: str  # Bidder.code
    score: Decimal | None = None  # 综合评估法
    evaluated_price_fen: int | None = None  # 经评审的最低投标价法


@dataclass(frozen=True)
class EvaluationReport:
    tender_code: str
    tender_name: str
    project_name: str
    tenderer: str
    agency: str
    method: str  # e.g. 综合评估法
    started_at: datetime.datetime
    finished_at: datetime.datetime
    venues: list[str]
    experts: list[Expert]
    bidders: list[Bidder]
    qualification_criteria: list[str]
    qualification: list[QualificationResult]
    criteria: list[Criterion]
    # scores[expert name][bidder code][criterion code] = points
    scores: dict[str, dict[str, dict[str, Decimal]]]
    candidates: list[Candidate]
    dissents: list[Dissent] = field(default_factory=list)
    conclusion: str = ""
    method_kind: str = "comprehensive"  # a key of METHODS: how the bids are ranked
    trim_extremes: bool = False  # the tender drops each bid's highest and lowest total (≥ 7 experts)


@dataclass(frozen=True)
class _Ranked:
    rank: int
    bidder: Bidder
    score: Decimal | None = None
    evaluated_fen: int | None = None
    totals: dict = field(default_factory=dict)  # expert name → total points
    dropped: frozenset = frozenset()  # expert names whose totals the trimming left out


def final_score(totals, *, trim_extremes=False) -> Decimal:
    """docs/price-scoring.md (evaluation.scoring.final_score): the mean of the totals, 2 places half
    up, after dropping one highest and one lowest when asked and there are at least 7."""
    values = sorted(totals)
    if trim_extremes and len(values) >= TRIM_MIN_EXPERTS:
        values = values[1:-1]
    with localcontext() as ctx:
        ctx.prec = 50
        return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _passed(report):
    failed = {q.bidder for q in report.qualification if not q.passed}
    return {b.code: b.code not in failed for b in report.bidders}


def _scored_bidders(report):
    passed = _passed(report)
    return [b for b in report.bidders if passed[b.code]]


def _trimmed(report):
    return report.trim_extremes and len(report.experts) >= TRIM_MIN_EXPERTS


def _ranking(report) -> list:
    """The qualified bids, best first (docs/price-scoring.md): by final score, then the lower price,
    then submission order (the bidders' order); or by evaluated price, then price, then order."""
    order = {b.code: i for i, b in enumerate(report.bidders)}
    rows = []
    for b in _scored_bidders(report):
        if report.method_kind == "lowest_price":
            evaluated = b.price_fen if b.evaluated_price_fen is None else b.evaluated_price_fen
            rows.append(((evaluated, b.price_fen, order[b.code]), {"bidder": b, "evaluated_fen": evaluated}))
            continue
        totals = {e.name: sum(report.scores[e.name][b.code].values(), Decimal(0)) for e in report.experts}
        dropped = frozenset()
        if _trimmed(report):
            by_total = sorted(report.experts, key=lambda e: totals[e.name])
            dropped = frozenset({by_total[0].name, by_total[-1].name})
        score = final_score(totals.values(), trim_extremes=report.trim_extremes)
        rows.append(((-score, b.price_fen, order[b.code]),
                     {"bidder": b, "score": score, "totals": totals, "dropped": dropped}))
    rows.sort(key=lambda row: row[0])
    return [_Ranked(rank=i, **fields) for i, (_key, fields) in enumerate(rows, 1)]


def _check(report: EvaluationReport) -> list:
    """Refuse data a report must never show (a fourth candidate, a score above its maximum, a
    missing sheet, candidates other than the ranking's first): the record would state something the
    law or the committee did not. Returns the ranking."""
    if report.method_kind not in METHODS:
        raise DataError(f"unknown ranking method {report.method_kind!r}")
    if len(report.candidates) > MAX_CANDIDATES:
        raise DataError("an evaluation report names at most 3 candidates (实施条例 art. 53)")
    codes = {b.code for b in report.bidders}
    names = [e.name for e in report.experts]
    if len(set(names)) != len(names):
        raise DataError("two committee members share a name; make names unique (e.g. 张伟（甲）)")
    for c in report.candidates:
        if c.bidder not in codes:
            raise DataError(f"candidate {c.bidder} is not a bidder")
    if report.method_kind == "lowest_price" and report.criteria:
        raise DataError("the lowest evaluated price method takes no scoring criteria")
    if report.method_kind == "comprehensive" and not report.criteria:
        raise DataError("the comprehensive method needs scoring criteria")
    maxima = {c.code: c.max_points for c in report.criteria}
    scored = _scored_bidders(report) if report.criteria else []
    for expert in names:
        sheets = report.scores.get(expert, {})
        for bidder in scored:
            sheet = sheets.get(bidder.code)
            if sheet is None or set(sheet) != set(maxima):
                raise DataError(f"the score sheet of {expert} for {bidder.code} is missing or incomplete")
            for code, value in sheet.items():
                if not Decimal(0) <= value <= maxima[code]:
                    raise DataError(f"{expert} gave {bidder.code} {value} on {code} (0–{maxima[code]})")
    ranking = _ranking(report)
    for c, ranked in zip(sorted(report.candidates, key=lambda c: c.rank), ranking, strict=False):
        agrees = c.rank == ranked.rank and c.bidder == ranked.bidder.code and (
            c.score == ranked.score if report.method_kind == "comprehensive"
            else c.evaluated_price_fen in (None, ranked.evaluated_fen))
        if not agrees:
            raise DataError(f"candidate {c.rank} ({c.bidder}) disagrees with the ranking computed from the sheets")
    if len(report.candidates) > len(ranking):
        raise DataError("a candidate did not pass qualification")
    return ranking


def render_evaluation_report(report, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    r = build(EvaluationReport, report)
    ranking = _check(r)
    bidders = {b.code: b for b in r.bidders}
    number = iter(NUMERALS)
    doc = RecordDocument(title=TITLE, tender_code=r.tender_code, anchor=anchor, issued_at=r.finished_at,
                         watermark=watermark, summary=f"{TITLE} · {r.tender_name}")
    doc.text(TITLE, "title")
    doc.text(r.tender_name, "subtitle")
    doc.fields([
        ("招标项目编号", r.tender_code),
        ("招标项目名称", r.tender_name),
        ("所属项目", r.project_name),
        ("招标人", r.tenderer),
        ("招标代理机构", r.agency),
        ("评标办法", r.method),
        ("评标时间", f"{beijing(r.started_at)} 至 {beijing(r.finished_at)}（北京时间）"),
        ("评标场地", "；".join(r.venues)),
    ])

    doc.heading(f"{next(number)}、评标委员会组成")
    doc.table(["序号", "姓名", "职责", "类别", "专业", "评标场地"],
              [[i, e.name, e.role, e.category, e.specialty, e.venue] for i, e in enumerate(r.experts, 1)],
              [12 * mm, 28 * mm, 18 * mm, 26 * mm, 50 * mm, CONTENT_W - 134 * mm], wrap={4, 5})

    doc.heading(f"{next(number)}、投标人及投标报价")
    doc.table(["编号", "投标人", "统一社会信用代码", "投标报价（元）", "工期（日历天）", "质量"],
              [[b.code, b.name, b.credit_code, yuan(b.price_fen), b.duration_days or "", b.quality]
               for b in r.bidders],
              [12 * mm, 56 * mm, 38 * mm, 28 * mm, 20 * mm, CONTENT_W - 154 * mm], wrap={1, 5}, right={3, 4})

    _qualification(doc, r, bidders, next(number))
    if r.method_kind == "lowest_price":
        _evaluated_prices(doc, ranking, next(number))
    else:
        _score_sheets(doc, r, next(number))
        _summary(doc, r, ranking, next(number))

    doc.heading(f"{next(number)}、评标委员会成员的不同意见")
    if r.dissents:
        doc.table(["成员", "事项", "不同意见及理由"], [[d.expert, d.subject, d.opinion] for d in r.dissents],
                  [24 * mm, 40 * mm, CONTENT_W - 64 * mm], wrap={1, 2})
    else:
        doc.text("无。评标委员会成员均未以书面形式提出不同意见。")

    doc.heading(f"{next(number)}、推荐的中标候选人")
    if r.candidates:
        lowest = r.method_kind == "lowest_price"
        evaluated = {x.bidder.code: x.evaluated_fen for x in ranking}
        doc.table(["排序", "编号", "投标人", "投标报价（元）", "评标价（元）" if lowest else "评标得分"],
                  [[f"第{c.rank}名", c.bidder, bidders[c.bidder].name, yuan(bidders[c.bidder].price_fen),
                    yuan(evaluated[c.bidder]) if lowest else points(c.score)]
                   for c in sorted(r.candidates, key=lambda c: c.rank)],
                  [16 * mm, 14 * mm, CONTENT_W - 92 * mm, 34 * mm, 28 * mm], wrap={2}, right={3, 4})
    elif not ranking:
        doc.text("无。没有投标人通过初步评审，评标委员会否决全部投标（《中华人民共和国招标投标法》第四十二条）。")
    else:
        doc.text("无。")
    if r.conclusion:
        doc.text(r.conclusion)

    doc.page_break()
    doc.text("评标委员会成员签字", "h2")
    doc.text(
        "评标委员会全体成员对本报告签字确认。对评标结果有不同意见的成员已以书面形式说明其不同意见和理由"
        "（见前述不同意见部分）；评标委员会成员拒绝在评标报告上签字且不陈述不同意见和理由的，视为同意评标结果"
        "（《中华人民共和国招标投标法实施条例》第五十三条）。",
        "small",
    )
    doc.spacer()
    doc.signature_slots([
        Slot(field=f"Expert{i:02d}", caption=f"{e.role}：{e.name}", name=e.signer or e.name,
             reason="评标委员会成员签署评标报告")
        for i, e in enumerate(r.experts, 1)
    ])
    doc.spacer()
    doc.signature_slots([Slot(field="Seal", caption=f"{PLATFORM}（电子签章）", name="", seal=True,
                              reason="平台电子签章：确认评标报告已由评标委员会签署")], columns=1, align="RIGHT")
    return doc.build()


def _qualification(doc, r, bidders, number):
    doc.heading(f"{number}、初步评审（资格审查）结果")
    doc.text("表中为各审查项的结论及评标委员会表决（通过:不通过），按多数意见确定。", "small")
    by_cell = {(q.bidder, q.criterion): q for q in r.qualification}
    passed = _passed(r)
    criteria = r.qualification_criteria
    per_table = QUALIFICATION_PER_TABLE if len(criteria) > QUALIFICATION_PER_TABLE else max(len(criteria), 1)
    crit_w = (CONTENT_W - 60 * mm) / per_table
    starts = list(range(0, len(criteria), per_table)) or [0]
    for start in starts:
        chunk = criteria[start:start + per_table]
        last = start == starts[-1]
        rows = []
        for b in r.bidders:
            cells = [b.code, b.name]
            for crit in chunk:
                q = by_cell.get((b.code, crit))
                cells.append("—" if q is None else f"{'通过' if q.passed else '不通过'} {q.votes_pass}:{q.votes_fail}")
            if last:
                cells.append("合格" if passed[b.code] else "不合格")
            rows.append(cells)
        doc.table(["编号", "投标人", *chunk, *(["结论"] if last else [])], rows,
                  [12 * mm, 34 * mm, *([crit_w] * len(chunk)), *([14 * mm] if last else [])], wrap={1})
    failures = [q for q in r.qualification if not q.passed]
    for q in failures:
        doc.text(f"{q.bidder} {bidders[q.bidder].name}：“{q.criterion}”未通过（通过:不通过 {q.votes_pass}:"
                 f"{q.votes_fail}）。理由：{q.reason or '未说明'}", "small")
    if failures:
        doc.text("未通过初步评审的投标人不进入详细评审，不参与排序（《中华人民共和国招标投标法实施条例》第五十一条）。", "small")
    else:
        doc.text("全部投标人通过初步评审。", "small")


def _score_sheets(doc, r, number):
    doc.heading(f"{number}、详细评审：评标专家个人评分表")
    doc.text("每位评标委员会成员对通过初步评审的每个投标人按评审因素逐项独立评分，下表为各成员的评分原始记录。"
             "价格分按招标文件规定的计算方法由报价计算，各成员相同。", "small")
    scored = _scored_bidders(r)
    if not scored:
        doc.text("无通过初步评审的投标人，未进行详细评审。")
        return
    for e in r.experts:
        sheets = r.scores[e.name]
        doc.heading(f"评分表 — {e.name}（{e.role}）", level=3)
        for start in range(0, len(scored), BIDDERS_PER_SHEET):
            chunk = scored[start:start + BIDDERS_PER_SHEET]
            header = ["序号", "评审因素", "分值", *[f"{b.code} {b.name}" for b in chunk]]
            rows = [[i, f"{c.group + '·' if c.group else ''}{c.name}", points(c.max_points),
                     *[points(sheets[b.code][c.code]) for b in chunk]]
                    for i, c in enumerate(r.criteria, 1)]
            rows.append(["", "合计", points(sum((c.max_points for c in r.criteria), Decimal(0))),
                         *[points(sum(sheets[b.code].values(), Decimal(0))) for b in chunk]])
            bidder_w = (CONTENT_W - 70 * mm) / BIDDERS_PER_SHEET
            doc.table(header, rows, [9 * mm, 47 * mm, 14 * mm, *([bidder_w] * len(chunk))],
                      wrap={1}, right=set(range(2, 3 + len(chunk))), caption=f"评分人：{e.name}（{e.role}）")


def _summary(doc, r, ranking, number):
    doc.heading(f"{number}、评分汇总及排序")
    if _trimmed(r):
        doc.text(f"评标委员会共 {len(r.experts)} 人。按招标文件规定，每个投标人的评标得分为去掉一个最高分和一个最低分"
                 "（表中标 * 者）后其余成员评分合计的算术平均值，保留两位小数（四舍五入）。", "small")
    else:
        doc.text("评标得分为各成员评分合计的算术平均值，保留两位小数（四舍五入）。", "small")
    doc.text("按评标得分由高到低排序；得分相同的，投标报价低者优先；报价也相同的，先递交投标文件者优先。", "small")
    if not ranking:
        doc.text("无通过初步评审的投标人。")
        return
    expert_w = min(16 * mm, (CONTENT_W - 72 * mm) / len(r.experts))
    rows = [[x.rank, x.bidder.code, x.bidder.name,
             *[points(x.totals[e.name]) + ("*" if e.name in x.dropped else "") for e in r.experts],
             points(x.score)] for x in ranking]
    doc.table(["排序", "编号", "投标人", *[e.name for e in r.experts], "评标得分"], rows,
              [10 * mm, 12 * mm, CONTENT_W - 40 * mm - expert_w * len(r.experts), *([expert_w] * len(r.experts)),
               18 * mm],
              wrap={2}, right=set(range(3, 4 + len(r.experts))))


def _evaluated_prices(doc, ranking, number):
    doc.heading(f"{number}、详细评审：评标价及排序")
    doc.text("评标价为投标报价加上按招标文件规定的价格调整。按评标价由低到高排序；评标价相同的，投标报价低者优先；"
             "报价也相同的，先递交投标文件者优先（《中华人民共和国招标投标法》第四十一条第二项）。", "small")
    if not ranking:
        doc.text("无通过初步评审的投标人。")
        return
    doc.table(["排序", "编号", "投标人", "投标报价（元）", "价格调整（元）", "评标价（元）"],
              [[x.rank, x.bidder.code, x.bidder.name, yuan(x.bidder.price_fen),
                yuan(x.evaluated_fen - x.bidder.price_fen), yuan(x.evaluated_fen)] for x in ranking],
              [10 * mm, 12 * mm, CONTENT_W - 118 * mm, 32 * mm, 32 * mm, 32 * mm], wrap={2}, right={3, 4, 5})
