"""A whole remote opening (不见面开标) in real browsers: the host, three bidders, three key custodians and
the supervisor, each in a browser context of their own, from the sign-in to the signed opening record."""

import datetime
import shutil
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from records.verify import verify_pdf
from sealedbid.keys import CustodianKeys, dump_key_file
from tests.e2e.conftest import BrowserTestCase
from tests.realtime.opening_setup import opening_scene
from trading.actions.opening import open_bids
from trading.actions.opening_record import produce_opening_record
from trading.models import Opening, OpeningConfirmation, Tender, TenderCustodian

pytestmark = pytest.mark.e2e

# opening_setup seals bidder i's price as (1000 + i) × 10,000 yuan, in fen.
PRICES = ["¥10,000,000.00", "¥10,010,000.00", "¥10,020,000.00"]
OBJECTION = "第2号投标人的工期应为365日历天,请核对唱标。"
ANSWER = "已核对投标函原件,唱标无误。"


def scene_past_its_deadline():
    """The opening scene, built with the clock a month and ten minutes back: when the clock comes back,
    the deadline has just passed by the real clock, which is the only clock the server process knows."""
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30, minutes=10), tick=True):
        scene = opening_scene(3)
    assert timezone.now() > scene.tender.bid_deadline
    return scene


class TestOpening(BrowserTestCase):
    def key_file(self, custodian):
        """The custodian's key file, as the custodian keeps it on their own computer."""
        directory = Path(tempfile.mkdtemp(prefix="e2e-custodian-"))
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        path = directory / f"custodian-key-{custodian.username}.json"
        path.write_bytes(dump_key_file(CustodianKeys(encryption=custodian.private_key)))
        return str(path)

    def enter_hall(self, user, tender):
        page = self.new_page()
        self.sign_in(page, user)
        page.goto(f"/tenders/{tender.pk}/opening/")
        expect(page.locator("h1")).to_contain_text("开标大厅")
        expect(page.locator("#hall-connection")).to_have_text("实时")
        return page

    def on_every_page(self, pages, check):
        for page in pages:
            check(page)

    def test_three_bidders_and_three_custodians_open_the_bids_up_to_the_signed_record(self):
        scene = self.call(scene_past_its_deadline)
        tender, host = scene.tender, scene.host
        bidder_names = [b.organization.name for b in scene.bidders]
        key_files = [self.key_file(c) for c in scene.custodians]

        # --- everyone enters the hall: past the deadline, the first to connect opens it -----------------
        host_page = self.enter_hall(host, tender)
        bidders = [self.enter_hall(b, tender) for b in scene.bidders]
        custodians = [self.enter_hall(c, tender) for c in scene.custodians]
        supervisor = self.enter_hall(scene.regulator, tender)
        everyone = [host_page, *bidders, *custodians, supervisor]
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-stage")).to_have_text("等待开标密钥保管人"))
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-countdown")).to_have_text("开标时间已到。"))
        for page in [*custodians]:
            expect(page.locator("#hall-custodian-panel")).to_be_visible()
        for page in [host_page, *bidders, supervisor]:
            expect(page.locator("#hall-custodian-panel")).to_be_hidden()

        # 签到: bidders and the supervisor; bidders are named now that the deadline has passed.
        for page in [*bidders, supervisor]:
            page.get_by_role("button", name="签到", exact=True).click()
            expect(page.get_by_role("button", name="签到", exact=True)).to_be_hidden()
        attendees = host_page.locator("#hall-attendees li")
        expect(attendees).to_have_count(4)
        for name in bidder_names:
            expect(attendees.filter(has_text=f"投标人 · {name}")).to_have_count(1)
        expect(attendees.filter(has_text="监督人")).to_have_count(1)

        # --- the key custodians release their shares: 2 of 3 rebuild the opening key ---------------------
        def released(n):
            return lambda p: expect(p.locator("#hall-released")).to_have_text(str(n))

        self.on_every_page(everyone, released(0))
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-threshold")).to_have_text("2"))
        for n, (page, key_file) in enumerate(zip(custodians[:2], key_files[:2], strict=True), start=1):
            page.locator("#hall-key-file").set_input_files(key_file)
            page.get_by_role("button", name="提交我的密钥分片", exact=True).click()
            self.on_every_page(everyone, released(n))
            expect(page.locator("#hall-custodian-panel")).to_be_hidden()
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-stage")).to_have_text("正在解密投标文件"))
        # The third custodian is not needed: their panel is gone, their share stays theirs.
        expect(custodians[2].locator("#hall-custodian-panel")).to_be_hidden()
        released_by = TenderCustodian.objects.filter(tender=tender, released_at__isnull=False)
        assert set(released_by.values_list("user_id", flat=True)) == {c.pk for c in scene.custodians[:2]}

        # --- decryption (the task worker's job), then 唱标 on every page, live ---------------------------
        assert self.run_job(open_bids, tender.pk) == 3

        def read_out(page):
            expect(page.locator("#hall-stage")).to_have_text("唱标:请确认或提出异议")
            rows = page.locator("#hall-results tbody tr")
            expect(rows).to_have_count(3)
            for i, (name, price) in enumerate(zip(bidder_names, PRICES, strict=True)):
                cells = rows.nth(i).locator("td")
                expect(cells).to_have_text([str(i + 1), name, price, "365", "合格", "90", "—", "已开启"])

        self.on_every_page(everyone, read_out)
        expect(host_page.locator("#hall-results thead th")).to_have_text(
            ["#", "投标人", "投标报价(元)", "工期(日历天)", "质量标准", "投标有效期(日)", "项目负责人", "状态"])

        # --- bidders confirm or object; the host answers on the spot -------------------------------------
        for page in bidders:
            expect(page.locator("#hall-bidder-panel")).to_be_visible()
        for page in [host_page, *custodians]:
            expect(page.locator("#hall-bidder-panel")).to_be_hidden()
        expect(host_page.locator("#hall-host-panel")).to_be_visible()
        confirmations = host_page.locator("#hall-confirmations li")

        bidders[0].get_by_role("button", name="确认开标记录", exact=True).click()
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-confirmations li")).to_have_text(
            [f"{bidder_names[0]} · 已确认"]))

        # An objection is written in the page's form (no browser prompt), its text shown to the whole hall.
        bidders[1].get_by_label("您的异议").fill(OBJECTION)
        bidders[1].get_by_role("button", name="提出异议", exact=True).click()
        objection = f"{bidder_names[1]} · 异议{OBJECTION}"
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-confirmations li").nth(1)).to_contain_text(
            objection))
        # Only the host may answer.
        for page in [*bidders, *custodians, supervisor]:
            expect(page.locator("#hall-confirmations button")).to_have_count(0)
        expect(host_page.locator("#hall-confirmations button")).to_have_text(["答复此异议"])

        confirmations.nth(1).get_by_role("button", name="答复此异议").click()
        host_page.get_by_label("当场答复(所选异议)").fill(ANSWER)
        host_page.get_by_role("button", name="答复所选异议", exact=True).click()
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-confirmations li").nth(1)).to_have_text(
            f"{objection}主持人答复:{ANSWER}"))
        expect(host_page.locator("#hall-confirmations button")).to_have_count(0)
        item = OpeningConfirmation.objects.get(kind="objection")
        assert (item.organization_id, item.text, item.answer, item.answered_by_id) == (
            scene.bidders[1].organization_id, OBJECTION, ANSWER, host.pk)

        # --- the host closes the opening -------------------------------------------------------------------
        host_page.get_by_role("button", name="结束开标并签署开标记录", exact=True).click()
        self.on_every_page(everyone, lambda p: expect(p.locator("#hall-stage")).to_have_text("开标已结束。"))
        for page in everyone:
            expect(page.locator("#hall-bidder-panel")).to_be_hidden()
            expect(page.locator("#hall-host-panel")).to_be_hidden()
        opening = Opening.objects.get(tender=tender)
        assert (opening.status, opening.closed_by_id) == ("closed", host.pk)
        assert Tender.objects.get(pk=tender.pk).status == "opened"

        # --- the signed record (the task worker's job) reaches every page --------------------------------
        record_id = self.run_job(produce_opening_record, tender.pk)
        url = f"/records/{record_id}/download/"

        def record_ready(page):
            expect(page.locator("#hall-record")).to_contain_text("已签章的开标记录")
            expect(page.locator("#hall-record").get_by_role("link", name="下载", exact=True)).to_have_attribute(
                "href", url)

        self.on_every_page(everyone, record_ready)
        with host_page.expect_download() as info:
            host_page.locator("#hall-record").get_by_role("link", name="下载", exact=True).click()
        pdf = Path(info.value.path()).read_bytes()
        report = self.call(verify_pdf, pdf)  # asyncio.run: not in the thread of Playwright's event loop
        assert report.ok
        assert len(report.signatures) == 2  # the host, then the platform seal
        assert report.sha256 == Opening.objects.get(tender=tender).record.sha256

        path = self.screenshot(host_page, "opening-hall-host")
        assert path.stat().st_size > 0

    def test_a_bidder_of_another_tender_gets_neither_the_hall_nor_its_events(self):
        scene = self.call(scene_past_its_deadline)
        page = self.new_page()
        self.sign_in(page, scene.outsider)
        sockets = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        response = page.goto(f"/tenders/{scene.tender.pk}/opening/")
        assert response.status == 403
        expect(page.locator("#hall-config")).to_have_count(0)
        assert sockets == []

        # Even a socket opened by hand is accepted only to be closed, with nothing sent on it.
        outcome = page.evaluate("""(path) => new Promise((resolve) => {
            const socket = new WebSocket(`ws://${location.host}${path}`);
            const received = [];
            socket.onmessage = (event) => received.push(event.data);
            socket.onclose = (event) => resolve({ code: event.code, received });
        })""", f"/ws/opening/{scene.tender.pk}/")
        assert outcome == {"code": 4403, "received": []}
