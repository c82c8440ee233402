"""Made-up but well-formed data for every record kind: the sample command, the tests and the
benchmark all render from here. Deterministic for a given seed."""

import datetime
import hashlib
import random
from decimal import ROUND_HALF_UP, Decimal

from accounts.credit_code import make_code

from .draw_record import DrawRecord, Excluded, Pick, Requirement
from .evaluation_report import Bidder, Candidate, Criterion, Dissent, EvaluationReport, Expert, QualificationResult
from .opening_record import BidLetterField, Confirmation, Custodian, OpeningBid, OpeningRecord
from .receipt import BidReceipt

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红海波宁鹏飞宇浩然晨雪梅琳斌鑫辉"
PLACES = ["巴中", "巴州", "恩阳", "通江", "南江", "平昌", "川东", "秦巴", "米仓山", "光雾山", "诺水河", "巴山"]
TRADES = ["建设工程", "路桥建设", "水利水电工程", "市政工程", "建筑安装", "园林绿化工程", "交通建设", "城建"]
SPECIALTIES = ["公路工程", "市政公用工程", "工程造价", "建筑工程", "水利水电工程", "工程经济", "项目管理"]
TENDER_CODE = "BZGGZY-2026-GC-0158"
TENDER_NAME = "巴中市巴州区江北大道（一期）道路改造工程施工"
QUALIFICATION = ["营业执照", "资质证书", "安全生产许可证", "项目经理资格", "投标保证金", "财务状况"]
CRITERIA = [
    ("价格", "投标报价"), ("技术", "施工方案与技术措施"), ("技术", "质量管理体系与措施"), ("技术", "安全管理体系与措施"),
    ("技术", "环境保护管理体系与措施"), ("技术", "工程进度计划与措施"), ("技术", "资源配备计划"),
    ("技术", "施工总平面布置"), ("技术", "新技术新工艺应用"), ("技术", "重点难点分析及对策"),
    ("商务", "项目经理业绩"), ("商务", "企业类似工程业绩"), ("商务", "企业信誉"), ("商务", "技术负责人资历"),
    ("商务", "售后服务承诺"), ("商务", "农民工工资保障措施"), ("技术", "冬雨季施工措施"), ("技术", "交通组织方案"),
    ("技术", "文明施工措施"), ("商务", "应急预案"),
]
BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def _people(rng, n):
    names = set()
    while len(names) < n:
        names.add(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))))
    return sorted(names)


def _companies(rng, n):
    names = []
    for i in range(n):
        place = PLACES[i % len(PLACES)]
        names.append(f"{place}{rng.choice(TRADES)}{'有限公司' if i % 3 else '有限责任公司'}" + ("" if i < len(PLACES) else f"（{i // len(PLACES) + 1}）"))
    return names


def sample_bid_receipt(received_at=None) -> BidReceipt:
    received_at = received_at or datetime.datetime(2026, 5, 11, 9, 41, 27, 318000, tzinfo=BEIJING)
    envelope = hashlib.sha256(b"sample sealed bid").hexdigest()
    return BidReceipt(
        tender_code=TENDER_CODE, tender_name=TENDER_NAME, bidder_name="巴中市川东路桥建设有限公司",
        bidder_credit_code=make_code("91511900MA62Q7K3X"), envelope_sha256=envelope, size_bytes=48_213_771,
        received_at=received_at, receipt_no="HZ-2026-0158-0007", upload_id="upl_7c1f0e9a52d44b1e",
    )


def sample_evaluation_report(*, bidders=6, experts=5, criteria=10, seed=2026) -> EvaluationReport:
    """A complete report: committee, bids, one bidder failing qualification, every sheet, a dissent,
    three candidates. Sizes are free, for the benchmark (30 × 9 × 20)."""
    rng = random.Random(seed)  # noqa: S311 (made-up sample data, nothing secret)
    expert_names = _people(rng, experts)
    committee = [
        Expert(name=n, role="组长" if i == 0 else "成员", category="招标人代表" if i == experts - 1 else "评标专家",
               specialty=SPECIALTIES[i % len(SPECIALTIES)], venue="巴中市公共资源交易中心 主场" if i % 2 == 0 else "通江县分中心 副场")
        for i, n in enumerate(expert_names)
    ]
    companies = _companies(rng, bidders)
    bid_list = [
        Bidder(code=f"B{i:02d}", name=name, credit_code=make_code(f"91511900MA{6_200_000 + i * 37:07d}"),
               price_fen=rng.randrange(3_150_000_000, 3_480_000_000, 100), duration_days=rng.choice((300, 330, 360)),
               quality="合格")
        for i, name in enumerate(companies, 1)
    ]
    qualification = []
    for b_index, b in enumerate(bid_list):
        for crit in QUALIFICATION:
            fails = b_index == 2 and crit == "安全生产许可证"  # one bidder fails: its licence has expired
            qualification.append(QualificationResult(
                bidder=b.code, criterion=crit, passed=not fails,
                votes_pass=0 if fails else experts, votes_fail=experts if fails else 0,
                reason="安全生产许可证已于投标截止日前过期" if fails else "",
            ))
    # 30 points for the price, 70 shared by the other criteria in whole points.
    others = max(criteria - 1, 1)
    shares = [70 // others + (1 if i < 70 % others else 0) for i in range(others)]
    crit_list = [
        Criterion(code=f"C{i:02d}", name=name, group=group,
                  max_points=Decimal(30) if i == 1 else Decimal(shares[i - 2]))
        for i, (group, name) in enumerate((CRITERIA * 2)[:criteria], 1)
    ]
    scored = [b for b in bid_list if b.code != "B03"]
    scores = {}
    for e in expert_names:
        scores[e] = {}
        for b in scored:
            quality = Decimal(rng.randrange(70, 98)) / 100
            scores[e][b.code] = {
                c.code: min(c.max_points, (c.max_points * (quality + Decimal(rng.randrange(-5, 5)) / 100))
                            .quantize(Decimal("0.5")))
                for c in crit_list
            }
    means = {b.code: sum(sum(scores[e][b.code].values()) for e in expert_names) / experts for b in scored}
    ranked = sorted(scored, key=lambda b: (-means[b.code], b.price_fen, b.code))[:3]
    candidates = [Candidate(rank=i, bidder=b.code, score=means[b.code].quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
                  for i, b in enumerate(ranked, 1)]
    dissent = [Dissent(expert=expert_names[1], subject=f"{bid_list[1].code} 施工方案评分",
                       opinion="该投标人的交通组织方案对江北大道早晚高峰考虑不足，本人评分低于其他成员，特此说明。")]
    start = datetime.datetime(2026, 6, 2, 9, 0, tzinfo=BEIJING)
    return EvaluationReport(
        tender_code=TENDER_CODE, tender_name=TENDER_NAME, project_name="巴中市江北大道改造项目",
        tenderer="巴中市巴州区交通运输局", agency="四川秦巴工程项目管理有限公司", method="综合评估法",
        started_at=start, finished_at=start + datetime.timedelta(hours=7, minutes=25),
        venues=["巴中市公共资源交易中心 第3评标室（主场）", "通江县公共资源交易分中心 第1评标室（副场）"],
        experts=committee, bidders=bid_list, qualification_criteria=QUALIFICATION, qualification=qualification,
        criteria=crit_list, scores=scores, candidates=candidates, dissents=dissent,
        conclusion="评标委员会按招标文件规定的评标办法完成评审，推荐上述三名中标候选人，排序如上。",
    )


# The bid-letter fields of the sample opening record, in the tender's order: the first `fields`
# are used (6 by default, 8 at most).
OPENING_FIELDS = [
    BidLetterField(key="price", label="投标报价", type="money"),
    BidLetterField(key="duration_days", label="工期（日历天）", type="integer"),
    BidLetterField(key="quality", label="质量标准", type="text"),
    BidLetterField(key="validity_days", label="投标有效期（日）", type="integer"),
    BidLetterField(key="project_manager", label="项目负责人", type="text"),
    BidLetterField(key="safety_fee", label="安全文明施工费", type="money"),
    BidLetterField(key="provisional_sum", label="暂列金额", type="money"),
    BidLetterField(key="warranty", label="缺陷责任期", type="text"),
]
REVOKED_REASON = "投标文件密文校验失败（第 3 个数据块认证标签不符，投标人加密文件损坏），因投标人原因未能解密"
WITHDRAWN_REASON = "平台存储的投标文件无法读取（非投标人原因），未能解密"


def _letter(rng, keys, price_fen):
    values = {
        "price": price_fen,
        "duration_days": rng.choice((300, 330, 360)),
        "quality": "合格",
        "validity_days": 90,
        "project_manager": _people(rng, 1)[0],
        "safety_fee": price_fen * 3 // 100 // 100 * 100,
        "provisional_sum": 150_000_000,
        "warranty": "24 个月",
    }
    return {k: values[k] for k in keys}


def sample_opening_record(*, bidders=5, fields=6, host_name="王晓敏", seed=2026) -> OpeningRecord:
    """A closed opening: five custodians (3 of 5, four released), the bids in order of receipt with
    the fourth revoked (its envelope is corrupt), two confirmations and one objection answered on
    the spot. Sizes are free for the tests (8 fields, 30 bidders); from 8 bidders on, the seventh
    bid is withdrawn (the platform could not read it)."""
    rng = random.Random(seed)  # noqa: S311 (made-up sample data, nothing secret)
    letter_fields = OPENING_FIELDS[:fields]
    keys = [f.key for f in letter_fields]
    deadline = datetime.datetime(2026, 5, 28, 9, 30, tzinfo=BEIJING)
    opened_at = deadline + datetime.timedelta(minutes=11, seconds=42)
    closed_at = deadline + datetime.timedelta(minutes=56, seconds=18)
    custodian_names = [
        "张静（巴中市公共资源交易中心）",
        "李红梅（巴州区发展和改革局）",
        "陈志强（巴州区交通运输局）",
        "刘洋（四川秦巴工程项目管理有限公司）",
        "赵国华（巴中市公共资源交易中心）",
    ]
    released = [(1, 5), (3, 40), (8, 12), None, (10, 55)]  # minutes, seconds after the opening time
    custodians = [
        Custodian(
            name=name, released_at=deadline + datetime.timedelta(minutes=when[0], seconds=when[1]) if when else None
        )
        for name, when in zip(custodian_names, released, strict=True)
    ]
    first_receipt = deadline - datetime.timedelta(days=2, hours=3)
    bids = []
    for seq, name in enumerate(_companies(rng, bidders), 1):
        price = rng.randrange(3_150_000_000, 3_480_000_000, 100)
        status, reason = "opened", ""
        if seq == 4:
            status, reason = "revoked", REVOKED_REASON
        elif seq == 7:
            status, reason = "withdrawn", WITHDRAWN_REASON
        bids.append(
            OpeningBid(
                seq=seq,
                bidder_name=name,
                credit_code=make_code(f"91511900MA{6_300_000 + seq * 41:07d}"),
                receipt_no=f"HZ-2026-0158-{seq:04d}",
                received_at=first_receipt + seq * datetime.timedelta(minutes=97, seconds=13, milliseconds=211),
                sha256=hashlib.sha256(f"sample sealed bid {seq}".encode()).hexdigest(),
                status=status,
                reason=reason,
                letter=_letter(rng, keys, price) if status == "opened" else {},
                signed_in=seq != 5,
            )
        )
    opened = [b for b in bids if b.status == "opened"]
    at = opened_at + datetime.timedelta(minutes=20)
    confirmations = [
        Confirmation(bidder_name=opened[0].bidder_name, kind="confirm", text="我单位对唱标结果无异议。", at=at),
        Confirmation(
            bidder_name=opened[1].bidder_name,
            kind="confirm",
            text="确认开标记录内容与我单位投标函一致。",
            at=at + datetime.timedelta(minutes=2, seconds=9),
        ),
    ]
    if len(bids) >= 4:
        confirmations.append(
            Confirmation(
                bidder_name=bids[3].bidder_name,
                kind="objection",
                text="我单位投标文件在本地加密后曾打开检查，内容完整，对平台认定我单位投标文件视为撤销有异议，请予以核实。",
                at=at + datetime.timedelta(minutes=4, seconds=31),
                answer="经当场核验，平台保存的密封投标文件 SHA-256 摘要与贵单位投标文件接收回执所载一致，文件在上传后未被改动；"
                "第 3 个数据块的认证标签校验失败，系加密文件本身损坏所致，贵单位未在投标截止前使用平台的自检功能。"
                "依据《电子招标投标办法》第三十一条，该投标文件视为撤销。",
                answered_by=host_name,
                answered_at=at + datetime.timedelta(minutes=9, seconds=2),
            )
        )
    return OpeningRecord(
        tender_code=TENDER_CODE,
        tender_name=TENDER_NAME,
        project_name="巴中市江北大道改造项目",
        region_name="巴州区",
        tenderer_name="巴中市巴州区交通运输局",
        venue="巴中市公共资源交易中心 不见面开标大厅",
        bid_deadline=deadline,
        opened_at=opened_at,
        closed_at=closed_at,
        host_name=host_name,
        supervisors=["周建国（巴州区发展和改革局）"],
        custodians=custodians,
        threshold=3,
        bid_letter_fields=letter_fields,
        bids=bids,
        confirmations=confirmations,
        total_bids=len(bids),
        opened_count=len(opened),
    )


DRAW_REQUIREMENTS = [
    Requirement(specialty="工程类-公路工程", count=3, venue="巴中市公共资源交易中心 评标室一", main_venue=True),
    Requirement(specialty="经济类-工程造价", count=2, venue="通江县公共资源交易分中心 评标室", offsite=True),
]
DRAW_EXCLUSIONS = [  # (reason, employer, detail)
    ("employed_by_bidder", "巴中路桥建设有限公司", ""), ("employed_by_tenderer", "巴中市巴州区交通运输局", ""),
    ("recent_same_tenderer", "", "30 日内曾为同一招标人评标"), ("suspended", "", "暂停至 2026-09-30：考核不合格"),
    ("retired", "", ""), ("same_county", "", "巴州区专家，本项目要求异地评标"),
    ("employed_by_bidder", "平昌交通建设有限公司", ""),
]


def sample_draw_record(*, full=False, seed=2026) -> DrawRecord:
    """A committee of seven (two tenderer's representatives, five experts over two venues), drawn with
    one decline and one timeout, each replaced from the same seed; seven exclusions, one per rule and
    a second bidder's employee. `full`: the revealed variant with secrets, seed and identities."""
    rng = random.Random(seed)  # noqa: S311 (made-up sample data, nothing secret)
    platform_secret, regulator_secret = rng.randbytes(32).hex(), rng.randbytes(32).hex()
    frozen = hashlib.sha256(b"sample frozen list").hexdigest()
    requested = datetime.datetime(2026, 5, 28, 10, 40, tzinfo=BEIJING)
    drawn = requested + datetime.timedelta(minutes=6, seconds=12)
    names = _people(rng, 7 + len(DRAW_EXCLUSIONS))
    employers = _companies(rng, 7)
    # (requirement, status, replaces); counters follow the list's order.
    plan = [(0, "accepted", None), (0, "declined", None), (0, "accepted", None), (1, "timed_out", None),
            (1, "accepted", None), (0, "accepted", 1), (1, "accepted", 3)]
    picks = []
    for counter, (requirement, status, replaces) in enumerate(plan):
        notified = drawn + datetime.timedelta(minutes=3 * (counter >= 5) * (counter - 4), seconds=counter)
        picks.append(Pick(
            counter=counter, requirement=requirement, status=status, replaces=replaces, notified_at=notified,
            responded_at=None if status == "timed_out" else notified + datetime.timedelta(minutes=2 + counter),
            **({"expert_name": names[counter], "id_last4": f"{rng.randrange(1000):03d}{rng.choice('0123456789X')}",
                "employer": employers[counter]} if full else {}),
        ))
    counts = {}
    for reason, _employer, _detail in DRAW_EXCLUSIONS:
        counts[reason] = counts.get(reason, 0) + 1
    complete = max(p.responded_at for p in picks if p.status == "accepted")
    return DrawRecord(
        draw_id=17, full=full, tender_code=TENDER_CODE, tender_name=TENDER_NAME, region_name="巴州区",
        tenderer_name="巴中市巴州区交通运输局", requested_at=requested, requested_by="王晓敏（巴中市公共资源交易中心）",
        drawn_at=drawn, regulator_name="周建国（巴州区发展和改革局）",
        issued_at=complete + datetime.timedelta(days=3, hours=5) if full else complete,
        committee_size=7, tenderer_representatives=2, remote=True, requirements=DRAW_REQUIREMENTS,
        candidates=1_284, exclusion_counts=counts, frozen_list_sha256=frozen,
        platform_commitment=hashlib.sha256(bytes.fromhex(platform_secret)).hexdigest(),
        regulator_commitment=hashlib.sha256(bytes.fromhex(regulator_secret)).hexdigest(),
        picks=picks,
        platform_secret=platform_secret if full else "", regulator_secret=regulator_secret if full else "",
        seed=hashlib.sha256(bytes.fromhex(platform_secret + regulator_secret + frozen)).hexdigest() if full else "",
        excluded=[Excluded(expert_name=names[7 + i], id_last4=f"{1000 + 37 * i}", reason=reason, detail=detail,
                           employer=employer)
                  for i, (reason, employer, detail) in enumerate(DRAW_EXCLUSIONS)] if full else [],
    )
