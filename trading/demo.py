"""Demo tenders across regions and categories, one in each stage the platform reaches.

The history is replayed at its own dates (the caller moves the clock), so every rule of the law is
checked exactly as it was for a real tender, and the trading log stays in time order.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User

from . import actions, demo_bids, rules
from .actions.opening_record import produce_opening_record
from .calendar import Calendar, end_of_day, start_of_day
from .models import Tender
from .rules import day_of

DAY = datetime.timedelta(days=1)
OPENING_IN = datetime.timedelta(minutes=10)
HOUR = datetime.timedelta(hours=1)
CRITERIA = [
    {"name": "投标报价", "weight": 50, "kind": "price"},
    {"name": "施工组织设计", "weight": 30, "kind": "technical"},
    {"name": "企业业绩与信誉", "weight": 20, "kind": "commercial"},
]


def _pdf(title):
    body = f"%PDF-1.4\n% demo tender document: {title}\n".encode()
    return SimpleUploadedFile("招标文件.pdf", body + b"%%EOF\n", content_type="application/pdf")


def _at_nine(moment):
    local = timezone.localtime(moment)
    return local.replace(hour=9, minute=30, second=0, microsecond=0)


def _same_day_soon(moment):
    """An hour after `moment`, or halfway to midnight when that hour would cross it: the documents' first
    day, from which the law's periods count, stays `moment`'s day (a replay after 23:00 Beijing time made
    the plan's 5-day windows a day short)."""
    later = moment + HOUR
    if day_of(later) == day_of(moment):
        return later
    return moment + (end_of_day(day_of(moment)) - moment) / 2


def schedule(base, to_docs, docs_days, to_deadline, now, category="works"):
    """(documents_from, documents_until, bid_deadline) of a PLAN row whose tender is created at `base`.
    The plan's days are the least: a period whose last day is a rest day lasts to the next working day
    (民法典 art. 203), so around a holiday the documents stay on sale, and bids are due, that much later."""
    documents_from = _same_day_soon(base + to_docs * DAY)
    documents_until = _at_nine(base + (to_docs + docs_days + 1) * DAY)
    # The "opening" tender opens a few minutes after start-up, so a newcomer can run a full opening.
    bid_deadline = _at_nine(base + to_deadline * DAY) if to_deadline else now + OPENING_IN
    calendar, start = Calendar(), day_of(documents_from)
    last, _message = rules._documents_last_day(start, category, calendar)
    documents_until = max(documents_until, _at_nine(end_of_day(last)))
    if to_deadline:
        bid_deadline = max(bid_deadline, _at_nine(start_of_day(calendar.last_day(start, rules.MIN_BIDDING_DAYS))))
    return documents_from, documents_until, bid_deadline


# (key, owner, region, category, project, title, price yuan, days to docs start, docs days, days to deadline, fate)
PLAN = [
    (
        "closed",
        "tenderer",
        "511900",
        "works",
        "巴中市城区道路改造工程",
        "巴中市回风大道改造工程施工一标段",
        28_600_000,
        0,
        7,
        25,
        "publish",
    ),
    (
        "bidding",
        "tongjiang_tenderer",
        "511921",
        "works",
        "通江县学校建设项目",
        "通江县第二中学教学楼建设工程",
        12_300_000,
        0,
        6,
        24,
        "publish",
    ),
    (
        "objection",
        "agency",
        "511922",
        "procurement",
        "南江县医疗设备采购",
        "南江县人民医院医学影像设备采购",
        6_800_000,
        0,
        8,
        30,
        "object",
    ),
    (
        "documents",
        "agency",
        "511923",
        "land",
        "平昌县国有建设用地使用权出让",
        "平昌县江口镇 2026-15 号地块使用权出让",
        45_000_000,
        0,
        10,
        28,
        "publish",
    ),
    (
        "amended",
        "tenderer",
        "511900",
        "procurement",
        "巴中市智慧交通平台采购",
        "巴中市智慧交通信号控制系统采购",
        9_900_000,
        0,
        7,
        24,
        "amend",
    ),
    (
        "announced",
        "agency",
        "511902",
        "assets",
        "巴州区国有资产处置",
        "巴州区城投公司闲置厂房租赁权转让",
        3_200_000,
        3,
        7,
        30,
        "publish",
    ),
    (
        "mining",
        "agency",
        "511903",
        "mining",
        "恩阳区矿业权出让",
        "恩阳区石灰岩矿采矿权出让",
        15_000_000,
        2,
        7,
        32,
        "publish",
    ),
    (
        "submitted",
        "tongjiang_tenderer",
        "511921",
        "works",
        "通江县农村公路项目",
        "通江县乡村公路提档升级工程",
        7_600_000,
        5,
        7,
        30,
        "submit",
    ),
    (
        "returned",
        "agency",
        "511971",
        "works",
        "经开区标准厂房项目",
        "巴中经开区标准化厂房二期工程",
        21_000_000,
        5,
        7,
        30,
        "return",
    ),
    (
        "draft",
        "tenderer",
        "511900",
        "procurement",
        "巴中市公交车辆采购",
        "巴中市新能源公交车采购",
        18_000_000,
        5,
        7,
        30,
        "draft",
    ),
]
# The tender opened a few days before start-up (fate "open": the replay runs its clock and its whole
# opening at their dates), so staff of 巴州区 or the city can request an expert draw for it right away.
PLAN.append(("opened", "agency", "511902", "works", "巴州区老旧小区改造项目", "巴州区江北老旧小区改造工程(一期)",
             9_800_000, 0, 7, 24, "open"))
# Opened the same way six days before start-up; `manage.py load_demo_session` (evaluation.demo_session) then
# draws its committee of demo experts in three venues and opens its evaluation session at check-in.
PLAN.append(("evaluation", "tongjiang_tenderer", "511921", "works", "通江县城区供水管网改造项目",
             "通江县城区供水管网改造工程", 8_600_000, 0, 7, 24, "open"))
# The tender that opens a few minutes after start-up (its deadline is set from the load time).
PLAN.append(("opening", "tenderer", "511900", "works", "巴中市城区排水管网改造项目", "巴中市江北片区排水管网改造工程",
             16_800_000, 0, 7, None, "publish"))
# Sealed demo bids: (bidder, price in yuan, duration in days).
BIDS = {
    "closed": [("bidder1", 27_450_000, 540), ("bidder2", 27_980_000, 500), ("bidder4", 26_900_000, 560)],
    "bidding": [("bidder2", 11_980_000, 300), ("bidder3", 12_050_000, 280)],
    "opening": [("bidder1", 16_380_000, 365), ("bidder3", 16_520_000, 330), ("bidder4", 15_990_000, 380)],
    "opened": [("bidder1", 9_560_000, 240), ("bidder2", 9_420_000, 270), ("bidder3", 9_690_000, 225)],
    "evaluation": [("bidder1", 8_420_000, 300), ("bidder2", 8_350_000, 320), ("bidder3", 8_510_000, 290)],
}
# When each tender is drafted, counted back from the day the demo is loaded.
STARTS = {"evaluation": 30, "opened": 28, "opening": 26, "closed": 40, "bidding": 20, "objection": 12, "documents": 3,
          "amended": 12}


def _advance(traveller, until, pending):
    """Move the clock forward to `until`, running on the way, each at its moment, the pending steps
    [(moment, step)] that are due, so the trading log stays in time order."""
    pending.sort(key=lambda item: item[0])
    while pending and pending[0][0] <= until:
        moment, step = pending.pop(0)
        if timezone.now() < moment:
            traveller.move_to(moment)
        step()
    if timezone.now() < until:
        traveller.move_to(until)


def _clock_steps(tender, host, demo_keys):
    """The clock's moments of a tender to open: the documents' period, then the opening at the deadline."""
    def clock():
        actions.record_clock_stages(tender.pk)

    tender.refresh_from_db()
    return [(tender.documents_from, clock), (tender.documents_until, clock),
            (tender.bid_deadline, lambda: demo_bids.run_opening(tender, host, demo_keys))]


def sign_records(created):
    """The opening record of each demo tender opened in the replay. It is signed at the real time, after
    the replay (as the worker does when it catches up), because the platform's and the host's signing
    certificates are issued now: a signature dated in the replayed past would predate them."""
    for _key, tender in created:
        if tender.status == Tender.Status.OPENED:
            produce_opening_record(tender.pk)


def load(traveller, now, demo_keys):
    """Replay the demo history; `traveller` is a time_machine traveller positioned before `now`,
    `demo_keys` what demo_bids.ensure_keys returned."""
    if Tender.objects.exists():
        return []
    staff = {u.username: u for u in User.objects.filter(username__endswith="_staff")}
    region_staff = {
        "511900": "city_staff",
        "511902": "bazhou_staff",
        "511903": "enyang_staff",
        "511921": "tongjiang_staff",
        "511922": "nanjiang_staff",
        "511923": "pingchang_staff",
        "511971": "kfq_staff",
    }
    bidder = User.objects.get(username="bidder3")
    created, pending = [], []
    plan = sorted(PLAN, key=lambda row: -STARTS.get(row[0], 0))
    for key, owner, region, category, project, title, price, to_docs, docs_days, to_deadline, fate in plan:
        _advance(traveller, now - STARTS.get(key, 0) * DAY, pending)
        user = User.objects.get(username=owner)
        base = timezone.now()
        documents_from, documents_until, bid_deadline = schedule(base, to_docs, docs_days, to_deadline, now, category)
        p = actions.create_project(actor=user, name=project, region_code=region, category=category)
        tender = actions.create_tender(
            actor=user,
            project_id=p.pk,
            title=title,
            venue="巴中市公共资源交易中心 不见面开标大厅",
            description=f"{title}。本项目采用电子招标投标,投标文件须在投标人本地加密后上传,开标在线进行。",
            estimated_price_fen=price * 100,
            bid_security_fen=price * 100 // 100,
            documents_from=documents_from,
            documents_until=documents_until,
            bid_deadline=bid_deadline,
            evaluation_method="comprehensive" if category in ("works", "procurement") else "lowest_price",
            criteria=CRITERIA if category in ("works", "procurement") else [],
        )
        actions.add_document(actor=user, tender_id=tender.pk, uploaded=_pdf(title))
        if fate == "draft":
            created.append((key, tender))
            continue
        actions.submit_tender(actor=user, tender_id=tender.pk)
        reviewer = staff[region_staff[region]]
        demo_bids.choose_custodians(reviewer, tender)
        if fate == "submit":
            pass
        elif fate == "return":
            actions.return_tender(actor=reviewer, tender_id=tender.pk, reason="请补充资格审查条件中的业绩要求。")
        else:
            actions.approve_tender(actor=reviewer, tender_id=tender.pk)
        if fate == "object":
            actions.raise_objection(
                actor=bidder, tender_id=tender.pk, text="招标文件第三章技术参数指向特定品牌,请予澄清。"
            )
        if key in BIDS:
            for username, price, days in BIDS[key]:
                demo_bids.submit_demo_bid(tender, username, price, days, demo_keys[username].keys)
        if fate == "open":
            pending.extend(_clock_steps(tender, reviewer, demo_keys))
        if fate == "amend":
            _advance(traveller, timezone.now() + 10 * DAY, pending)
            actions.issue_amendment(
                actor=user,
                tender_id=tender.pk,
                kind="amendment",
                affects_bids=True,
                text="第二章投标人须知前附表第 10 项修改为:投标有效期 90 日。",
            )
        created.append((key, tender))
    _advance(traveller, now, pending)
    for _key, tender in created:
        tender.refresh_from_db()
    return created
