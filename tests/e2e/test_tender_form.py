"""The tender form in a real browser: scoring criteria as rows with the running total, a row added and one
removed, a failed save that keeps the attached file and shows every error at once, then the fixed save."""

import hashlib
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, BrowserTestCase
from tests.e2e.test_publication import schedule
from tests.factories import make_tender, make_user
from trading.models import Tender, TenderDocument

pytestmark = pytest.mark.e2e

DOCUMENT = b"%PDF-1.4\n% the tender form's document\n%%EOF\n"


def fill_criteria(page, rows):
    """Type `rows` ((name, points, kind) each) into the first rows of the criteria table."""
    for i, (name, weight, kind) in enumerate(rows):
        page.locator(f"#id_criteria-{i}-name").fill(name)
        page.locator(f"#id_criteria-{i}-weight").fill(str(weight))
        page.locator(f"#id_criteria-{i}-kind").select_option(kind)


class TestTenderForm(BrowserTestCase):
    def save(self, page):
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/tenders/new/")) as info:
            page.get_by_role("button", name="保存草稿", exact=True).click()
        return info.value.status

    def test_rows_total_errors_and_the_kept_file(self):
        tenderer = self.call(make_user, "tenderer", "511921")
        page = self.new_page()
        self.sign_in(page, tenderer)
        page.goto("/tenders/new/")
        page.locator("#id_project_name").fill("通江县农村公路项目")
        page.locator("#id_region").select_option(label="通江县")
        page.locator("#id_title").fill("道路工程施工")
        page.locator("#id_venue").fill("通江县开标室")
        page.locator("#id_estimated_price").fill("1000000")
        page.locator("#id_bid_security").fill("30000")  # over 2 %
        for field, value in schedule().items():
            page.locator(f"#id_{field}").fill(value)
        page.locator("#id_evaluation_method").select_option("comprehensive")

        rows = page.locator("#criteria-table tbody tr.criterion-row")
        total, note = page.locator("#criteria-total"), page.locator("#criteria-total-note")
        expect(rows).to_have_count(6)
        expect(total).to_have_text("0")
        fill_criteria(page, [("投标报价", 60, "price"), ("施工组织设计", 30, "technical")])
        expect(total).to_have_text("90")
        expect(note).to_have_text("还差 10 分")

        # One row removed (the rows are numbered again), one added at the end.
        rows.nth(2).get_by_role("button", name="删除").click()
        expect(rows).to_have_count(5)
        expect(page.locator("#id_criteria-TOTAL_FORMS")).to_have_value("5")
        page.get_by_role("button", name="添加评分因素").click()
        expect(rows).to_have_count(6)
        expect(rows.nth(5).locator("input[name=criteria-5-name]")).to_be_focused()
        rows.nth(5).locator("input[name=criteria-5-name]").fill("企业业绩")
        rows.nth(5).locator("input[name=criteria-5-weight]").fill("15")
        rows.nth(5).locator("select[name=criteria-5-kind]").select_option("commercial")
        expect(total).to_have_text("105")
        expect(note).to_have_text("超出 5 分")

        page.locator("#id_document").set_input_files(
            {"name": "招标文件.pdf", "mimeType": "application/pdf", "buffer": DOCUMENT})
        assert self.save(page) == 400

        # Every error at once: the summary first (focused), each error next to its field.
        summary = page.locator("#error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("未保存：有 2 处需要更正。")
        expect(summary.get_by_role("link")).to_have_count(2)
        expect(page.locator("#criteria-errors")).to_contain_text("评分因素分值合计须为 100 分(当前为 105 分)。")
        expect(page.locator("#id_bid_security_error")).to_contain_text("第二十六条")
        summary.get_by_role("link", name="投标保证金").click()
        expect(page).to_have_url(re.compile(r"#id_bid_security$"))
        expect(page.locator("#id_bid_security")).to_be_in_viewport()
        expect(total).to_have_text("105")
        expect(page.locator("#kept-document")).to_contain_text("已附: 招标文件.pdf (保留)")
        assert Tender.objects.count() == 0

        # Fixed without choosing the file again.
        page.locator("#id_criteria-5-weight").fill("10")
        expect(note).to_have_text("已满 100 分")
        page.locator("#id_bid_security").fill("20000")
        assert self.save(page) == 302
        tender = Tender.objects.get()
        page.wait_for_url(re.compile(rf"/tenders/{tender.pk}/(#.*)?$"))  # a redirect keeps the link's #fragment
        assert [(c["name"], c["weight"], c["kind"]) for c in tender.criteria] == [
            ("投标报价", 60, "price"), ("施工组织设计", 30, "technical"), ("企业业绩", 10, "commercial")]
        doc = TenderDocument.objects.get(tender=tender)
        assert (doc.name, doc.sha256) == ("招标文件.pdf", hashlib.sha256(DOCUMENT).hexdigest())

    def test_the_rows_step_aside_for_the_lowest_price_method_and_fit_a_phone(self):
        tenderer = self.call(make_user, "tenderer", "511921")
        page = self.new_page(viewport=PHONE)
        self.sign_in(page, tenderer)
        page.goto("/tenders/new/")
        rows = page.locator("#criteria-rows")
        expect(rows).to_be_visible()
        assert self.horizontal_overflow(page) == 0
        page.locator("#id_evaluation_method").select_option("lowest_price")
        expect(rows).to_be_hidden()
        page.locator("#id_evaluation_method").select_option("comprehensive")
        expect(rows).to_be_visible()

        # The edit page: the stated rows, their total, and nothing sticking out.
        draft = self.call(make_tender, tenderer, "511921", document=False)
        page.goto(f"/tenders/{draft.pk}/edit/")
        expect(page.locator("#id_criteria-1-name")).to_have_value("技术方案")
        expect(page.locator("#criteria-total")).to_have_text("100")
        expect(page.locator("#criteria-total-note")).to_have_text("已满 100 分")
        assert self.horizontal_overflow(page) == 0
