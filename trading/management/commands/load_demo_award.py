"""`manage.py load_demo_award` (after load_demo; idempotent): three tenders replayed at their own dates
(docs/award.md) — one in its candidates' publicity with an objection answered, one awarded with its
contract signed and its report to the regulator due, one failed for want of bids and re-tendered."""

import datetime

import time_machine
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from trading import actions, demo_bids
from trading.actions import award as award_actions
from trading.actions import disputes, retender
from trading.actions.opening_record import produce_opening_record
from trading.award import records as award_records
from trading.award.candidates import record_candidates_from_opening
from trading.demo import CRITERIA, _at_nine, _pdf
from trading.models import Tender

DAY, HOUR = datetime.timedelta(days=1), datetime.timedelta(hours=1)
HISTORY = 50 * DAY
REGION_STAFF = {"511900": "city_staff", "511902": "bazhou_staff", "511921": "tongjiang_staff"}
# (key, owner, region, project, title, price yuan, drafted days ago, bids [(bidder, price yuan, days)])
PLAN = [
    ("awarded", "tenderer", "511900", "巴中市城区绿化提升项目", "巴中市回风大道绿化提升工程", 5_200_000, 50,
     [("bidder1", 5_080_000, 120), ("bidder2", 4_990_000, 150), ("bidder4", 5_150_000, 110)]),
    ("failed", "agency", "511902", "巴州区农村公路建设项目", "巴州区回龙镇农村公路建设工程", 3_600_000, 45,
     [("bidder1", 3_520_000, 200), ("bidder4", 3_480_000, 210)]),
    ("publicity", "tongjiang_tenderer", "511921", "通江县污水处理项目", "通江县诺江镇污水处理厂提标改造工程",
     7_400_000, 40, [("bidder1", 7_260_000, 300), ("bidder2", 7_310_000, 280), ("bidder3", 7_180_000, 320)]),
]


def _user(name):
    return User.objects.get(username=name)


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--keys-dir", default=None, help="folder of the demo key files (as load_demo's)")

    def handle(self, *args, **options):
        if not User.objects.filter(username="tenderer").exists():
            raise CommandError("run load_demo first")
        titles = [row[4] for row in PLAN]
        if Tender.objects.filter(title__in=titles).exists():
            self.stdout.write("demo award tenders already loaded: nothing added")
            return
        now = timezone.now()
        with time_machine.travel(now - HISTORY, tick=True) as traveller, award_records.deferred():
            keys = demo_bids.ensure_keys(options["keys_dir"])
            tenders = self._replay(traveller, now, keys)
        for key, tender in tenders.items():
            if key != "failed":
                produce_opening_record(tender.pk)
                award_actions.sign_deferred_records(tender.pk)
            tender.refresh_from_db()
            self.stdout.write(f"  {key:<10} {tender.code}  {tender.get_status_display()}  {tender.title}")
        retendered = tenders["failed"].retenders.get()
        self.stdout.write(f"  {'':<10} re-tendered as {retendered.code} (a draft of agency)")

    def _replay(self, traveller, now, keys):
        pending, tenders = [], {}

        def at(moment, step):
            pending.append((moment, step))

        for key, owner, region, project, title, price, ago, bids in PLAN:
            at(now - ago * DAY, lambda k=key, o=owner, r=region, p=project, t=title, pr=price, b=bids: (
                self._draft(tenders, at, keys, k, o, r, p, t, pr, b)))
        while pending:
            pending.sort(key=lambda item: item[0])
            moment, step = pending.pop(0)
            if timezone.now() < moment:
                traveller.move_to(moment)
            step()
        traveller.move_to(now)
        return tenders

    def _draft(self, tenders, at, keys, key, owner, region, project, title, price, bids):
        user, base = _user(owner), timezone.now()
        p = actions.create_project(actor=user, name=project, region_code=region, category="works")
        tender = actions.create_tender(
            actor=user, project_id=p.pk, title=title, venue="巴中市公共资源交易中心 不见面开标大厅",
            description=f"{title}。", estimated_price_fen=price * 100, bid_security_fen=price,
            documents_from=base + HOUR, documents_until=_at_nine(base + 8 * DAY),
            bid_deadline=_at_nine(base + 24 * DAY), evaluation_method="comprehensive", criteria=CRITERIA)
        actions.add_document(actor=user, tender_id=tender.pk, uploaded=_pdf(title))
        actions.submit_tender(actor=user, tender_id=tender.pk)
        staff = _user(REGION_STAFF[region])
        demo_bids.choose_custodians(staff, tender)
        actions.approve_tender(actor=staff, tender_id=tender.pk)
        for username, bid_price, days in bids:
            demo_bids.submit_demo_bid(tender, username, bid_price, days, keys[username].keys)
        tender.refresh_from_db()
        tenders[key] = tender
        deadline = tender.bid_deadline
        if key == "failed":  # two bids: the clock fails it at the deadline (实施条例 art. 44), then re-tendered
            at(deadline, lambda: actions.record_clock_stages(tender.pk))
            at(deadline + DAY, lambda: retender.retender(actor=user, tender_id=tender.pk))
            return
        at(deadline, lambda: demo_bids.run_opening(tender, staff, keys))
        after = {"awarded": 2 * DAY, "publicity": 13 * DAY}[key]  # the report reaches the tenderer
        at(deadline + after, lambda: record_candidates_from_opening(tender.pk))
        at(deadline + after + 2 * HOUR, lambda: award_actions.publish_candidates(actor=user, tender_id=tender.pk))
        if key == "publicity":
            objector = _user("bidder2")
            at(deadline + after + DAY, lambda: self._objection(tender, objector, user))
            return
        at(deadline + 14 * DAY, lambda: award_actions.confirm_award(actor=user, tender_id=tender.pk))
        at(deadline + 21 * DAY, lambda: award_actions.record_contract_signed(actor=user, tender_id=tender.pk))

    def _objection(self, tender, objector, owner):
        objection = disputes.raise_objection(
            actor=objector, tender_id=tender.pk,
            grounds="排名第一的中标候选人项目经理同时在其他在建项目任职，不符合招标文件第三章资格要求。")
        disputes.answer_objection(
            actor=owner, objection_id=objection.pk,
            answer="经核查，该项目经理原任职项目已于投标截止前竣工验收，不存在同时在建情况，异议不成立。")
