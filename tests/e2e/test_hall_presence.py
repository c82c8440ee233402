"""Issue 14, the opening hall as people expect it, in real browsers against the live server: who is online
shows live in the other browsers (bidders secret before the opening, 招标投标法 art. 22), the host's
confirmation window and the list of bidders who have not confirmed, decryption progress in bytes, and the
唱标 table at 390 px with every column."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, BrowserTestCase
from tests.e2e.test_opening import scene_past_its_deadline
from tests.realtime.opening_setup import opening_scene
from trading.actions import opening
from trading.models import Opening

pytestmark = pytest.mark.e2e

SECRET = "开标前不得公开投标人的名称和数量(《招标投标法》第二十二条):仅显示贵单位。"


def decrypting_scene():
    """Past the deadline, two custodians have released: the bids wait for the worker."""
    scene = scene_past_its_deadline()
    for custodian in scene.custodians[:2]:
        opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
    return scene


def window_closed_a_minute_ago(tender_id, host):
    """The host's window, set with the clock 40 minutes back for one minute: it closed 39 minutes ago."""
    with time_machine.travel(timezone.now() - datetime.timedelta(minutes=40), tick=False):
        return opening.set_confirm_window(actor=host, tender_id=tender_id, minutes=1).confirm_until


class TestHallPresence(BrowserTestCase):
    def enter_hall(self, user, tender, viewport=None):
        page = self.new_page(viewport=viewport)
        self.sign_in(page, user)
        page.goto(f"/tenders/{tender.pk}/opening/")
        expect(page.locator("#hall-connection")).to_have_text("实时")
        return page

    def test_presence_shows_live_bidders_secret_before_the_opening_and_named_live_at_it(self):
        scene = self.call(opening_scene, 3)  # the deadline is weeks away
        first, second = scene.bidders[:2]
        host = self.enter_hall(scene.host, scene.tender)
        expect(host.locator("#hall-presence-hosts")).to_have_text("王主持")
        expect(host.locator("#hall-presence-custodians")).to_have_text("无人在线")
        expect(host.locator("#hall-presence-bidders")).to_have_text(SECRET)

        a = self.enter_hall(first, scene.tender)
        expect(a.locator("#hall-presence-bidders li")).to_have_text([f"{first.organization.name} · 1 人在线(贵单位)"])
        expect(a.locator("#hall-presence-hosts")).to_have_text("王主持")
        b = self.enter_hall(second, scene.tender)
        expect(b.locator("#hall-presence-bidders li")).to_have_text([f"{second.organization.name} · 1 人在线(贵单位)"])

        # A custodian comes in, in another browser: every page shows it without a reload.
        custodian = self.enter_hall(scene.custodians[0], scene.tender)
        waiting = f"{scene.custodians[0]}(尚未提交密钥分片)"
        for page in (host, a, b, custodian):
            expect(page.locator("#hall-presence-custodians")).to_have_text(waiting)
        # Neither the host nor a bidder ever sees another bidder before the opening.
        expect(a.locator("#hall-presence-bidders li")).to_have_count(1)
        expect(host.locator("#hall-presence-bidders li")).to_have_count(0)
        expect(host.locator("#hall-presence-bidders")).not_to_contain_text(first.organization.name)
        custodian.context.close()
        for page in (host, a, b):
            expect(page.locator("#hall-presence-custodians")).to_have_text("无人在线")

        # The opening starts (the clock's task, at the deadline): everyone sees the bidders named, live.
        self.run_job(opening.start_opening, scene.tender.pk, scene.tender.bid_deadline)
        names = sorted(b.organization.name for b in (first, second))
        for page in (host, a, b):
            expect(page.locator("#hall-stage")).to_have_text("等待开标密钥保管人")
            expect(page.locator("#hall-presence-bidders p")).to_have_text("2 家投标人在线")
            expect(page.locator("#hall-presence-bidders li")).to_have_count(2)
        expect(host.locator("#hall-presence-bidders li")).to_have_text([f"{n} · 1 人在线" for n in names])
        expect(a.locator("#hall-presence-bidders li.me")).to_have_text(f"{first.organization.name} · 1 人在线(贵单位)")

    def test_from_the_opening_on_bidders_are_named_progress_is_in_bytes_and_the_window_closes(self):
        scene = self.call(decrypting_scene)
        tender, (first, second, third) = scene.tender, scene.bidders
        host = self.enter_hall(scene.host, tender)
        expect(host.locator("#hall-presence-bidders p")).to_have_text("0 家投标人在线")
        phone = self.enter_hall(first, tender, viewport=PHONE)
        expect(host.locator("#hall-presence-bidders p")).to_have_text("1 家投标人在线")
        expect(host.locator("#hall-presence-bidders li")).to_have_text([f"{first.organization.name} · 1 人在线"])
        other = self.enter_hall(second, tender)
        expect(host.locator("#hall-presence-bidders li")).to_have_count(2)
        other.context.close()
        expect(host.locator("#hall-presence-bidders li")).to_have_text([f"{first.organization.name} · 1 人在线"])

        # Decryption (the worker's job): each bid's bytes of bytes and rate, live.
        assert self.run_job(opening.open_bids, tender.pk, 20_000) == 3
        rows = phone.locator("#hall-progress-bids li")
        expect(rows).to_have_count(3)
        for i, bidder in enumerate(scene.bidders):
            cells = rows.nth(i).locator("span")
            expect(cells.nth(0)).to_have_text(f"第 {i + 1} 号投标 · {bidder.organization.name}")
            expect(cells.nth(1)).to_have_text(re.compile(r"^\d+\.\d KB / \d+\.\d KB$"))
            expect(cells.nth(2)).to_have_text(re.compile(r"^\d+(\.\d)? (B|KB|MB)/s$"))
            expect(cells.nth(3)).to_have_text("解密完成")
        size_cell = rows.nth(0).locator("span").nth(1).text_content()
        done, size = size_cell.split(" / ")
        assert done == size and size.endswith(" KB"), size_cell  # read to the last byte
        assert rows.nth(0).locator("span").nth(2).text_content().endswith("/s")

        # The 唱标 table on the phone: every column on screen, with its name beside the value.
        expect(phone.locator("#hall-results tbody tr")).to_have_count(3)
        headers = phone.locator("#hall-results thead th").all_text_contents()
        assert headers[0] == "#" and headers[-1] == "状态" and len(headers) == 8
        cells = phone.evaluate("""() => [...document.querySelectorAll('#hall-results tbody td')].map((td) => {
            const box = td.getBoundingClientRect();
            return {label: td.dataset.label, left: box.left, right: box.right, width: box.width,
                    before: getComputedStyle(td, '::before').content};
        })""")
        assert len(cells) == 3 * len(headers)
        for i, cell in enumerate(cells):
            assert cell["label"] == headers[i % len(headers)]
            assert cell["left"] >= 0 and cell["right"] <= PHONE["width"] and cell["width"] > 0, cell
            assert cell["before"] == f'"{cell["label"]}"', cell
        assert self.horizontal_overflow(phone) <= 1

        # The host sets the confirmation window in a form; a wrong value is told next to the field.
        expect(phone.locator("#hall-window")).to_have_text("主持人尚未设定确认时限。")
        host.get_by_label("确认时限(自现在起,分钟)").fill("0")
        host.get_by_role("button", name="设定确认时限", exact=True).click()
        expect(host.locator("#hall-window-error")).to_have_text("请填写 1 至 1440 之间的分钟数。")
        host.get_by_label("确认时限(自现在起,分钟)").fill("30")
        host.get_by_role("button", name="设定确认时限", exact=True).click()
        expect(phone.locator("#hall-window")).to_contain_text("确认截止时间")
        expect(host.locator("#hall-window-error")).to_be_hidden()
        until = Opening.objects.get(tender=tender).confirm_until
        assert 29 * 60 < (until - timezone.now()).total_seconds() <= 30 * 60

        # Who has not confirmed, live: everyone, then all but the one who confirms.
        unconfirmed = host.locator("#hall-unconfirmed li")
        expect(host.locator("#hall-unconfirmed-title")).to_have_text("尚未确认开标记录的投标人")
        expect(unconfirmed).to_have_text([f"{n}. {b.organization.name}" for n, b in enumerate(scene.bidders, 1)])
        phone.get_by_role("button", name="确认开标记录", exact=True).click()
        expect(unconfirmed).to_have_text([f"2. {second.organization.name}", f"3. {third.organization.name}"])
        # The host cannot close while the window is open and bidders have not confirmed.
        host.get_by_role("button", name="结束开标并签署开标记录", exact=True).click()
        expect(host.locator("#hall-alert")).to_contain_text("确认时限尚未截止")

        # Once the window has closed, the list is final and a late bidder is refused, with the reason.
        self.call(window_closed_a_minute_ago, tender.pk, scene.host)
        late = self.enter_hall(third, tender)
        expect(late.locator("#hall-window")).to_contain_text("确认时限已于")
        expect(late.locator("#hall-bidder-panel")).to_be_hidden()
        expect(late.locator("#hall-unconfirmed-title")).to_have_text("未确认开标记录的投标人")
        reply = late.evaluate("""(path) => new Promise((resolve) => {
            const socket = new WebSocket(`ws://${location.host}${path}`);
            socket.onopen = () => socket.send(JSON.stringify({id: "late", type: "record.confirm", data: {}}));
            socket.onmessage = (event) => { const m = JSON.parse(event.data); if (m.id === "late") resolve(m); };
        })""", f"/ws/opening/{tender.pk}/")
        assert reply["code"] == "confirm_window_closed" and "确认时限已于" in reply["data"]["detail"]
        self.screenshot(phone, "hall-presence-390")
