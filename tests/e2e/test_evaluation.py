"""A whole remote evaluation (docs/architecture.md §10) in real browsers: five experts in three venues, the host and the
staff of two sub-venues, each in a browser context of their own, from check-in to the signed report,
through the session pages and their websocket; a bidder answers the leader's clarification in its
workspace. Background work (the report's signing) is the test's run_job, where the worker would do it."""

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from evaluation.models import Clarification, EvaluationSession, Member, QualificationVote
from records.models import Record
from tests.e2e.conftest import BrowserTestCase
from tests.e2e.test_hall_objections import reading_scene
from tests.records.helpers import run
from trading.actions import opening
from trading.models import Tender

pytestmark = pytest.mark.e2e

QUALIFICATION = ["营业执照及资质证书", "投标保证金"]
# What one page does reaches the others as an event, after which each page asks for a fresh snapshot: with
# nine pages on a busy machine that may take longer than expect's default five seconds.
EXPECT_MS = 20_000
FAIL_REASON = "营业执照副本已过期"
QUESTION = "请说明投标函中工期与施工组织设计中的进度计划是否一致。"
ANSWER = "一致:工期均为365日历天,进度计划见施工组织设计第三章。"


def evaluation_scene():
    """The opened tender of the hall tests (three bids, in 通江县), its remote draw complete (two experts in
    通江县's room, the main venue, two in 南江县's, one in 平昌县's) and its session open at check-in."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from tests.evaluation.conftest import make_experts
    from tests.evaluation.session_setup import session_scene

    opened = reading_scene()
    opening.close_opening(actor=opened.host, tender_id=opened.tender.pk)
    ensure_specialties(Specialty)  # the database is flushed between browser tests, data migrations' rows too

    def pool(n, specialties=("ENG-BLD",)):
        return make_experts(n, specialties=[Specialty.objects.get(code=code) for code in specialties])

    scene = session_scene(opened, pool, terms={"qualification_criteria": QUALIFICATION})
    for m in Member.objects.filter(session=scene.session).select_related("expert", "user"):
        m.user.full_name = m.expert.name  # an expert's certificate names the expert
        m.user.save(update_fields=["full_name"])
    return scene


def produce_report(session_id):
    """The report task's work (evaluation.tasks.produce_session_report_task), in the server's worker thread."""
    from evaluation.actions.report import produce_session_report

    return produce_session_report(session_id).pk


def session_key(user):
    """A signed-in session of `user`, as the login page makes it (Django's own force_login)."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class TestEvaluation(BrowserTestCase):
    def setUp(self):
        super().setUp()
        expect.set_options(timeout=EXPECT_MS)
        self.addCleanup(expect.set_options, timeout=None)  # back to Playwright's default for other tests

    def session_page(self, user, session, *, login_page=False):
        """The session page of `user` in a browser context of their own. The host signs in through the login
        page; the others' contexts get the cookie of a session made as the login page makes one (eight
        sign-ins through the page would cost this test a tenth of its time)."""
        page = self.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of submitting and signing
        if login_page:
            self.sign_in(page, user)
        else:
            page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": self.call(session_key, user),
                                       "url": self.live_server_url}])
        page.goto(f"/evaluation/sessions/{session.pk}/", wait_until="commit")  # the pages load side by side
        return page

    @staticmethod
    def live(pages):
        for page in pages:
            expect(page.locator("#session-connection")).to_have_text("实时")

    @staticmethod
    def at_stage(pages, stage):
        for page in pages:
            expect(page.locator("#session-header")).to_have_attribute("data-stage", stage)

    @staticmethod
    def check_in(page, member, code, last4):
        form = page.locator(f"#checkin-forms form[data-member='{member.pk}']")
        form.locator("input[name=code]").fill(code)
        form.locator("input[name=id_last4]").fill(last4)
        form.locator("[data-testid=checkin-button]").click()
        return form

    def test_five_experts_in_three_venues_evaluate_up_to_the_signed_report(self):
        scene = self.call(evaluation_scene)
        session, members, bids = scene.session, scene.members, scene.bids
        main, *subs = scene.venues
        seated = {v.pk: [m for m in members if m.venue_id == v.pk] for v in scene.venues}
        assert [len(seated[v.pk]) for v in scene.venues] == [2, 2, 1]

        # --- everyone opens the session page: the host, each sub-venue's staff, the five experts -----------
        host = self.session_page(scene.host, session, login_page=True)
        expect(host.locator("#session-header")).to_have_attribute("data-role", "host")
        venue_pages = {main.pk: host}
        for venue in subs:
            page = self.session_page(scene.venue_staff[venue.pk], session)
            expect(page.locator("#session-header")).to_have_attribute("data-role", "venue_staff")
            venue_pages[venue.pk] = page
        experts = {m.pk: self.session_page(m.user, session) for m in members}
        everyone = [host, *[venue_pages[v.pk] for v in subs], *experts.values()]
        self.live(everyone)
        self.at_stage(everyone, "check_in")
        for page in experts.values():
            expect(page.locator("#session-header")).to_have_attribute("data-role", "member")
            expect(page.locator("#checkin-panel")).to_have_count(0)
        # The board shows every member, by venue, online; nobody is named before check-in.
        for venue in scene.venues:
            board = host.locator(f"#presence-board section[data-venue='{venue.pk}'] li[data-testid=presence-member]")
            expect(board).to_have_count(len(seated[venue.pk]))
        for m in members:
            expect(host.locator(f"#presence-board li[data-member='{m.pk}']")).to_have_attribute("data-online", "1")
            expect(host.locator("#presence-board")).not_to_contain_text(m.expert.name)

        # --- check-in: each venue's staff check in their own experts (code of the text, ID's last four) ----
        for venue in subs:
            forms = venue_pages[venue.pk].locator("#checkin-forms form[data-testid=checkin-form]")
            expect(forms).to_have_count(len(seated[venue.pk]))
        expect(host.locator("#checkin-forms form[data-testid=checkin-form]")).to_have_count(5)
        # A wrong code is refused next to its form, and checks no one in.
        first = seated[subs[0].pk][0]
        wrong = "000000" if scene.codes[first.pk] != "000000" else "111111"
        form = self.check_in(venue_pages[subs[0].pk], first, wrong, first.expert.id_last4)
        expect(form.locator("[data-testid=checkin-error]")).not_to_be_empty()
        assert Member.objects.get(pk=first.pk).checked_in_at is None
        for venue in scene.venues:
            page = venue_pages[venue.pk]
            for m in seated[venue.pk]:
                self.check_in(page, m, scene.codes[m.pk], m.expert.id_last4)
                expect(page.locator(f"#presence-board li[data-member='{m.pk}']")).to_have_attribute(
                    "data-checked-in", "1")
        for m in members:  # checked in, the expert is named to everyone
            expect(experts[members[0].pk].locator(f"#presence-board li[data-member='{m.pk}']")).to_contain_text(
                m.expert.name)
        host.locator("#advance-button").click()
        self.at_stage(everyone, "commitments")

        # --- commitments, then the leader's election ----------------------------------------------------------
        for n, page in enumerate(experts.values(), start=1):
            page.locator("#commitment-sign").click()
            if n < len(members):  # the last signature moves the session on, and the panel goes
                expect(page.locator("#commitment-done")).to_be_visible()
        self.at_stage(everyone, "leader")
        leader = members[2]
        assert leader.venue_id != main.pk  # a sub-venue's expert leads
        for page in experts.values():
            page.locator(f"#leader-candidates button[data-testid=leader-vote][data-member='{leader.pk}']").click()
        self.at_stage(everyone, "qualification")
        lead = experts[leader.pk]
        expect(lead.locator("#leader-tools")).to_be_visible()
        for m in members:
            if m.pk != leader.pk:
                expect(experts[m.pk].locator("#leader-tools")).to_be_hidden()
        expect(host.locator(f"#presence-board li[data-member='{leader.pk}']")).to_have_attribute("data-leader", "1")

        # --- qualification: one expert fails the first bid on a criterion, with the reason; a majority passes it
        for position, m in enumerate(members):
            page = experts[m.pk]
            cells = page.locator("#qualification-grid td[data-bid]")
            expect(cells).to_have_count(len(bids) * len(QUALIFICATION))
            for bid in bids:
                for index in range(len(QUALIFICATION)):
                    cell = page.locator(f"#qualification-grid td[data-bid='{bid.pk}'][data-criterion='{index}']")
                    if position == 1 and bid.pk == bids[0].pk and index == 0:
                        cell.locator("[data-testid=qualification-fail]").check()
                        reason = cell.locator("[data-testid=qualification-reason]")
                        expect(reason).to_be_visible()
                        reason.fill(FAIL_REASON)
                        reason.press("Tab")  # the change event sends the vote
                    else:
                        cell.locator("[data-testid=qualification-pass]").check()
            page.locator("#qualification-submit").click()
            expect(page.locator("#qualification-locked")).to_be_visible()
        failed = QualificationVote.objects.get(passed=False)
        assert (failed.member_id, failed.bid_id, failed.criterion, failed.reason) == (
            members[1].pk, bids[0].pk, 0, FAIL_REASON)
        lead.locator("#leader-advance").click()
        self.at_stage(everyone, "scoring")
        rows = host.locator("#bids-table tr[data-testid=bid-row]")
        expect(rows).to_have_count(3)
        for bid in bids:
            expect(host.locator(f"#bids-table tr[data-bid='{bid.pk}'] td").nth(2)).to_have_text("通过资格审查")

        # --- the leader asks a bidder a clarification; the bidder answers in its workspace --------------------
        asked = bids[1]
        lead.locator("#clarify-bid").select_option(str(asked.pk))
        lead.locator("#clarify-question").fill(QUESTION)
        lead.locator("#clarify-minutes").fill("30")
        lead.locator("#clarify-button").click()
        for page in experts.values():
            expect(page.locator("#clarification-list li[data-clarification]")).to_contain_text(QUESTION)
        bidder_user = next(u for u in scene.bidders if u.organization_id == asked.bid.organization_id)
        bidder = self.new_page()
        self.sign_in(bidder, bidder_user)
        bidder.goto("/evaluation/clarifications/")
        request = bidder.locator("article.clarification[data-open='1']")
        expect(request).to_have_count(1)
        expect(request.locator(".c-question")).to_have_text(QUESTION)
        request.locator("textarea[name=text]").fill(ANSWER)
        request.locator("button[type=submit]").click()
        expect(bidder.locator("article.clarification .c-answer-text")).to_have_text(ANSWER)
        for page in experts.values():
            expect(page.locator("#clarification-list li[data-clarification]")).to_contain_text(ANSWER)
        assert Clarification.objects.get().answer == ANSWER

        # --- scoring: the price score is computed, the technical score typed by each expert --------------------
        results = {r.bid_id: r for r in EvaluationSession.objects.get(pk=session.pk).results.all()}
        for position, m in enumerate(members):
            page = experts[m.pk]
            for bid in bids:
                expect(page.locator(f"#score-grid td[data-testid=price-score][data-bid='{bid.pk}']")).to_have_text(
                    str(results[bid.pk].price_score))
                cell = page.locator(f"#score-grid input[data-testid=score-input][data-bid='{bid.pk}']")
                cell.fill(f"{30 + position + bids.index(bid)}.50")
                cell.press("Tab")
                expect(cell).to_have_class(re.compile(r"\bsaved\b"))
            page.locator("#score-submit").click()
            if position < len(members) - 1:  # the last sheet moves the session on to the review
                expect(page.locator("#score-locked")).to_be_visible()
        assert results[bids[0].pk].price_score > results[bids[1].pk].price_score > results[bids[2].pk].price_score
        self.at_stage(everyone, "review")

        # --- review, ranking, signing ----------------------------------------------------------------------
        expect(lead.locator("#review-summary tr[data-testid=summary-row]")).to_have_count(3)
        lead.locator("#leader-advance").click()
        self.at_stage(everyone, "ranking")
        ranking = EvaluationSession.objects.get(pk=session.pk).ranking
        expect(host.locator("#ranking-table tr[data-testid=ranking-row]")).to_have_count(3)
        order = [str(row["bid"]) for row in ranking["order"]]
        assert host.locator("#ranking-table tr[data-testid=ranking-row]").evaluate_all(
            "rows => rows.map((row) => row.dataset.bid)") == order
        for page in experts.values():
            page.locator("#ranking-agree").click()
            expect(page.locator("#ranking-done")).to_be_visible()
        lead.locator("#leader-advance").click()
        self.at_stage(everyone, "signing")
        for page in experts.values():
            page.locator("#report-sign").click()
            expect(page.locator("#signing-row")).to_be_hidden()
        expect(host.locator("#signing-status")).to_contain_text("5 / 5")

        # --- the report: signed by every expert and sealed (the worker's job), on every page -------------------
        record_id = self.run_job(produce_report, session.pk)
        self.at_stage(everyone, "closed")
        for page in everyone:
            expect(page.locator("#report-download")).to_have_attribute("href", f"/records/{record_id}/download/")
        record = Record.objects.get(pk=record_id)
        assert record.kind == "evaluation_report"
        assert EvaluationSession.objects.get(pk=session.pk).report_id == record_id
        assert Tender.objects.get(pk=scene.tender.pk).status == "evaluated"
        assert record.signer_names()[:5] == [m.expert.name for m in members]
        with lead.expect_download() as info:
            lead.locator("#report-download").click()
        pdf = Path(info.value.path())
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == record.sha256
        out = run("pdfsig", str(pdf)).stdout.decode()
        assert out.count("Signature Validation: Signature is Valid.") == 6  # five experts and the platform seal
        assert "Total document signed" in out
