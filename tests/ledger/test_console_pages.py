"""The console pages by entry number (`?before=N`), never by counting: at 5,000,000 entries an exact COUNT of
the matches on every request made each page take about a second (bench/bench_console.py)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger import chain
from ledger.models import Entry
from ledger.views import PAGE_ROWS


def _log(n, region="511921"):
    return [chain.append_in_transaction("test.action", region=region, payload={"i": i}).seq for i in range(n)]


def _shown(response):
    return [e.seq for e in response.context["page"]]


def _link(response, label):
    found = re.search(r'<a href="\?([^"]*)">' + label + "</a>", response.content.decode())
    return None if found is None else found.group(1).replace("&amp;", "&")


@pytest.mark.django_db
def test_pages_walk_back_and_forth_by_entry_number_without_counting(client, city_regulator):
    _log(2 * PAGE_ROWS + 7)
    seqs = list(Entry.objects.order_by("seq").values_list("seq", flat=True))  # with the fixtures' own entries
    client.force_login(city_regulator)

    with CaptureQueriesContext(connection) as queries:
        first = client.get("/ledger/")
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "ledger_entry" in q["sql"]]
    assert len(counts) == 1 and re.fullmatch(
        r'SELECT COUNT\(\*\) AS "__count" FROM "ledger_entry" WHERE "ledger_entry"."seq" > \d+', counts[0]), \
        "only the entries after the sequencer's head (at most a second's worth) are counted"
    assert _shown(first) == seqs[::-1][:PAGE_ROWS]
    assert 'data-tail="1"' in first.content.decode()  # the live tail runs on the newest page only
    assert _link(first, "较新") is None and _link(first, "最新") is None

    second = client.get("/ledger/?" + _link(first, "较早"))
    assert _shown(second) == seqs[::-1][PAGE_ROWS:2 * PAGE_ROWS]
    assert 'data-tail=""' in second.content.decode()
    assert _link(second, "较新") is None  # the newer page is the newest: one link, 最新
    assert _link(second, "最新") == ""

    third = client.get("/ledger/?" + _link(second, "较早"))
    assert _shown(third) == seqs[::-1][2 * PAGE_ROWS:]
    assert _link(third, "较早") is None
    assert f"#{seqs[-2 * PAGE_ROWS - 1]} – #{seqs[0]}" in third.content.decode()
    assert _shown(client.get("/ledger/?" + _link(third, "较新"))) == _shown(second)


@pytest.mark.django_db
def test_a_page_keeps_the_filter_and_the_readers_county(client, tongjiang_regulator):
    for _ in range(PAGE_ROWS + 3):
        _log(1, "511921")
        _log(1, "511922")
    ours = list(Entry.objects.filter(region_code="511921").order_by("-seq").values_list("seq", flat=True))
    client.force_login(tongjiang_regulator)
    first = client.get("/ledger/", {"region": "511921"})
    older = _link(first, "较早")
    assert "region=511921" in older
    second = client.get("/ledger/?" + older)
    assert _shown(second) == ours[PAGE_ROWS:2 * PAGE_ROWS]
    assert {e.region_code for e in second.context["page"]} == {"511921"}
    # Asking for another county's page by number shows only this county's entries below it.
    assert {e.region_code for e in client.get("/ledger/", {"before": ours[0]}).context["page"]} == {"511921"}


@pytest.mark.django_db
def test_a_whole_action_is_matched_exactly_and_a_prefix_matches_its_group(client, city_regulator):
    published = chain.append_in_transaction("tender.published", region="511921").seq
    amended = chain.append_in_transaction("tender.amended", region="511921").seq
    # Not an action the platform logs, but one that starts like one: a prefix finds it, the action does not.
    longer = chain.append_in_transaction("tender.published_again", region="511921").seq
    client.force_login(city_regulator)
    assert _shown(client.get("/ledger/", {"action": "tender.published"})) == [published]
    assert _shown(client.get("/ledger/", {"action": "tender.publish"})) == [longer, published]
    assert set(_shown(client.get("/ledger/", {"action": "tender."}))) >= {published, amended, longer}


@pytest.mark.django_db
@pytest.mark.parametrize("before", ["abc", "-1", "0", "１２"])
def test_a_page_number_that_is_not_one_is_refused_in_the_users_language(client, city_regulator, before):
    client.force_login(city_regulator)
    response = client.get("/ledger/", {"before": before})
    assert response.status_code == 400
    assert "参数“before”必须是整数" in response.content.decode()
    # Said in UTF-8, or a browser shows "å‚æ•°" (found walking make run's console).
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if before != "0":  # a live tail may ask for what follows entry 0
        assert client.get("/ledger/", {"after": before})["Content-Type"] == "text/plain; charset=utf-8"
