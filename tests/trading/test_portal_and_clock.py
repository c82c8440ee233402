import datetime

import time_machine
from django.utils import timezone

from ledger.models import Entry
from realtime.testing import capture_events
from tests.factories import make_tender
from trading import actions
from trading.models import Tender


def test_the_portal_filters_by_county_city_level_category_and_search(client, make_user, city_staff):
    tongjiang = make_tender(make_user("tenderer", "511921"), "511921", publish_by=city_staff, title="通江县道路工程")
    city = make_tender(make_user("tenderer", "511900"), "511900", category="procurement", publish_by=city_staff,
                       title="市级设备采购")

    def codes(query):
        return {t.code for t, _stage in client.get(f"/tenders/?{query}").context["rows"]}

    assert codes("") == {tongjiang.code, city.code}
    assert codes("region=511921") == {tongjiang.code}
    assert codes("region=city") == {city.code}
    assert codes("region=511922") == set()
    assert codes("category=procurement") == {city.code}
    assert codes("q=道路") == {tongjiang.code}
    assert codes(f"q={city.code}") == {city.code}


def test_the_api_lists_published_tenders_with_filters(client, make_user, city_staff):
    published = make_tender(make_user("tenderer", "511921"), "511921", publish_by=city_staff)
    make_tender(make_user("tenderer", "511921"), "511921")  # a draft: never listed
    body = client.get("/api/tenders/?region=511921").json()
    assert [t["code"] for t in body["results"]] == [published.code]


def test_stages_follow_the_clock_and_the_task_logs_each_once(client, tongjiang_staff, make_user):
    tender = make_tender(make_user("tenderer", "511921"), "511921", publish_by=tongjiang_staff)
    assert client.get(f"/tenders/{tender.pk}/").context["stage"] == "announced"
    with time_machine.travel(tender.documents_from + datetime.timedelta(seconds=1), tick=False):
        assert client.get(f"/tenders/{tender.pk}/").context["stage"] == "documents"
        with capture_events() as events:
            assert actions.record_clock_stages(tender.pk) == ["documents_open"]
        assert actions.record_clock_stages(tender.pk) == []
    assert any(e["type"] == "tender.changed" for e in events)
    with time_machine.travel(tender.bid_deadline, tick=False):
        # The page is right at the deadline even before the task has run.
        assert client.get(f"/tenders/{tender.pk}/").context["stage"] == "closed"
        assert actions.record_clock_stages(tender.pk) == ["documents_closed", "bids_closed"]
    tender.refresh_from_db()
    # No bids at all: at the deadline the tender fails (招标投标法 art. 28), it is never opened.
    assert (tender.status, tender.failure_reason) == ("failed", "fewer_than_three_bids")
    actions_logged = list(Entry.objects.filter(tender_ref=tender.code).values_list("action", flat=True))
    # The failure is announced to the public at once (流标公告, issue 13).
    assert actions_logged[-5:] == ["tender.documents_open", "tender.documents_closed", "tender.bids_closed",
                                   "tender.failed", "announcement.published"]


def test_publication_schedules_the_clock_task(tongjiang_staff, make_user, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        tender = make_tender(make_user("tenderer", "511921"), "511921", publish_by=tongjiang_staff)
    runs = sorted(DBTaskResult.objects.filter(task_path="trading.tasks.record_clock_stages")
                  .values_list("run_after", flat=True))
    assert runs == [tender.documents_from, tender.documents_until, tender.bid_deadline]


def test_amendments_are_refused_after_the_deadline(tongjiang_staff, make_user):
    owner = make_user("tenderer", "511921")
    tender = make_tender(owner, "511921", publish_by=tongjiang_staff)
    with time_machine.travel(tender.bid_deadline + datetime.timedelta(seconds=1), tick=False):
        from accounts.errors import DomainError

        try:
            actions.issue_amendment(actor=owner, tender_id=tender.pk, kind="clarification", text="迟到的澄清")
        except DomainError as exc:
            assert exc.code in ("deadline_passed", "permission_denied")
        else:
            raise AssertionError("an amendment after the deadline was accepted")
    assert not Tender.objects.get(pk=tender.pk).amendments.exists()
    assert timezone.now() < tender.bid_deadline


def test_the_portal_list_costs_the_same_queries_on_any_page(client, make_user, city_staff,
                                                            django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = make_user("tenderer", "511921")
    for _ in range(45):
        make_tender(owner, "511921", publish_by=None)
    from trading.models import Tender

    Tender.objects.update(status="published", published_at=timezone.now())  # a large portal, fast
    counts = []
    for query in ("", "page=2", "page=3", "region=511921&page=3", "q=测试&page=2"):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/tenders/?{query}")
        assert response.status_code == 200
        counts.append(len(ctx))
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 4
    assert len(client.get("/tenders/?page=3").context["rows"]) == 5
