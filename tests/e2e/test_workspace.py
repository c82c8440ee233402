"""Issue 14: every role signs in through the login page, lands on its workspace (工作台) and reaches its next
task in one click, in a real browser against the live ASGI server."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BrowserTestCase

pytestmark = pytest.mark.e2e


def world():
    """The role matrix's world (tests/role_matrix_fixtures.py) with its evaluation session."""
    from evaluation.models import Specialty
    from evaluation.specialties import ensure_specialties
    from tests.role_matrix_fixtures import build_world

    ensure_specialties(Specialty)  # the database is flushed between browser tests, data migrations' rows too
    return build_world(full=False, session=True)


class TestWorkspace(BrowserTestCase):
    def test_each_role_lands_on_its_workspace_and_reaches_its_next_task(self):
        w = self.call(world)
        open_tender, draft, submitted = w.tenders["open"], w.tenders["draft"], w.tenders["submitted"]
        walks = [
            ("bid", "#ws-clarifications a", r"/evaluation/clarifications/$"),
            ("cust", f'#ws-shares a[href="/tenders/{open_tender.pk}/opening/"]', rf"/tenders/{open_tender.pk}/opening/$"),
            ("exp", "#ws-member-sessions a", rf"/evaluation/sessions/{w.ids['session']}/$"),
            ("tend", f'#ws-drafts a[href="/tenders/{draft.pk}/edit/"]', rf"/tenders/{draft.pk}/edit/$"),
            ("stH", f'#ws-review a[href="/tenders/{submitted.pk}/"]', rf"/tenders/{submitted.pk}/$"),
            ("regC", "#ws-regulator-sessions a", rf"/evaluation/sessions/{w.ids['session']}/$"),
        ]
        for role, link, target in walks:
            with self.subTest(role=role):
                page = self.new_page()
                self.sign_in(page, w.users[role])
                expect(page).to_have_url(re.compile(r"/workspace/$"))
                expect(page.locator("#nav-workspace")).to_have_text("工作台")
                page.locator(link).first.click()
                expect(page).to_have_url(re.compile(target))
                page.context.close()
