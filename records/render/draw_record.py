"""评标专家抽取记录: how one tender's evaluation committee was drawn (招标投标法 art. 37; 实施条例
art. 45–46; docs/architecture.md §10; the procedure in docs/expert-draw.md), sealed by the platform.

Two variants from the same engine:

- sealed (`full` false), produced when the committee is complete, before the evaluation: the request,
  the candidate and exclusion counts, both parties' commitments, the frozen list's SHA-256 and the
  seats with their statuses — no expert's name, ID or employer, no secret and no seed. Trading
  center staff of the region read it, and until the session signs in drawn names are hidden from
  them (招标投标法 art. 37: the committee's list is kept confidential until the award is settled).
- full, produced once the evaluation closes and both secrets are revealed: the same plus the secrets,
  the seed and every pick and exclusion with the expert's identity, so that anyone can recompute
  the committee.

The renderer refuses data that would break that line: a sealed record carrying an identity or a
secret, or a full record whose secrets do not hash to the logged commitments and seed.
"""

import datetime
import hashlib
from dataclasses import dataclass, field, replace

from reportlab.lib.units import mm

from .base import CONTENT_W, PLATFORM, LedgerAnchor, RecordDocument, Rendered, Slot, beijing
from .data import DataError, build
from .opening_record import _printable

TITLE = "评标专家抽取记录"
REASON_WORDS = {
    "employed_by_bidder": "受雇于投标人",
    "employed_by_tenderer": "受雇于招标人",
    "recent_same_tenderer": "近期曾为同一招标人评标",
    "suspended": "暂停评标资格",
    "retired": "已退出专家库",
    "same_county": "与项目同属一县区（异地评标）",
    "declared_conflict": "本人申报回避",
}
STATUS_WORDS = {
    "notified": "已通知，待答复",
    "accepted": "接受",
    "declined": "拒绝",
    "timed_out": "超时未答复",
    "conflicted": "申报回避",
}
ART_37 = (
    "《中华人民共和国招标投标法》第三十七条：评标委员会由招标人的代表和有关技术、经济等方面的专家组成，"
    "成员人数为五人以上单数，其中技术、经济等方面的专家不得少于成员总数的三分之二。"
    "与投标人有利害关系的人不得进入相关项目的评标委员会；已经进入的应当更换。评标委员会成员的名单在中标结果确定前应当保密。"
    "《中华人民共和国招标投标法实施条例》第四十六条：评标委员会的专家成员应当从评标专家库内相关专业的专家名单中以随机抽取方式确定。"
)
SEED_FORMULA = "种子 = SHA-256(平台秘密 ‖ 监督人员秘密 ‖ 冻结名单的 SHA-256)，三者均按原始字节拼接"


@dataclass(frozen=True)
class Requirement:
    specialty: str  # "工程类-房屋建筑"
    count: int  # seats
    venue: str = ""  # empty: not a remote evaluation
    main_venue: bool = False
    offsite: bool = False  # experts from outside the tender's county (异地评标)


@dataclass(frozen=True)
class Pick:
    counter: int  # position in the seed's stream (docs/expert-draw.md)
    requirement: int  # index into requirements, 0-based
    status: str  # notified / accepted / declined / timed_out / conflicted
    replaces: int | None = None  # the counter of the pick this one replaces
    notified_at: datetime.datetime | None = None
    responded_at: datetime.datetime | None = None
    # The expert: full record only.
    expert_name: str = ""
    id_last4: str = ""
    employer: str = ""


@dataclass(frozen=True)
class Excluded:
    """An expert left out of the frozen list: full record only."""

    expert_name: str
    id_last4: str
    reason: str  # a REASON_WORDS key
    detail: str = ""
    employer: str = ""


@dataclass(frozen=True)
class DrawRecord:
    draw_id: int
    full: bool
    tender_code: str
    tender_name: str
    region_name: str
    tenderer_name: str
    requested_at: datetime.datetime
    issued_at: datetime.datetime  # the committee's completion (sealed) or the reveal (full)
    committee_size: int
    tenderer_representatives: int
    requirements: list[Requirement]
    candidates: int  # experts on the frozen list
    exclusion_counts: dict[str, int]  # reason -> experts excluded for it
    frozen_list_sha256: str
    platform_commitment: str
    regulator_commitment: str
    picks: list[Pick]
    remote: bool = False
    requested_by: str = ""
    regulator_name: str = ""  # the regulator who contributed the second secret
    drawn_at: datetime.datetime | None = None
    # Full record only.
    platform_secret: str = ""
    regulator_secret: str = ""
    seed: str = ""
    excluded: list[Excluded] = field(default_factory=list)


def _sha256_hex(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


def _is_hash(text: str) -> bool:
    return len(text) == 64 and all(ch in "0123456789abcdef" for ch in text)


def _check(r: DrawRecord):
    """Refuse what the record must never state: identities or secrets on the sealed variant, secrets
    that do not match their commitments, seats that do not add up."""
    for name in ("frozen_list_sha256", "platform_commitment", "regulator_commitment"):
        if not _is_hash(getattr(r, name)):
            raise DataError(f"{name} must be 64 lowercase hexadecimal characters")
    if not r.requirements:
        raise DataError("a draw has at least one requirement")
    drawn = sum(req.count for req in r.requirements)
    if drawn + r.tenderer_representatives != r.committee_size:
        raise DataError(f"{drawn} seats and {r.tenderer_representatives} representatives "
                        f"do not make a committee of {r.committee_size}")
    for reason, count in r.exclusion_counts.items():
        if reason not in REASON_WORDS:
            raise DataError(f"exclusion reason {reason!r} is not one of {', '.join(REASON_WORDS)}")
        if count < 0:
            raise DataError(f"exclusion count of {reason} is negative")

    counters = [p.counter for p in r.picks]
    if len(set(counters)) != len(counters):
        raise DataError("two picks share a counter")
    for p in r.picks:
        where = f"pick {p.counter}"
        if p.status not in STATUS_WORDS:
            raise DataError(f"{where}: status {p.status!r} is not one of {', '.join(STATUS_WORDS)}")
        if not 0 <= p.requirement < len(r.requirements):
            raise DataError(f"{where}: requirement {p.requirement} does not exist")
        if p.replaces is not None and p.replaces not in counters:
            raise DataError(f"{where} replaces pick {p.replaces}, which is not listed")

    if not r.full:
        # 招标投标法 art. 37: the sealed record is read by staff, who never see who was drawn.
        if any(p.expert_name or p.id_last4 or p.employer for p in r.picks) or r.excluded:
            raise DataError("the sealed draw record carries no expert's identity")
        if r.platform_secret or r.regulator_secret or r.seed:
            raise DataError("the sealed draw record carries no secret and no seed")
        return
    for name in ("platform_secret", "regulator_secret", "seed"):
        if not _is_hash(getattr(r, name)):
            raise DataError(f"the full draw record needs {name} (64 lowercase hexadecimal characters)")
    if _sha256_hex(r.platform_secret) != r.platform_commitment:
        raise DataError("the platform secret does not match the platform commitment")
    if _sha256_hex(r.regulator_secret) != r.regulator_commitment:
        raise DataError("the regulator's secret does not match the regulator's commitment")
    if _sha256_hex(r.platform_secret + r.regulator_secret + r.frozen_list_sha256) != r.seed:
        raise DataError("the seed is not SHA-256(platform secret ‖ regulator secret ‖ frozen list SHA-256)")
    if any(not p.expert_name.strip() for p in r.picks):
        raise DataError("every pick of the full draw record names its expert")
    tally = {}
    for e in r.excluded:
        if e.reason not in REASON_WORDS:
            raise DataError(f"exclusion reason {e.reason!r} is not one of {', '.join(REASON_WORDS)}")
        tally[e.reason] = tally.get(e.reason, 0) + 1
    if tally != {k: v for k, v in r.exclusion_counts.items() if v}:
        raise DataError("the listed exclusions do not add up to exclusion_counts")


def _printable_record(r: DrawRecord) -> DrawRecord:
    """Checked, with what administrators typed (names, employers, details) made printable."""
    _check(r)
    p = _printable
    return replace(
        r,
        tender_name=p(r.tender_name), tenderer_name=p(r.tenderer_name), requested_by=p(r.requested_by),
        regulator_name=p(r.regulator_name),
        requirements=[replace(q, specialty=p(q.specialty), venue=p(q.venue)) for q in r.requirements],
        picks=[replace(k, expert_name=p(k.expert_name), id_last4=p(k.id_last4), employer=p(k.employer))
               for k in r.picks],
        excluded=[replace(e, expert_name=p(e.expert_name), id_last4=p(e.id_last4), detail=p(e.detail),
                          employer=p(e.employer))
                  for e in r.excluded],
    )


def _time(dt) -> str:
    return beijing(dt) if dt else "—"


def _requirement_label(index: int) -> str:
    return f"第 {index + 1} 项"


def record_title(draw_id: int, tender_name: str, *, full: bool) -> str:
    """The record's one-line summary (Record.title): names the draw and the variant."""
    return f"{TITLE}（第 {draw_id} 号抽取，{'完整版' if full else '密封版'}）· {tender_name}"


def render_draw_record(record, *, anchor: LedgerAnchor, watermark="") -> Rendered:
    r = _printable_record(build(DrawRecord, record))
    doc = RecordDocument(title=TITLE, tender_code=r.tender_code, anchor=anchor, issued_at=r.issued_at,
                         watermark=watermark, summary=record_title(r.draw_id, r.tender_name, full=r.full))
    doc.text(TITLE, "title")
    doc.text(f"{r.tender_name}（{'完整版：评标结束后公开' if r.full else '密封版：专家身份保密'}）", "subtitle")
    accepted = sum(p.status == "accepted" for p in r.picks)
    doc.fields([
        ("抽取编号", str(r.draw_id)),
        ("招标项目编号", r.tender_code),
        ("招标项目名称", r.tender_name),
        ("所属区域", r.region_name),
        ("招标人", r.tenderer_name),
        ("申请人", r.requested_by or "—"),
        ("申请时间", _time(r.requested_at)),
        ("抽取时间", _time(r.drawn_at)),
        ("提供秘密的监督人员", r.regulator_name or "—"),
        ("评标委员会人数", f"{r.committee_size} 人：招标人代表 {r.tenderer_representatives} 人，"
                            f"随机抽取专家 {r.committee_size - r.tenderer_representatives} 人"),
        ("评标方式", "远程异地评标（主场、副场）" if r.remote else "集中评标"),
        ("抽取结果", f"共抽取 {len(r.picks)} 人次，接受 {accepted} 人"),
        ("本记录出具时间", f"{beijing(r.issued_at)}（{'评标结束、秘密公开后' if r.full else '评标委员会组建完成时'}）"),
    ])
    doc.text(ART_37, "small")

    doc.heading("一、抽取条件")
    doc.table(
        ["序号", "专业", "评标场地", "席位数", "异地评标"],
        [[_requirement_label(i), q.specialty,
          (f"{q.venue}（{'主场' if q.main_venue else '副场'}）" if q.venue else "—"), q.count,
          "是" if q.offsite else "否"] for i, q in enumerate(r.requirements)],
        [16 * mm, 52 * mm, CONTENT_W - 104 * mm, 16 * mm, 20 * mm],
        wrap={1, 2}, right={3},
    )

    doc.heading("二、候选名单与回避")
    excluded_total = sum(r.exclusion_counts.values())
    doc.text(f"冻结候选名单共 {r.candidates} 人；因回避或不符合条件排除 {excluded_total} 人次。"
             f"冻结名单 SHA-256：{r.frozen_list_sha256}", "small")
    counts = [(REASON_WORDS[k], v) for k, v in r.exclusion_counts.items() if v]
    doc.table(["排除原因", "人数"], [list(c) for c in counts] or [["无", 0]],
              [CONTENT_W - 30 * mm, 30 * mm], wrap={0}, right={1})

    doc.heading("三、随机数承诺")
    pairs = [
        ("平台秘密承诺", r.platform_commitment),
        ("监督人员秘密承诺", r.regulator_commitment),
        ("冻结名单 SHA-256", r.frozen_list_sha256),
    ]
    if r.full:
        pairs += [("平台秘密", r.platform_secret), ("监督人员秘密", r.regulator_secret), ("种子", r.seed)]
    doc.fields(pairs)
    if r.full:
        doc.text(f"{SEED_FORMULA}。秘密的承诺为其 32 字节原值的 SHA-256。以上数值已核对一致。", "small")
    else:
        doc.text("承诺为各方秘密的 SHA-256，抽取前已记入交易日志；两项秘密在评标结束后公开，"
                 f"届时任何人可据此复算评标委员会（{SEED_FORMULA}）。", "small")

    doc.heading("四、抽取结果")
    _picks(doc, r)

    if r.full:
        doc.heading("五、回避名单")
        if r.excluded:
            doc.table(
                ["序号", "姓名", "身份证后四位", "工作单位", "排除原因", "说明"],
                [[i, e.expert_name, e.id_last4, e.employer or "—", REASON_WORDS[e.reason], e.detail or "—"]
                 for i, e in enumerate(r.excluded, 1)],
                [12 * mm, 22 * mm, 16 * mm, 46 * mm, 40 * mm, CONTENT_W - 136 * mm],
                wrap={1, 2, 3, 4, 5}, right={0},
            )
        else:
            doc.text("无。")

    doc.spacer()
    doc.text(f"本记录由{PLATFORM}依据冻结名单与种子自动生成，加盖平台电子签章；"
             f"可在平台公开页面或以 python manage.py verify_draw {r.draw_id} 复算核验。", "small")
    doc.spacer()
    doc.signature_slots(
        [Slot(field="Seal", caption=f"{PLATFORM}（电子签章）", name="", seal=True,
              reason=f"平台电子签章：{TITLE}（{'完整版' if r.full else '密封版'}）")],
        columns=1, align="RIGHT",
    )
    return doc.build()


def _picks(doc, r: DrawRecord):
    """The seats in counter order; the sealed variant without who sits in them."""
    doc.text("抽取序号即种子数据流中的位置；拒绝或超时的席位由替补按同一程序从同一种子继续抽取。", "small")
    picks = sorted(r.picks, key=lambda p: p.counter)

    def replaced(p):
        return f"替第 {p.replaces} 号" if p.replaces is not None else "—"

    if r.full:
        doc.table(
            ["抽取序号", "条件", "姓名", "身份证后四位", "工作单位", "答复", "替补", "答复时间"],
            [[p.counter, _requirement_label(p.requirement), p.expert_name, p.id_last4, p.employer or "—",
              STATUS_WORDS[p.status], replaced(p), _time(p.responded_at)] for p in picks],
            [14 * mm, 14 * mm, 18 * mm, 14 * mm, CONTENT_W - 126 * mm, 18 * mm, 16 * mm, 32 * mm],
            wrap={2, 3, 4, 5, 7}, right={0},
        )
        return
    doc.table(
        ["抽取序号", "条件", "专业", "状态", "替补", "通知时间", "答复时间"],
        [[p.counter, _requirement_label(p.requirement), r.requirements[p.requirement].specialty,
          STATUS_WORDS[p.status], replaced(p), _time(p.notified_at), _time(p.responded_at)] for p in picks],
        [14 * mm, 14 * mm, CONTENT_W - 126 * mm, 20 * mm, 16 * mm, 32 * mm, 32 * mm],
        wrap={2, 3, 5, 6}, right={0},
    )
    doc.text("密封版不载明专家姓名、身份证号与工作单位（《中华人民共和国招标投标法》第三十七条："
             "评标委员会成员的名单在中标结果确定前应当保密）。", "small")
