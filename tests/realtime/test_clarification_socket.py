"""The bidder's clarification socket (ws/clarifications/), against the real ASGI application: a new request
reaches the asked company live, and no other company; only bidders connect; the socket only listens. And the
workspace page in a real browser: a request appears without a reload and flips to "answered"."""

import pytest
from channels.db import database_sync_to_async

from evaluation.actions import clarify
from evaluation.models import Clarification
from ledger.models import Entry
from tests.evaluation.conftest import expert_pool, opened_tender, specialties  # noqa: F401  (fixtures)
from tests.evaluation.session_setup import session_scene
from tests.factories import make_user
from tests.realtime.hall_client import connect_path, drain, send


def socket_test(fn):
    return pytest.mark.asyncio(pytest.mark.django_db(transaction=True)(fn))


PATH = "/ws/clarifications/"
QUESTION = "技术方案第3.2节所列主要设备型号与设备清单不一致,请澄清。"


@pytest.fixture
def scene(hall_ready, opened_tender, expert_pool):  # noqa: F811
    scene = session_scene(opened_tender, expert_pool)
    scene.to_stage("qualification")
    return scene


def _ask(scene, bid_index=0):
    return clarify.ask_clarification(actor=scene.leader_user(), session_id=scene.session.pk,
                                     bid=scene.bids[bid_index].pk, question=QUESTION, minutes=60)["clarification"]


async def _open(user):
    ws, connected, _ = await connect_path(user, PATH)
    assert connected
    snapshot = await ws.receive_json_from(timeout=10)
    assert snapshot["type"] == "snapshot"
    return ws, snapshot["data"]


@socket_test
async def test_a_new_request_reaches_the_asked_company_live_and_no_other(scene):
    asked_ws, snapshot = await _open(scene.bidders[0])
    assert snapshot["clarifications"] == []
    other_ws, _ = await _open(scene.bidders[1])

    clarification = await database_sync_to_async(_ask)(scene)
    event = await asked_ws.receive_json_from(timeout=10)
    assert event["type"] == "clarification.asked"
    row = event["data"]
    assert (row["id"], row["question"], row["open"], row["answer"]) == (clarification, QUESTION, True, None)
    assert row["tender"] == {"code": scene.tender.code, "title": scene.tender.title}
    # The company learns of its request, not of the session: no expert, no member, no score, no other bid.
    assert set(row) == {"id", "tender", "receipt_no", "question", "asked_at", "deadline", "answer", "answered_at",
                        "file", "open"}
    assert await other_ws.receive_nothing(timeout=0.5)

    await database_sync_to_async(clarify.answer_clarification)(
        actor=scene.bidders[0], clarification_id=clarification, text="以设备清单为准,型号笔误。")
    event = await asked_ws.receive_json_from(timeout=10)
    assert event["type"] == "clarification.answered"
    assert (event["data"]["id"], event["data"]["answer"], event["data"]["open"]) == (
        clarification, "以设备清单为准,型号笔误。", False)
    assert await other_ws.receive_nothing(timeout=0.5)
    for ws in (asked_ws, other_ws):
        await ws.disconnect()


@socket_test
async def test_the_snapshot_holds_the_companys_open_requests(scene):
    first = await database_sync_to_async(_ask)(scene, 0)
    await database_sync_to_async(_ask)(scene, 1)  # another company's
    answered = await database_sync_to_async(_ask)(scene, 0)
    await database_sync_to_async(clarify.answer_clarification)(
        actor=scene.bidders[0], clarification_id=answered, text="已答复")
    colleague = await database_sync_to_async(make_user)("bidder", "511921", org=scene.bidders[0].organization)
    ws, snapshot = await _open(colleague)
    assert [row["id"] for row in snapshot["clarifications"]] == [first]
    assert snapshot["clarifications"][0]["question"] == QUESTION
    await ws.disconnect()


@socket_test
async def test_only_bidders_with_a_company_connect(scene):
    for user in (None, scene.host, scene.regulator, await database_sync_to_async(scene.leader_user)(),
                 await database_sync_to_async(make_user)("tenderer", "511921")):
        ws, connected, _ = await connect_path(user, PATH)
        assert connected is True
        assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    # And a refused socket hears nothing of a request.
    await database_sync_to_async(_ask)(scene)
    assert await ws.receive_nothing(timeout=0.3)


@socket_test
async def test_the_socket_takes_no_message(scene):
    clarification = await database_sync_to_async(_ask)(scene)
    ws, _ = await _open(scene.bidders[0])
    head = await database_sync_to_async(Entry.objects.count)()
    reply = await send(ws, "m1", "clarification.answer", {"clarification": clarification, "text": "经由套接字的答复"})
    assert (reply["type"], reply["code"], reply["data"]["code"]) == ("error", "read_only", "read_only")
    assert await drain(ws) == []
    assert await database_sync_to_async(Entry.objects.count)() == head
    row = await database_sync_to_async(Clarification.objects.get)(pk=clarification)
    assert (row.answer, row.answered_at) == ("", None)
    await ws.disconnect()


# --- the page, in a browser ----------------------------------------------------------------------------------

def browser_scene():
    """The opened tender of the hall tests, its session at the qualification review (e2e database flushes)."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from tests.e2e.test_hall_objections import reading_scene
    from tests.evaluation.conftest import make_experts
    from trading.actions import opening

    opened = reading_scene()
    opening.close_opening(actor=opened.host, tender_id=opened.tender.pk)
    ensure_specialties(Specialty)

    def pool(n, **kwargs):  # expert_pool's signature: experts of 房屋建筑
        return make_experts(n, specialties=[Specialty.objects.get(code="ENG-BLD")])

    scene = session_scene(opened, pool)
    scene.to_stage("qualification")
    return scene


def ask_job(session_id, bid_id):
    """In the server process when the channel layer is in memory (BrowserTestCase.run_job)."""
    from evaluation.models import EvaluationSession, Member

    leader = Member.objects.get(pk=EvaluationSession.objects.get(pk=session_id).leader_id).user
    return clarify.ask_clarification(actor=leader, session_id=session_id, bid=bid_id, question=QUESTION,
                                     minutes=60)["clarification"]


def answer_job(user_id, clarification_id, text):
    from accounts.models import User

    clarify.answer_clarification(actor=User.objects.get(pk=user_id), clarification_id=clarification_id, text=text)


try:
    from playwright.sync_api import expect

    from tests.e2e.conftest import BrowserTestCase
except ImportError:  # pragma: no cover  (the e2e tools are in requirements-dev.txt)
    BrowserTestCase = None

if BrowserTestCase is not None:
    @pytest.mark.e2e
    class TestClarificationPage(BrowserTestCase):
        def workspace(self, user):
            page = self.new_page()
            self.sign_in(page, user)
            page.get_by_role("link", name="澄清要求").click()  # the bidder's navigation
            expect(page.locator("#clarifications-connection")).to_have_text("实时")
            return page

        def test_a_request_appears_live_and_flips_to_answered(self):
            scene = self.call(browser_scene)
            bids = scene.bids
            asked_user = next(u for u in scene.bidders if u.organization_id == bids[0].bid.organization_id)
            other_user = next(u for u in scene.bidders if u.organization_id != asked_user.organization_id)
            page, other = self.workspace(asked_user), self.workspace(other_user)
            expect(page.locator("#clarifications-empty")).to_be_visible()

            clarification = self.run_job(ask_job, scene.session.pk, bids[0].pk)
            item = page.locator(f"article.clarification[data-id='{clarification}']")
            expect(item.locator(".c-question")).to_have_text(QUESTION)  # no reload
            expect(item.locator(".c-state")).to_have_text("待答复")
            expect(item.locator(".c-countdown")).to_contain_text("答复剩余时间")
            expect(item.locator("form.c-form")).to_have_attribute(
                "action", f"/evaluation/clarifications/{clarification}/answer/")
            expect(page.locator("#clarifications-empty")).to_have_count(0)

            # Answered by a colleague elsewhere: this page flips without a reload.
            self.run_job(answer_job, asked_user.pk, clarification, "以设备清单为准。")
            expect(item.locator(".c-state")).to_have_text("已答复")
            expect(item.locator(".c-answer-text")).to_have_text("以设备清单为准。")
            expect(item.locator("form.c-form")).to_be_hidden()
            expect(other.locator("article.clarification")).to_have_count(0)
            expect(other.locator("#clarifications-empty")).to_be_visible()
