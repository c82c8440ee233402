"""A tenderer drafts a tender with a document, staff approve it, and an anonymous visitor finds it on the
portal filtered by its county and downloads the document: in a real browser against the live ASGI server."""

import datetime
import hashlib
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, BrowserTestCase, choose_custodians
from tests.factories import make_user
from trading.models import Project, Tender, TenderDocument

pytestmark = pytest.mark.e2e

TITLE = "通江县沙溪镇至铁佛镇公路改建工程施工"
PROJECT = "通江县农村公路改建项目"
DOCUMENT_NAME = "招标文件.pdf"
ESTIMATED_YUAN = "1234567.00"
TOO_HIGH_SECURITY_YUAN = "30000.00"  # 2.43 %: over the limit of 实施条例 art. 26
SECURITY_YUAN = "20000.00"  # 1.62 %
SECURITY_LIMIT = "24,691.34"  # 2 % of 1,234,567.00 yuan
CRITERIA = [("投标报价", 60, "price"), ("施工组织设计", 30, "technical"), ("企业业绩", 10, "commercial")]


def _local_input(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def schedule():
    """Valid datetime-local values, counted from now in Beijing time. Generous on purpose: even when the
    periods run into the longest holidays (National Day, Spring Festival) they stay legal."""
    now = timezone.localtime()
    documents_from = (now + datetime.timedelta(minutes=5)).replace(second=0, microsecond=0)
    day = documents_from.date()
    documents_until = datetime.datetime.combine(day + datetime.timedelta(days=16), datetime.time(17, 0),
                                                tzinfo=now.tzinfo)
    deadline = datetime.datetime.combine(day + datetime.timedelta(days=40), datetime.time(9, 30), tzinfo=now.tzinfo)
    return {"documents_from": _local_input(documents_from), "documents_until": _local_input(documents_until),
            "bid_deadline": _local_input(deadline)}


class TestPublication(BrowserTestCase):
    def fill_new_tender(self, page, *, bid_security, document):
        page.locator("#id_project_name").fill(PROJECT)
        page.locator("#id_region").select_option(label="通江县")
        page.locator("#id_category").select_option("works")
        page.locator("#id_title").fill(TITLE)
        page.locator("#id_description").fill("路线全长 12.6 公里,按三级公路标准改建。")
        page.locator("#id_venue").fill("巴中市公共资源交易中心通江分中心 不见面开标大厅")
        page.locator("#id_estimated_price").fill(ESTIMATED_YUAN)
        page.locator("#id_bid_security").fill(bid_security)
        for field, value in schedule().items():
            page.locator(f"#id_{field}").fill(value)
        page.locator("#id_evaluation_method").select_option("comprehensive")
        for i, (name, weight, kind) in enumerate(CRITERIA):
            page.locator(f"#id_criteria-{i}-name").fill(name)
            page.locator(f"#id_criteria-{i}-weight").fill(str(weight))
            page.locator(f"#id_criteria-{i}-kind").select_option(kind)
        page.locator("#id_document").set_input_files(
            {"name": DOCUMENT_NAME, "mimeType": "application/pdf", "buffer": document})

    def save_draft(self, page):
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/tenders/new/")) as info:
            page.get_by_role("button", name="保存草稿", exact=True).click()
        return info.value.status

    def test_a_tender_goes_from_draft_to_the_portal_and_its_document_downloads_intact(self):
        tenderer = self.call(make_user, "tenderer", "511921")
        staff = self.call(make_user, "staff", "511921")
        document = b"%PDF-1.4\n% e2e tender document\n" + os.urandom(2048).hex().encode() + b"\n%%EOF\n"

        # --- the tenderer drafts the tender ------------------------------------------------------------
        page = self.new_page()
        self.sign_in(page, tenderer)
        page.goto("/tenders/new/")
        self.fill_new_tender(page, bid_security=TOO_HIGH_SECURITY_YUAN, document=document)
        assert self.save_draft(page) == 400
        error = page.locator(".errors[role=alert]")
        expect(error).to_contain_text("2%")
        expect(error).to_contain_text(SECURITY_LIMIT)
        expect(error).to_contain_text("《招标投标法实施条例》第二十六条")
        assert Tender.objects.count() == 0
        assert Project.objects.count() == 0

        # The form comes back filled in, the document kept by the platform: no need to attach it again.
        expect(page.locator("#id_title")).to_have_value(TITLE)
        expect(page.locator("#kept-document")).to_contain_text(f"已附: {DOCUMENT_NAME} (保留)")
        page.locator("#id_bid_security").fill(SECURITY_YUAN)
        assert self.save_draft(page) == 302
        tender = Tender.objects.get()
        page.wait_for_url(f"**/tenders/{tender.pk}/")
        assert (tender.status, tender.title, tender.region.code, tender.category) == ("draft", TITLE, "511921", "works")
        assert (tender.estimated_price_fen, tender.bid_security_fen) == (123_456_700, 2_000_000)
        expect(page.locator(".messages")).to_contain_text(f"标段草稿 {tender.code} 已保存。")

        page.get_by_role("button", name="提交审核", exact=True).click()
        expect(page.locator(".messages")).to_contain_text("已提交审核。")
        tender.refresh_from_db()
        assert tender.status == "submitted"

        # --- county staff approve and publish it -------------------------------------------------------
        self.call(choose_custodians, staff, tender.pk)
        review = self.new_page()
        self.sign_in(review, staff)
        review.goto("/tenders/review/")
        row = review.locator("tr", has_text=tender.code)
        expect(row).to_contain_text(TITLE)
        row.get_by_role("link", name=TITLE).click()
        review.wait_for_url(f"**/tenders/{tender.pk}/")
        review.get_by_role("button", name="批准并发布", exact=True).click()
        expect(review.locator(".messages")).to_contain_text("公告已发布")
        tender.refresh_from_db()
        assert tender.status == "published"
        assert tender.published_at is not None

        # --- an anonymous visitor finds it by its county and downloads the document --------------------
        visitor = self.new_page()
        visitor.goto("/tenders/")
        visitor.locator("#id_region").select_option(label="南江县")  # another county: not there
        visitor.get_by_role("button", name="筛选", exact=True).click()
        visitor.wait_for_url(re.compile(r"[?&]region=511922(&|$)"))
        expect(visitor.locator("#id_region")).to_have_value("511922")
        expect(visitor.locator("main")).to_contain_text("没有符合条件的公告。")
        expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)

        visitor.locator("#id_region").select_option(label="通江县")
        visitor.get_by_role("button", name="筛选", exact=True).click()
        visitor.wait_for_url(re.compile(r"[?&]region=511921(&|$)"))
        expect(visitor.locator("main")).to_contain_text("共 1 条公告")
        visitor.get_by_role("link", name=TITLE).click()
        visitor.wait_for_url(f"**/tenders/{tender.pk}/")
        expect(visitor.locator("h1")).to_have_text(TITLE)

        link = visitor.get_by_role("link", name=DOCUMENT_NAME)
        shown = link.locator("xpath=ancestor::tr").locator("td.mono").inner_text().strip()
        with visitor.expect_download() as info:
            link.click()
        download = info.value
        downloaded = Path(download.path()).read_bytes()
        assert download.suggested_filename == DOCUMENT_NAME
        assert hashlib.sha256(downloaded).hexdigest() == shown
        assert downloaded == document
        assert shown == TenderDocument.objects.get(tender=tender).sha256

        # --- and the tender page fits a phone ----------------------------------------------------------
        phone = self.new_page(viewport=PHONE)
        phone.goto(f"/tenders/{tender.pk}/")
        expect(phone.locator("h1")).to_have_text(TITLE)
        path = self.screenshot(phone, "tender-detail-390")
        assert path.stat().st_size > 0
        assert self.horizontal_overflow(phone) <= 1
