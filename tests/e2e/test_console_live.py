"""Issue 14: the regulator console's live tail, in a real browser: new entries arrive as sentences on top,
only those that match the console's filter; the console and the notice list fit a phone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BrowserTestCase

pytestmark = pytest.mark.e2e


def log_entry(tender_ref, action="tender.published", region="511921"):
    """Appends one entry (in the server process when run through run_job: its sockets hear of it)."""
    from django.db import transaction

    from ledger import chain

    with transaction.atomic():
        return chain.append(action, role="system", region=region, tender_ref=tender_ref, payload={}).seq


def people():
    from accounts.models import Notice
    from accounts.notices import notify
    from tests.factories import make_user

    regulator = make_user("regulator", "511900", username="live_regulator")
    bidder = make_user("bidder", "511921", username="live_bidder")
    from django.db import transaction

    with transaction.atomic():
        notify(bidder, Notice.Kind.OBJECTION, "您对 BZ-LIVE-A 提出的异议已答复。", "/tenders/")
    return regulator, bidder


class TestConsoleLive(BrowserTestCase):
    def test_the_live_tail_shows_new_entries_that_match_the_filter_as_sentences(self):
        regulator, bidder = self.call(people)
        self.call(log_entry, "BZ-LIVE-OLD")
        filtered, everything = self.new_page(), self.new_page()
        for page, query in ((filtered, "?tender=BZ-LIVE-A"), (everything, "")):
            self.sign_in(page, regulator)
            page.goto(f"/ledger/{query}")
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        expect(filtered.locator("#ledger-entries li.log-entry")).to_have_count(0)
        other = self.run_job(log_entry, "BZ-LIVE-B")
        wanted = self.run_job(log_entry, "BZ-LIVE-A")
        fresh = filtered.locator(f'#ledger-entries li[data-seq="{wanted}"]')
        expect(fresh).to_contain_text("平台 发布招标公告 BZ-LIVE-A")
        expect(fresh).to_have_class("log-entry fresh")
        expect(everything.locator(f'#ledger-entries li[data-seq="{wanted}"]')).to_be_visible()
        expect(everything.locator(f'#ledger-entries li[data-seq="{other}"]')).to_be_visible()
        first = everything.locator("#ledger-entries li.log-entry").first
        expect(first).to_have_attribute("data-seq", str(wanted))  # newest on top
        expect(filtered.locator(f'#ledger-entries li[data-seq="{other}"]')).to_have_count(0)
        expect(filtered.locator("#ledger-entries li.log-entry")).to_have_count(1)
        fresh.locator("summary").click()
        expect(fresh.locator("pre.raw")).to_contain_text('"tender": "BZ-LIVE-A"')

        phone = self.new_page(viewport={"width": 390, "height": 844})
        self.sign_in(phone, regulator)
        phone.goto("/ledger/")
        phone.locator("#ledger-entries li.log-entry summary").first.click()
        assert self.horizontal_overflow(phone) == 0
        self.screenshot(phone, "console-390")
        reader = self.new_page(viewport={"width": 390, "height": 844})
        self.sign_in(reader, bidder)
        reader.goto("/workspace/")
        expect(reader.locator("#ws-notice-list")).to_contain_text("异议已答复")
        reader.locator("#ws-all-notices").click()
        expect(reader.locator("#notices li.unread")).to_have_count(1)
        assert self.horizontal_overflow(reader) == 0
        self.screenshot(reader, "notices-390")
        reader.get_by_role("button", name="标为已读").click()
        expect(reader.locator("#notices li.unread")).to_have_count(0)
