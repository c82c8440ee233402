"""Issue 19: the statistics page and the trading hall's screen draw their charts (ECharts served by the
platform, under its Content-Security-Policy) and redraw when a tender is published, told over ws/statistics/."""

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BrowserTestCase

pytestmark = pytest.mark.e2e

DRAWN = re.compile(r".+")  # stats.js sets data-drawn once the charts are drawn
# Sum of the canvas's pixel bytes and how many are not transparent: a chart drew something, and it changed.
CANVAS_PIXELS = """(id) => {
  const canvas = document.querySelector(`#${id} canvas`);
  if (!canvas || !canvas.width) return null;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0, sum = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i]) painted++; sum = (sum * 31 + data[i - 1] + data[i - 2] * 7 + data[i]) % 1000000007; }
  return {painted, sum};
}"""


def a_regulator_of_nanjiang():
    from tests.factories import make_user

    return make_user("regulator", "511922", username="stats_regulator").username


def publish_a_tender():
    """A tender of 南江县 published through the actions (in the server process: its sockets hear of it)."""
    from tests.factories import make_tender, make_user

    owner, staff = make_user("tenderer", "511922"), make_user("staff", "511922")
    return make_tender(owner, "511922", publish_by=staff).code


class TestStatisticsCharts(BrowserTestCase):
    def painted(self, page, chart):
        pixels = page.evaluate(CANVAS_PIXELS, chart)
        assert pixels is not None and pixels["painted"] > 1000, pixels
        return pixels

    def test_the_page_and_the_screen_draw_their_charts_and_update_when_a_tender_is_published(self):
        errors = []
        # Made where publish_a_tender runs, so both draw their organizations' names from one counter.
        regulator = SimpleNamespace(username=self.run_job(a_regulator_of_nanjiang))
        pages = {"/statistics/": self.new_page(), "/statistics/screen/": self.new_page(viewport={"width": 1920, "height": 1080}),
                 "/statistics/internal/": self.new_page()}
        self.sign_in(pages["/statistics/internal/"], regulator)
        for url, page in pages.items():
            # CSP refusals and script errors show in the console; a missing file (the favicon too) as a response.
            page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text
                    and errors.append(m.text))
            page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
            page.goto(url)
            expect(page.locator("#stats-root")).to_have_attribute("data-live", "1")
            expect(page.locator("#stats-root")).to_have_attribute("data-drawn", DRAWN)
            expect(page.locator('[data-total="tenders"]')).to_have_text("0")
        before = {url: [self.painted(page, f"chart-{i}") for i in range(4)] for url, page in pages.items()}

        code = self.run_job(publish_a_tender)
        for url, page in pages.items():
            expect(page.locator('[data-total="tenders"]')).to_have_text("1")
            region_row = page.locator('table[data-table="0"] tbody tr', has_text="南江县")
            expect(region_row.locator("td").nth(1)).to_have_text("1")
            # The region chart is redrawn with the new bar (ECharts paints on the next animation frame).
            for _ in range(50):
                if self.painted(page, "chart-0")["sum"] != before[url][0]["sum"]:
                    break
                page.wait_for_timeout(100)
            else:
                raise AssertionError(f"{url}: the region chart was not redrawn")
            assert code not in page.content()  # the numbers, not the tender
        self.screenshot(pages["/statistics/screen/"], "stats-screen")
        self.screenshot(pages["/statistics/"], "stats-page")
        internal = pages["/statistics/internal/"]
        expect(internal.locator('table[data-table="0"] tbody tr')).to_have_count(1)  # 南江县 only: its scope
        phone = self.new_page(viewport={"width": 390, "height": 844})
        phone.goto("/statistics/")
        expect(phone.locator("#stats-root")).to_have_attribute("data-drawn", DRAWN)
        self.painted(phone, "chart-0")
        assert self.horizontal_overflow(phone) == 0
        assert not errors, errors
