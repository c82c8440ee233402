"""The expert draw in real browsers (issue 10): staff request a committee on the tender's page, the
regulator contributes a secret made by their browser, and a drawn expert accepts with the code of the
text message the platform sent."""

import re

import pytest
from playwright.sync_api import expect

from evaluation.models import Draw, Seat
from tests.e2e.conftest import BrowserTestCase
from tests.e2e.test_hall_objections import reading_scene
from trading.actions import opening

pytestmark = pytest.mark.e2e

SMS_LINK = re.compile(r"(/evaluation/draws/answer/([-\w]+)/)\D*?(\d{6})")


def opened_scene_with_pool():
    """A tender opened and closed in 通江县, and six experts of the city who hold 房屋建筑."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from tests.evaluation.conftest import make_experts

    scene = reading_scene()
    opening.close_opening(actor=scene.host, tender_id=scene.tender.pk)
    ensure_specialties(Specialty)  # the database is flushed between browser tests, data migrations' rows too
    make_experts(6, specialties=[Specialty.objects.get(code="ENG-BLD")])
    return scene


def sent_texts():
    """The texts the server process has sent (its console SMS backend's outbox)."""
    from accounts import sms

    return list(sms.outbox)


class TestDraw(BrowserTestCase):
    def server_outbox(self):
        # The texts are sent by the server process: ask it, through its job pipe, whatever the task worker is.
        jobs = self._server_process.jobs
        jobs.send((sent_texts, (), {}))
        assert jobs.poll(60)
        ok, value = jobs.recv()
        assert ok, value
        return value

    def test_staff_request_the_regulator_seeds_and_an_expert_accepts(self):
        scene = self.call(opened_scene_with_pool)
        tender = scene.tender

        # --- staff request a committee of five from the tender's page --------------------------------------
        staff = self.new_page()
        self.sign_in(staff, scene.host)
        staff.goto(f"/tenders/{tender.pk}/")
        staff.get_by_role("link", name="抽取评标专家").click()
        expect(staff.get_by_role("heading", name="抽取评标专家")).to_be_visible()
        expect(staff.locator("#draw-rows th.remote-only").first).to_be_hidden()  # no venues unless remote
        staff.get_by_label("评标委员会人数（五人以上单数）").fill("5")
        staff.locator("#id_req-0-specialty").select_option("ENG-BLD")
        staff.locator("#id_req-0-count").fill("5")
        staff.get_by_role("button", name="申请抽取").click()
        expect(staff.locator(".messages")).to_contain_text("候选名单已冻结，平台随机数已承诺")
        draw = Draw.objects.get(tender=tender)
        expect(staff.locator("#platform-commitment")).to_have_text(draw.platform_commitment)
        expect(staff.locator("#candidate-count")).to_have_text("6")
        expect(staff.locator("#secret-panel")).to_have_count(0)

        # --- the regulator's browser makes the secret ---------------------------------------------------------
        regulator = self.new_page()
        self.sign_in(regulator, scene.regulator)
        regulator.goto(f"/evaluation/draws/{draw.pk}/")
        field = regulator.get_by_label("您的随机数（64 位十六进制数字）")
        expect(field).to_have_value(re.compile(r"^[0-9a-f]{64}$"))
        first = field.input_value()
        regulator.get_by_role("button", name="重新生成随机数").click()
        expect(field).not_to_have_value(first)
        secret = field.input_value()
        # The server is forked from the test process: its outbox may hold earlier tests' messages.
        sent_before = len(self.server_outbox())
        regulator.get_by_role("button", name="提交随机数").click()
        expect(regulator.locator(".messages")).to_contain_text("您的随机数已提交")
        draw.refresh_from_db()
        assert (draw.status, draw.regulator_secret) == ("drawn", secret)
        expect(regulator.locator("#draw-seats tbody tr")).to_have_count(5)

        # Staff see the five seats, and no one's name.
        staff.reload()
        expect(staff.locator("#draw-seats tbody tr")).to_have_count(5)
        expect(staff.locator("#draw-seats")).not_to_contain_text(re.compile(r"专家\d"))

        # --- a drawn expert answers from the link and code of their text message -----------------------------
        texts = self.server_outbox()[sent_before:]
        assert len(texts) == 5
        path, token, code = SMS_LINK.search(texts[0][1]).groups()
        expert = self.new_page()
        expert.goto(path)
        expect(expert.locator("body")).not_to_contain_text(tender.title)
        expert.get_by_label("短信中的 6 位验证码").fill(code)
        expert.get_by_label("参加评标").check()
        expert.get_by_role("button", name="提交答复").click()
        expect(expert.locator("#answer-result")).to_contain_text("您已确认参加本次评标委员会")
        expect(expert.locator("#answer-tender")).to_have_text(f"{tender.code} · {tender.title}")
        seat_id = Seat.objects.get(link_token=token).pk
        assert Seat.objects.get(pk=seat_id).status == "accepted"
