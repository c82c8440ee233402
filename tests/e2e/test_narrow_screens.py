"""Issue 14: at 390 px (a phone) no page a role reaches sticks out sideways, and the opening hall's
唱标 table shows every column (stacked as labelled lines), in a real browser against the live server."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, BrowserTestCase

pytestmark = pytest.mark.e2e

PUBLIC = ["/", "/tenders/", "/tenders/today/", "/help/", "/help/bidders/", "/help/custodians/", "/help/experts/",
          "/help/contacts/", "/records/verify/"]


def world():
    """The role matrix's world with its evaluation session (an opened tender), and a tender opening today."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from tests.role_matrix_fixtures import COUNTY, _publish, build_world, make_custodians

    ensure_specialties(Specialty)
    w = build_world(full=False, session=True)
    now = timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=0, microsecond=0)
    deadline = min(now + datetime.timedelta(hours=2), end_of_day)
    with time_machine.travel(now - datetime.timedelta(days=30), tick=True):
        then = timezone.now()
        w.tenders["today"] = _publish(w.users["tend"], w.users["stH"], make_custodians(3),
                                      title="今日开标的巴中市某某县城区道路改造及配套管网工程施工（第二标段）",
                                      documents_from=then + datetime.timedelta(days=1),
                                      documents_until=then + datetime.timedelta(days=9), bid_deadline=deadline)
    assert w.tenders["today"].region.code == COUNTY
    return w


class TestNarrowScreens(BrowserTestCase):
    def _fits(self, page, path, name):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        overflow = self.horizontal_overflow(page)
        if overflow > 1:
            self.screenshot(page, f"narrow-{name}")
        assert overflow <= 1, f"{path} is {overflow}px wider than a 390px screen ({name})"

    def test_every_page_a_role_reaches_fits_a_phone_and_the_hall_table_shows_every_column(self):
        w = self.call(world)
        today, opened, open_tender = w.tenders["today"], w.tenders["evaluating"], w.tenders["open"]

        anon = self.new_page(viewport=PHONE)
        for path in [*PUBLIC, f"/tenders/{open_tender.pk}/", f"/tenders/{today.pk}/", f"/tenders/{opened.pk}/"]:
            with self.subTest(role="anon", path=path):
                self._fits(anon, path, f"anon{path.replace('/', '-')}")
        # The day's board lists today's opening, and its countdown ticks in the browser.
        anon.goto("/tenders/today/")
        countdown = anon.locator(f'#today-openings tr[data-tender="{today.pk}"] span.countdown')
        first = countdown.text_content()
        expect(countdown).not_to_have_text(first, timeout=3000)
        expect(countdown).to_contain_text(":")
        self.screenshot(anon, "today-390")

        pages = {
            "bid": ["/workspace/", "/accounts/security/", "/evaluation/clarifications/", f"/tenders/{opened.pk}/opening/"],
            "cust": ["/workspace/", "/accounts/security/", f"/tenders/{open_tender.pk}/opening/"],
            "exp": ["/workspace/"],
            "tend": ["/workspace/", "/tenders/mine/", f"/tenders/{w.tenders['draft'].pk}/edit/"],
            "stH": ["/workspace/", "/tenders/review/", f"/tenders/{opened.pk}/opening/", f"/tenders/{open_tender.pk}/"],
            "regC": ["/workspace/", f"/tenders/{opened.pk}/opening/"],
        }
        for role, paths in pages.items():
            page = self.new_page(viewport=PHONE)
            self.sign_in(page, w.users[role])
            for path in [*paths, "/", "/tenders/today/", "/help/"]:
                with self.subTest(role=role, path=path):
                    self._fits(page, path, f"{role}{path.replace('/', '-')}")
            if role == "bid":  # the workspace's deadlines tick too (the clarification's, an hour away)
                page.goto("/workspace/")
                ticking = page.locator("#ws-clarifications span.countdown").first
                before = ticking.text_content()
                expect(ticking).not_to_have_text(before, timeout=3000)
                assert "剩余" in ticking.text_content()
            page.context.close()

        # The 唱标 table of the opened tender, for the host: every cell on screen with its column's name.
        host = self.new_page(viewport=PHONE)
        self.sign_in(host, w.users["stH"])
        host.goto(f"/tenders/{opened.pk}/opening/")
        rows = host.locator("#hall-results tbody tr")
        expect(rows).to_have_count(3)
        headers = host.locator("#hall-results thead th").all_text_contents()
        assert headers[0] == "#" and headers[-1] == "状态" and len(headers) >= 4
        cells = host.evaluate("""() => [...document.querySelectorAll('#hall-results tbody td')].map((td) => {
            const box = td.getBoundingClientRect();
            return {label: td.dataset.label, left: box.left, right: box.right, width: box.width,
                    text: td.textContent, before: getComputedStyle(td, '::before').content};
        })""")
        assert len(cells) == 3 * len(headers)
        for i, cell in enumerate(cells):
            assert cell["label"] == headers[i % len(headers)]
            assert cell["left"] >= 0 and cell["right"] <= PHONE["width"] and cell["width"] > 0, cell
            assert cell["before"] == f'"{cell["label"]}"', cell  # the column's name is shown beside the value
        self.screenshot(host, "hall-390")
        assert self.horizontal_overflow(host) <= 1
