"""A quarter of service history across the centers (`manage.py load_demo_service`, after load_demo and
load_demo_experts; idempotent), so that the rankings, the overdue items and the charts show something real.

The last full quarter is replayed at its own dates, through the real actions: tenders drafted, submitted
and reviewed (some reviews late), sealed demo bids, the remote opening at the deadline, the expert draw
after it (some late; some committees seated at two venues), the evaluation report received, the
candidates' publicity and the award; and the parties' ratings (网上评议) through service.actions. The signed
records are made at the real time after the replay (trading.demo.sign_records explains why), then the
overdue scan runs. 巴中经济开发区 is left without activity in the quarter: it shows as "no activity".
"""

import datetime
import secrets

import time_machine
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from accounts.demo import STAFF_USERS
from accounts.models import User
from evaluation.actions import draw as draw_actions
from evaluation.demo_session import DemoTexts, _answer_texts
from evaluation.models import Expert, Venue
from trading import actions, demo_bids
from trading.actions import award as award_actions
from trading.actions.opening_record import produce_opening_record
from trading.award import records as award_records
from trading.award.candidates import record_candidates_from_opening
from trading.calendar import Calendar
from trading.demo import CRITERIA, _at_nine, _pdf
from trading.green.plan import working_day_on_or_after
from trading.models import Tender

from . import ranking
from .actions import rate_service, scan_overdue

DAY, HOUR = datetime.timedelta(days=1), datetime.timedelta(hours=1)
OWNER, REGULATOR = "agency", "city_regulator"
BIDS = [("bidder1", 0.97, 300), ("bidder2", 0.955, 320), ("bidder3", 0.965, 280)]
# (region, project, title, price in yuan, drafted on day n of the quarter, review days (limit 3 working
#  days), draw hours after the opening (limit 2 working days), seated at two venues, ratings
#  (review, opening by bidder1, award): s 满意, b 基本满意, d 不满意)
PLAN = [
    ("511900", "巴中市城区道路提升项目", "巴中市兴文大道沥青罩面工程", 6_800_000, 3, 1, 2, True, "ssb"),
    ("511900", "巴中市城区照明项目", "巴中市城区路灯节能改造工程", 2_600_000, 30, 2, 3, False, "sbs"),
    ("511902", "巴州区水利项目", "巴州区化成水库除险加固工程", 4_300_000, 8, 6, 1, True, "dbs"),
    ("511902", "巴州区教育项目", "巴州区第三小学风雨操场建设工程", 3_100_000, 35, 2, 100, False, "bbd"),
    ("511903", "恩阳区旅游项目", "恩阳古镇游客中心建设工程", 5_400_000, 12, 1, 4, True, "sss"),
    ("511921", "通江县农村饮水项目", "通江县农村饮水安全巩固提升工程", 3_900_000, 5, 3, 20, True, "sbs"),
    ("511921", "通江县道路项目", "通江县至诚镇产业路建设工程", 4_700_000, 26, 7, 2, False, "dsb"),
    ("511922", "南江县医疗项目", "南江县中医医院门诊楼改造工程", 8_200_000, 16, 2, 96, False, "bdb"),
    ("511923", "平昌县市政项目", "平昌县江口镇老街排水改造工程", 3_300_000, 21, 1, 3, True, "sbs"),
]
GRADES = {"s": "satisfied", "b": "basic", "d": "dissatisfied"}


class DemoError(Exception):
    pass


class _Everyone:
    def __contains__(self, _user_id):
        return True


EVERYONE = _Everyone()


def previous_quarter(now):
    year, q = ranking.quarter_of(now)
    return (year, q - 1) if q > 1 else (year - 1, 4)


def loaded():
    return Tender.objects.filter(title__in=[row[2] for row in PLAN]).exists()


def _user(name):
    return User.objects.get(username=name)


def _working(moment):
    """_at_nine of the first working day on or after `moment`'s day."""
    day = working_day_on_or_after(Calendar(), timezone.localtime(moment).date())
    return _at_nine(timezone.localtime(moment).replace(year=day.year, month=day.month, day=day.day))


def _specialty(region_id):
    """The specialty most of the region's pool experts hold: enough candidates at its venues."""
    row = (Expert.objects.filter(region_id=region_id).values("specialties__code").annotate(n=Count("id"))
           .order_by("-n", "specialties__code").first())
    return row["specialties__code"]


class Replay:
    def __init__(self, keys, out):
        self.keys, self.out, self.pending, self.tenders = keys, out, [], []
        self.owner, self.regulator = _user(OWNER), _user(REGULATOR)

    def at(self, moment, step):
        self.pending.append((moment, step))

    def run(self, traveller, until):
        while self.pending:
            self.pending.sort(key=lambda item: item[0])
            moment, step = self.pending.pop(0)
            if timezone.now() < moment:
                traveller.move_to(moment)
            step()
        traveller.move_to(until)

    def draft(self, row):
        region, project, title, price, _day, review_days, draw_hours, two_venues, grades = row
        staff, base = _user(STAFF_USERS[region]), timezone.now()
        published = base + review_days * DAY
        p = actions.create_project(actor=self.owner, name=project, region_code=region, category="works")
        tender = actions.create_tender(
            actor=self.owner, project_id=p.pk, title=title, venue="巴中市公共资源交易中心 不见面开标大厅",
            description=f"{title}。", estimated_price_fen=price * 100, bid_security_fen=price,
            documents_from=published + HOUR, documents_until=_working(published + 8 * DAY),
            bid_deadline=_working(published + 24 * DAY), evaluation_method="comprehensive", criteria=CRITERIA)
        actions.add_document(actor=self.owner, tender_id=tender.pk, uploaded=_pdf(title))
        actions.submit_tender(actor=self.owner, tender_id=tender.pk)
        self.tenders.append(tender)
        self.at(published, lambda: self.publish(tender, staff, row))

    def publish(self, tender, staff, row):
        demo_bids.choose_custodians(staff, tender)
        actions.approve_tender(actor=staff, tender_id=tender.pk)
        self.at(timezone.now() + DAY, lambda: self.rate(self.owner, tender, "tender.published", row[8][0]))
        for username, share, days in BIDS:
            demo_bids.submit_demo_bid(tender, username, int(row[3] * share), days, self.keys[username].keys)
        tender.refresh_from_db()
        deadline = tender.bid_deadline
        self.at(deadline, lambda: demo_bids.run_opening(tender, staff, self.keys))
        self.at(deadline + row[6] * HOUR, lambda: self.draw(tender, staff, row))
        self.at(deadline + DAY, lambda: self.rate(_user("bidder1"), tender, "opening.closed", row[8][1]))
        self.at(deadline + 3 * DAY, lambda: record_candidates_from_opening(tender.pk))
        self.at(deadline + 3 * DAY + 2 * HOUR,
                lambda: award_actions.publish_candidates(actor=self.owner, tender_id=tender.pk))
        self.at(deadline + 14 * DAY, lambda: award_actions.confirm_award(actor=self.owner, tender_id=tender.pk))
        self.at(deadline + 16 * DAY, lambda: self.rate(self.owner, tender, "award.confirmed", row[8][2]))

    def draw(self, tender, staff, row):
        own = list(Venue.objects.filter(region=tender.region).order_by("pk"))
        city = list(Venue.objects.filter(region__code="511900").order_by("pk"))
        if not own:
            raise DemoError("the demo venues are missing: run `manage.py load_demo_experts` first")
        seats = [(own[0], 3), ((city if tender.region.code != "511900" else own)[-1], 2)] if row[7] else [(own[0], 5)]
        requirements = [{"specialty": _specialty(v.region_id), "count": n, "venue": v.pk, "main": i == 0,
                         "offsite": False}
                        for i, (v, n) in enumerate(seats)]
        DemoTexts.sent.clear()
        with override_settings(SMS_BACKEND="evaluation.demo_session.DemoTexts"):
            draw = draw_actions.request_draw(actor=staff, tender_id=tender.pk, committee_size=5,
                                             tenderer_representatives=0, requirements=requirements, remote=True)
            draw_actions.contribute_regulator_secret(actor=self.regulator, draw_id=draw.pk,
                                                     secret_hex=secrets.token_hex(32))
            _answer_texts(EVERYONE, {})  # in the replayed quarter every expert drawn accepted

    def rate(self, user, tender, action, grade):
        from ledger.models import Entry

        entry = Entry.objects.filter(tender_ref=tender.code, action=action).order_by("-seq").first()
        rate_service(actor=user, entry_seq=entry.seq, grade=GRADES[grade],
                     comment={"d": "办理时间较长，请改进。", "b": "", "s": "服务及时，流程清楚。"}[grade])


def load(out, keys_dir=None):
    """Replay the quarter; returns the (year, quarter) replayed. Raises DemoError without load_demo."""
    if not User.objects.filter(username=OWNER).exists() or not Venue.objects.exists():
        raise DemoError("run load_demo and load_demo_experts first")
    now = timezone.now()
    year, q = previous_quarter(now)
    start, _end = ranking.bounds(year, q)
    out(f"replaying {year} Q{q} ({len(PLAN)} tenders in {len({r[0] for r in PLAN})} centers)…")
    with time_machine.travel(start, tick=True) as traveller, award_records.deferred():
        replay = Replay(demo_bids.ensure_keys(keys_dir), out)
        for row in PLAN:
            replay.at(_at_nine(start + row[4] * DAY) + HOUR, lambda r=row: replay.draft(r))
        replay.run(traveller, now)
    for tender in replay.tenders:
        produce_opening_record(tender.pk)
        award_actions.sign_deferred_records(tender.pk)
        tender.refresh_from_db()
        out(f"  {tender.region.code} {tender.code}  {tender.get_status_display()}  {tender.title}")
    found = scan_overdue()
    for step, items in found.items():
        out(f"  overdue scan: {step}: {len(items)} new")
    return year, q
