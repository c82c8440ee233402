"""The public announcement pages: the list and its filters, one page each, the tender page's list."""

import datetime

import time_machine
from django.template import Context, Template
from django.utils import timezone

from tests.announce.conftest import publish
from trading import actions
from trading.announce import announce
from trading.models import Announcement


def _titles(client, query=""):
    response = client.get(f"/announcements/?{query}")
    assert response.status_code == 200
    return [a.title for a in response.context["page"]]


def test_anyone_lists_announcements_newest_first_and_filters_by_type_region_and_date(regions, platform_pki, client):
    day = datetime.timedelta(days=1)
    start = timezone.now() - 10 * day
    with time_machine.travel(start, tick=False):
        tongjiang = publish("511921", title="通江道路")
    with time_machine.travel(start + 2 * day, tick=False):
        city = publish("511900", title="市级采购", category="procurement")
    with time_machine.travel(start + 4 * day, tick=False):
        amendment = actions.issue_amendment(actor=tongjiang.created_by, tender_id=tongjiang.pk, kind="clarification",
                                            text="澄清一", affects_bids=False)
        announce(tongjiang, "amendment", source=amendment)

    assert _titles(client) == ["通江道路变更公告", "市级采购公告", "通江道路招标公告"]
    assert _titles(client, "kind=amendment") == ["通江道路变更公告"]
    assert _titles(client, "kind=tender") == ["市级采购公告", "通江道路招标公告"]
    assert _titles(client, "region=511921") == ["通江道路变更公告", "通江道路招标公告"]
    assert _titles(client, "region=city") == ["市级采购公告"]
    assert _titles(client, "region=511900") == _titles(client)  # the whole city
    assert _titles(client, "region=511922") == []
    local = timezone.localtime
    assert _titles(client, f"date_from={local(start + 2 * day):%Y-%m-%d}") == ["通江道路变更公告", "市级采购公告"]
    assert _titles(client, f"date_to={local(start + 2 * day):%Y-%m-%d}") == ["市级采购公告", "通江道路招标公告"]
    assert _titles(client, f"kind=tender&region=511921&date_to={local(start):%Y-%m-%d}") == ["通江道路招标公告"]
    # A malformed filter shows everything with the error, it does not fail.
    response = client.get("/announcements/?date_from=yesterday&kind=rumour")
    assert response.status_code == 200 and response.context["form"].errors
    assert city.code in client.get("/announcements/?region=city").content.decode()


def test_the_list_pages_and_keeps_its_filters(published, client):
    for n in range(21):
        amendment = actions.issue_amendment(actor=published.created_by, tender_id=published.pk,
                                            kind="clarification", text=f"澄清{n}", affects_bids=False)
        announce(published, "amendment", source=amendment)
    first = client.get("/announcements/?kind=amendment")
    assert len(first.context["page"]) == 20 and first.context["page"].paginator.count == 21
    assert 'href="?kind=amendment&amp;page=2"' in first.content.decode()
    second = client.get("/announcements/?kind=amendment&page=2")
    assert [a.kind for a in second.context["page"]] == ["amendment"]


def test_the_list_needs_a_bounded_number_of_queries(regions, platform_pki, client, django_assert_max_num_queries):
    for region in ("511921", "511922", "511900", "511921", "511922"):
        publish(region)
    client.get("/announcements/")  # warm the session, the caches
    with django_assert_max_num_queries(4):  # regions, count, the page (3 today)
        response = client.get("/announcements/")
    assert len(response.context["page"]) == 5


def test_the_detail_page_shows_the_frozen_content_to_anyone(published, client):
    a = Announcement.objects.get(tender=published)
    page = client.get(f"/announcements/{a.pk}/").content.decode()
    assert a.title in page and a.number in page and published.code in page
    assert "¥20,000.00 元" in page and "依据《中华人民共和国招标投标法》第十六条发布" in page
    assert f'href="/tenders/{published.pk}/"' in page
    assert client.get("/announcements/999999/").status_code == 404
    assert client.post(f"/announcements/{a.pk}/").status_code == 405


def test_the_tender_page_list_shows_the_announcements_in_order(published):
    amendment = actions.issue_amendment(actor=published.created_by, tender_id=published.pk, kind="clarification",
                                        text="澄清", affects_bids=False)
    announce(published, "amendment", source=amendment)
    html = Template("{% load announcements %}{% tender_announcements tender %}").render(Context({"tender": published}))
    ids = list(Announcement.objects.filter(tender=published).order_by("published_at", "id").values_list("pk", flat=True))
    assert html.index(f"/announcements/{ids[0]}/") < html.index(f"/announcements/{ids[1]}/")
    assert "Tender announcement" in html and "Amendment announcement" in html


def test_the_pages_speak_chinese_by_default(published, client, settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        page = client.get("/announcements/").content.decode()
        assert "公告公示" in page and "招标公告" in page and "全部类型" in page
        a = Announcement.objects.get(tender=published)
        assert "签章 PDF 正在生成。" in client.get(f"/announcements/{a.pk}/").content.decode()
