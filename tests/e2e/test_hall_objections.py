"""The host answers several objections at once in the hall page; a bidder is told in Chinese why a second
objection waits (issue 9, item 6). Real browsers against the real server."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BrowserTestCase
from tests.e2e.test_opening import scene_past_its_deadline
from trading.actions import opening
from trading.models import OpeningConfirmation

pytestmark = pytest.mark.e2e


def reading_scene():
    scene = scene_past_its_deadline()
    for custodian in scene.custodians[:2]:
        opening.release_share(actor=custodian, tender_id=scene.tender.pk, share_b64=scene.share(custodian))
    opening.open_bids(scene.tender.pk)
    return scene


class TestHallObjections(BrowserTestCase):
    def enter_hall(self, user, tender):
        page = self.new_page()
        self.dialogs = getattr(self, "dialogs", {})
        seen = self.dialogs[id(page)] = []
        page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
        self.sign_in(page, user)
        page.goto(f"/tenders/{tender.pk}/opening/")
        expect(page.locator("#hall-connection")).to_have_text("实时")
        expect(page.locator("#hall-stage")).to_have_text("唱标:请确认或提出异议")
        return page

    def object_(self, page, text):
        page.get_by_label("您的异议").fill(text)
        page.get_by_role("button", name="提出异议", exact=True).click()

    def test_the_host_answers_every_open_objection_with_one_text(self):
        scene = self.call(reading_scene)
        host = self.enter_hall(scene.host, scene.tender)
        bidders = [self.enter_hall(b, scene.tender) for b in scene.bidders[:2]]
        names = [b.organization.name for b in scene.bidders[:2]]
        panel = host.locator("#hall-answer-panel")
        expect(panel).to_be_hidden()  # nothing to answer yet

        self.object_(bidders[0], "第一名报价读错")
        self.object_(bidders[1], "第二名工期读错")
        items = host.locator("#hall-confirmations li")
        # The host's rows also carry the one-objection answer button (答复此异议).
        expect(items).to_have_text([f"{names[0]} · 异议第一名报价读错答复此异议",
                                    f"{names[1]} · 异议第二名工期读错答复此异议"])
        expect(panel).to_be_visible()
        expect(host.get_by_role("checkbox", name="选择此异议以答复")).to_have_count(2)
        for page in bidders:
            expect(page.locator("#hall-answer-panel")).to_be_hidden()
            expect(page.get_by_role("checkbox")).to_have_count(0)

        # A second objection while the first waits is refused, in Chinese, next to the field; the text stays.
        self.object_(bidders[0], "另一项异议")
        expect(bidders[0].locator("#hall-objection-error")).to_contain_text("贵单位已有一项异议等待主持人答复")
        expect(bidders[0].get_by_label("您的异议")).to_have_value("另一项异议")
        expect(bidders[0].locator("#hall-alert")).to_be_hidden()

        host.get_by_label("当场答复(所选异议)").fill("已核对投标函原件,唱标无误。")
        host.get_by_role("button", name="答复全部未答复的异议", exact=True).click()
        for page in [host, *bidders]:
            expect(page.locator("#hall-confirmations li")).to_have_text([
                f"{names[0]} · 异议第一名报价读错主持人答复:已核对投标函原件,唱标无误。",
                f"{names[1]} · 异议第二名工期读错主持人答复:已核对投标函原件,唱标无误。"])
        expect(panel).to_be_hidden()
        answered = OpeningConfirmation.objects.filter(kind="objection").order_by("pk")
        assert [(c.text, c.answer) for c in answered] == [("第一名报价读错", "已核对投标函原件,唱标无误。"),
                                                          ("第二名工期读错", "已核对投标函原件,唱标无误。")]

        # Then one selected objection of two gets its own answer.
        self.object_(bidders[0], "另一项异议")
        self.object_(bidders[1], "再一项异议")
        expect(host.get_by_role("checkbox", name="选择此异议以答复")).to_have_count(2)
        host.get_by_role("checkbox", name="选择此异议以答复").nth(1).check()
        host.get_by_label("当场答复(所选异议)").fill("第二项另行答复。")
        host.get_by_role("button", name="答复所选异议", exact=True).click()
        expect(bidders[1].locator("#hall-confirmations li").nth(3)).to_have_text(
            f"{names[1]} · 异议再一项异议主持人答复:第二项另行答复。")
        expect(host.get_by_role("checkbox", name="选择此异议以答复")).to_have_count(1)
        expect(host.locator("#hall-confirmations li").nth(2)).to_have_text(f"{names[0]} · 异议另一项异议答复此异议")

    def test_the_forms_say_what_is_missing_next_to_the_field_and_the_host_answers_one_objection(self):
        scene = self.call(reading_scene)
        host = self.enter_hall(scene.host, scene.tender)
        bidder = self.enter_hall(scene.bidders[0], scene.tender)
        assert self.prompts(bidder) == []
        # An empty objection is not sent: the message is next to the field.
        bidder.get_by_role("button", name="提出异议", exact=True).click()
        expect(bidder.locator("#hall-objection-error")).to_have_text("请填写异议内容。")
        expect(bidder.get_by_label("您的异议")).to_have_attribute("aria-invalid", "true")
        assert OpeningConfirmation.objects.count() == 0
        self.object_(bidder, "第一行\n第二行:报价读错")
        expect(bidder.locator("#hall-objection-error")).to_be_hidden()
        expect(bidder.get_by_label("您的异议")).to_have_value("")
        text = host.locator("#hall-confirmations li .hall-text")
        expect(text).to_have_text("第一行\n第二行:报价读错")
        assert text.evaluate("(p) => getComputedStyle(p).whiteSpace") == "pre-wrap"  # the lines as written

        # The host: nothing ticked → told so; one objection's own button, then an empty answer → told so.
        panel = host.locator("#hall-answer-panel")
        panel.get_by_role("button", name="答复所选异议", exact=True).click()
        expect(host.locator("#hall-answer-error")).to_contain_text("请先勾选要答复的异议")
        host.get_by_role("button", name="答复此异议", exact=True).click()
        expect(host.get_by_role("checkbox", name="选择此异议以答复")).to_be_checked()
        expect(host.get_by_label("当场答复(所选异议)")).to_be_focused()
        panel.get_by_role("button", name="答复所选异议", exact=True).click()
        expect(host.locator("#hall-answer-error")).to_have_text("请填写答复内容。")
        host.get_by_label("当场答复(所选异议)").fill("已核对,无误。")
        panel.get_by_role("button", name="答复所选异议", exact=True).click()
        expect(bidder.locator("#hall-confirmations li .hall-answer")).to_have_text("主持人答复:已核对,无误。")
        expect(host.locator("#hall-answer-error")).to_be_hidden()
        assert self.prompts(host) == []

    def prompts(self, page):
        """The browser's own dialogs the page opened (none: everything is a form in the page)."""
        return self.dialogs[id(page)]
