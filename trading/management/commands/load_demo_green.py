"""`manage.py load_demo_green` (after load_demo; idempotent): a green-channel project of 通江县 with its
dedicated officer (tongjiang_staff) and deputy (city_staff), whose board shows one milestone met, one at
risk and one overdue — each from the trading log, replayed at its own dates like the rest of the demo."""

import datetime

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from trading import actions, demo_bids
from trading.actions import green
from trading.green import milestones as ms
from trading.models import GreenChannelRequest, Milestone, Project

PROJECT = "通江县诺水河旅游公路建设项目"
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
# How many days before the load each step happened.
APPROVED_DAYS_AGO = 28  # the first tender submitted and the green channel approved
PUBLISHED_DAYS_AGO = 27  # the first tender published the next day: its review was met
SECOND_DAYS_AGO = 6  # the second tender submitted, never reviewed since: its review is overdue


def _pdf(name):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% demo green channel document\n%%EOF\n", content_type="application/pdf")


def _nine(moment):
    return timezone.localtime(moment).replace(hour=9, minute=30, second=0, microsecond=0)


def _tender(owner, project, title, base, deadline):
    tender = actions.create_tender(
        actor=owner, project_id=project.pk, title=title, venue="通江县公共资源交易中心 不见面开标大厅",
        description=f"{title}。绿色通道项目:专人全程跟踪服务,法定期限与其他项目相同。",
        estimated_price_fen=46_000_000_00, bid_security_fen=46_000_000, documents_from=base + HOUR,
        documents_until=_nine(base + 10 * DAY), bid_deadline=deadline, evaluation_method="comprehensive",
        criteria=[{"name": "投标报价", "weight": 50, "kind": "price"},
                  {"name": "施工组织设计", "weight": 50, "kind": "technical"}])
    actions.add_document(actor=owner, tender_id=tender.pk, uploaded=_pdf("招标文件.pdf"))
    return tender


class Command(BaseCommand):
    help = ("Load the demo green-channel project (after load_demo; idempotent): its officer tongjiang_staff sees "
            "one milestone met, one at risk and one overdue on /tenders/green/.")

    def handle(self, *args, **options):
        users = {u.username: u for u in User.objects.filter(
            username__in=["tongjiang_tenderer", "tongjiang_staff", "city_staff"])}
        if len(users) < 3:
            raise CommandError("Run `manage.py load_demo` first: the demo users are missing.")
        owner, officer, deputy = users["tongjiang_tenderer"], users["tongjiang_staff"], users["city_staff"]
        existing = GreenChannelRequest.objects.filter(project__name=PROJECT).first()
        if existing is None:
            with transaction.atomic():  # all or nothing: a failed load can simply be run again
                existing = self._load(owner, officer, deputy)
        else:
            self.stdout.write("demo green channel already loaded: nothing added")
        self._print(existing)

    def _load(self, owner, officer, deputy):
        now = timezone.now()
        with time_machine.travel(now - APPROVED_DAYS_AGO * DAY, tick=True) as traveller:
            base = timezone.now()
            project = actions.create_project(actor=owner, name=PROJECT, region_code="511921", category="works")
            # Opening tomorrow: the opening milestone is at risk (a working day or less to go).
            first = _tender(owner, project, "诺水河旅游公路工程施工一标段", base, _nine(now + DAY))
            demo_bids.choose_custodians(officer, first)
            actions.submit_tender(actor=owner, tender_id=first.pk)
            request = green.request_green_channel(
                actor=owner, project_id=project.pk, reason=GreenChannelRequest.Reason.MAJOR_INVESTMENT,
                investment_fen=1_280_000_000_00, evidence=_pdf("省发展改革委立项批复.pdf"),
                explanation="省重点项目,总投资 12.8 亿元。")
            traveller.shift(2 * HOUR)
            green.decide_green_channel(actor=deputy, request_id=request.pk, approve=True,
                                       reason="符合重大投资项目条件,开通绿色通道。", officer_id=officer.pk,
                                       deputy_id=deputy.pk)
            traveller.move_to(now - PUBLISHED_DAYS_AGO * DAY)
            # Reviewed and published within a working day: the review milestone is met.
            actions.approve_tender(actor=officer, tender_id=first.pk)
            green.add_note(actor=officer, request_id=request.pk, kind="contact", channel="phone",
                           contact_person="赵招标", text="告知公告已发布,约定开标前一日再次确认开标安排。")
            traveller.move_to(now - SECOND_DAYS_AGO * DAY)
            second = _tender(owner, project, "诺水河旅游公路工程监理标段", timezone.now(),
                             _nine(timezone.now() + 35 * DAY))
            demo_bids.choose_custodians(officer, second)
            actions.submit_tender(actor=owner, tender_id=second.pk)
            green.extend_plan(actor=deputy, request_id=request.pk)
            # Never reviewed since: its review milestone is overdue (and it heads the review queue).
            green.add_note(actor=officer, request_id=request.pk, kind="note",
                           text="监理标段已提交审核,请尽快安排审核。")
        return GreenChannelRequest.objects.get(pk=request.pk)

    def _print(self, request):
        rows = Milestone.objects.filter(request=request).select_related("tender").order_by("tender_id", "position")
        self.stdout.write(f"  green channel: {Project.objects.get(pk=request.project_id).name} "
                          f"(officer {request.officer.username}, deputy {request.deputy.username}) on /tenders/green/")
        for st in ms.states(rows):
            if st.state != ms.PENDING:
                self.stdout.write(f"    {st.milestone.tender.code}  {st.milestone.kind:<16} "
                                  f"{st.milestone.target}  {st.state}")
