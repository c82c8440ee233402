"""Statistics (阳光交易 in numbers): every number equals a count the test makes itself from the trading log and
the database, on tenders built through the platform's actions; the public view never counts bids before a
deadline (招标投标法 art. 22); the internal view is for staff and regulators, each their own regions."""

import datetime
import io
import json

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from evaluation.models_session import Member
from ledger.models import Entry
from service.stats import statistics
from tests.evaluation.conftest import expert_pool, opened_tender, specialties  # noqa: F401  (fixtures)
from tests.evaluation.session_setup import session_scene
from tests.factories import make_tender, make_user
from tests.ocds.conftest import _calendar, awarded, failed, published_tender  # noqa: F401  (fixtures)
from tests.trading.bidding import bidder_with_keys, submit
from trading.models import Bid, Tender
from trading.models_award import Award

DAY = datetime.timedelta(days=1)


@pytest.fixture
def world(awarded, failed):  # noqa: F811
    """An awarded tender and a failed one in 通江县 (511921); in 南江县 (511922) a tender still open for bids
    with one bid in, its deadline 60 days away."""
    owner, staff = make_user("tenderer", "511922"), make_user("staff", "511922")
    open_tender = make_tender(owner, "511922", publish_by=staff, bid_deadline=failed.published_at + 60 * DAY)
    submit(Client(), open_tender, bidder_with_keys())
    return {"awarded": awarded.tender, "failed": failed, "open": open_tender}


def counted_from_log_and_db(now):
    """The numbers, counted another way: tenders from the log's `tender.published` entries, failures from
    `tender.failed`, award prices from the `award.confirmed` payloads, bids from Bid rows after the deadline."""
    out = {}
    published = {}
    for e in Entry.objects.filter(action="tender.published").order_by("seq"):
        published.setdefault(e.tender_ref, e)
    for code, entry in published.items():
        tender = Tender.objects.get(code=code)
        row = out.setdefault(entry.region_code, {"tenders": 0, "bids": 0, "failed": 0, "budget": 0, "award": 0,
                                                 "days": []})
        row["tenders"] += 1
        if tender.bid_deadline <= now:
            row["bids"] += Bid.objects.filter(tender=tender).exclude(status__in=["withdrawn", "replaced"]).count()
        row["failed"] += Entry.objects.filter(action="tender.failed", tender_ref=code).exists()
        confirmed = Entry.objects.filter(action="award.confirmed", tender_ref=code).first()
        if confirmed:
            row["budget"] += tender.estimated_price_fen
            row["award"] += json.loads(confirmed.payload)["price_fen"]
            row["days"].append((confirmed.created_at - entry.created_at).total_seconds() / 86400)
    return out


def by_code(data):
    return {r["code"]: r for r in data["by_region"]}


def test_the_numbers_equal_counts_made_from_the_log_and_the_database(world):
    after_all = world["open"].bid_deadline + DAY
    for now in (world["failed"].bid_deadline + DAY, after_all):
        data, expected = statistics(now=now), counted_from_log_and_db(now)
        rows = by_code(data)
        for code, want in expected.items():
            row = rows[code]
            assert (row["tenders"], row["bids"], row["failed"]) == (want["tenders"], want["bids"], want["failed"])
            assert (row["awarded_budget_fen"], row["award_fen"]) == (want["budget"], want["award"])
            if want["days"]:
                assert row["avg_days_to_award"] == round(sum(want["days"]) / len(want["days"]), 1)
            else:
                assert row["avg_days_to_award"] is None
        assert data["totals"]["tenders"] == sum(w["tenders"] for w in expected.values()) == 3
        assert data["totals"]["failed"] == 1 and data["totals"]["awards"] == 1
        assert sum(r["tenders"] for r in data["by_category"]) == 3
        assert sum(r["tenders"] for r in data["by_month"]) == 3
    award = Award.objects.get(tender=world["awarded"])
    budget = world["awarded"].estimated_price_fen
    assert data["totals"]["savings_rate"] == round((budget - award.price_fen) * 100 / budget, 2)
    # The open tender's one bid counts once its deadline has passed; the awarded tender had 3, the failed 1.
    assert rows["511922"]["bids"] == 1 and rows["511921"]["bids"] == 4


def test_the_public_view_counts_no_bid_before_the_deadline(world, django_assert_max_num_queries):
    client = Client()
    before = world["open"].bid_deadline - DAY
    with time_machine.travel(before, tick=False):
        with django_assert_max_num_queries(10):  # refetched by every screen at every change
            data = client.get("/statistics/data.json").json()
        page = client.get("/statistics/").content.decode()
    assert by_code(data)["511922"]["bids"] == 0  # the open tender has one bid in: secret until its deadline
    assert by_code(data)["511922"]["tenders"] == 1
    assert "bidder" not in json.dumps(data).lower()
    assert "failed_tenders" not in data and world["failed"].code not in page
    with time_machine.travel(world["open"].bid_deadline + DAY, tick=False):
        assert by_code(client.get("/statistics/data.json").json())["511922"]["bids"] == 1


def test_the_internal_view_is_for_staff_and_regulators_of_their_regions(world):
    client = Client()
    assert client.get("/statistics/internal/data.json").status_code == 302
    client.force_login(make_user("bidder", "511900"))
    assert client.get("/statistics/internal/data.json").status_code == 403
    client.force_login(make_user("staff", "511922"))
    data = client.get("/statistics/internal/data.json").json()
    assert [r["code"] for r in data["by_region"]] == ["511922"]
    assert data["totals"]["tenders"] == 1 and data["failed_tenders"] == []
    client.force_login(make_user("regulator", "511921"))
    data = client.get("/statistics/internal/data.json").json()
    assert [f["code"] for f in data["failed_tenders"]] == [world["failed"].code]


def test_the_excel_export_holds_the_tables_and_no_formula(world, make_user):
    Tender.objects.filter(pk=world["failed"].pk).update(title="=HYPERLINK(\"http://x\")")
    client = Client()
    client.force_login(make_user("staff", "511900"))
    response = client.get("/statistics/internal/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 5
    region_sheet = book[book.sheetnames[0]]
    values = {row[0]: row for row in region_sheet.iter_rows(min_row=2, values_only=True)}
    assert values["通江县"][1] == 2  # tenders
    failed_sheet = book[book.sheetnames[4]]
    assert failed_sheet.cell(row=2, column=2).value == "'=HYPERLINK(\"http://x\")"
    public = Client().get("/statistics/export.xlsx")
    assert len(load_workbook(io.BytesIO(public.content)).sheetnames) == 4


def test_remote_and_cross_county_evaluations(opened_tender, expert_pool):  # noqa: F811
    scene = session_scene(opened_tender, expert_pool)  # 5 experts in venues of 511921, 511922 and 511923
    venues = {m.venue.region.code for m in Member.objects.filter(session=scene.session).select_related("venue__region")}
    assert venues == {"511921", "511922", "511923"}
    assert statistics()["evaluations"] == {"sessions": 1, "remote": 1, "cross_county": 1}
    assert statistics(region_ids=[scene.tender.region_id])["evaluations"]["remote"] == 1


@pytest.mark.parametrize(("value", "shown"), [
    (60500000.0, "60,500,000"), (4990000.5, "4,990,000.5"), (4.04, "4.04"), (0.0, "0"), (1234, "1,234"),
    ("巴中市", "巴中市"), (True, True),
])
def test_figures_in_the_tables_are_grouped_by_thousands(value, shown):
    from service.templatetags.stats_format import figure

    assert figure(value) == shown
