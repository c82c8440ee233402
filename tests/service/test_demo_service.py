"""`manage.py load_demo_service` after load_demo and load_demo_experts: the last full quarter replayed
through the real actions across the centers; the ranking, the overdue items and the ratings show it; run
again, it adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from ledger.models import Entry
from ledger.queries import last_seq
from service import ranking, ranking_demo
from service.models import OverdueItem, Rating
from tests.test_demo import old_key_files, reference_data  # noqa: F401  (fixtures)
from trading.models import Tender


@pytest.mark.django_db(transaction=True)
def test_the_service_demo_loads_once(platform_pki, reference_data, old_key_files, settings, tmp_path):  # noqa: F811
    settings.VAR_DIR = tmp_path / "var"
    call_command("load_demo", keys_dir=str(old_key_files), stdout=io.StringIO())
    call_command("load_demo_experts", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo_service", keys_dir=str(old_key_files), stdout=out)

    year, q = ranking_demo.previous_quarter(timezone.now())
    start, end = ranking.bounds(year, q)
    titles = [row[2] for row in ranking_demo.PLAN]
    tenders = Tender.objects.filter(title__in=titles)
    assert sorted(t.status for t in tenders) == ["awarded"] * len(titles)
    codes = [t.code for t in tenders]
    for action in ("tender.published", "opening.closed", "draw.requested", "award.candidates_recorded",
                   "award.confirmed"):
        moments = list(Entry.objects.filter(tender_ref__in=codes, action=action).values_list("created_at", flat=True))
        assert len(moments) == len(titles) and all(start <= m < end for m in moments), action
    # The reviews of 6 and 7 days are past their 3 working days; the draws 96 and 100 hours after the opening
    # past their 2; every 不满意 an item to answer.
    late_reviews = OverdueItem.objects.filter(step="review", tender__in=tenders)
    assert sorted(i.tender.title for i in late_reviews) == ["巴州区化成水库除险加固工程", "通江县至诚镇产业路建设工程"]
    late_draws = OverdueItem.objects.filter(step="draw", tender__in=tenders)
    assert sorted(i.tender.title for i in late_draws) == ["南江县中医医院门诊楼改造工程", "巴州区第三小学风雨操场建设工程"]
    grades = "".join(row[8] for row in ranking_demo.PLAN)
    ratings = Rating.objects.filter(tender__in=tenders)
    assert ratings.count() == len(grades) and ratings.filter(grade="dissatisfied").count() == grades.count("d")
    assert all(start <= r.created_at < end for r in ratings)

    result = ranking.compute(year, q)
    assert [r.region.code for r in result.inactive] == ["511971"]
    assert len(result.ranked) == 6 and [r.region.code for r in result.ranked if r.last] == ["511922"]
    assert "rankings: /service/rankings/" in out.getvalue()

    head, again = last_seq(), io.StringIO()
    call_command("load_demo_service", keys_dir=str(old_key_files), stdout=again)
    assert "already loaded" in again.getvalue() and last_seq() == head
