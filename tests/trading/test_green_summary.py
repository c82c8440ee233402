"""The monthly summary of green-channel service: a signed PDF (platform seal) with the projects, the
days saved against ordinary handling and the milestones missed."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.errors import Forbidden
from records.models import Record
from records.verify import verify_pdf
from trading import actions
from trading.actions import green
from trading.green.summary import summary_data

from .green_world import approved, submitted_tender

CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


@pytest.fixture
def world(make_user, tongjiang_tenderer, platform_pki):
    staff = make_user("staff", "511921", username="tj_staff")
    officer = make_user("staff", "511921", username="tj_officer")
    deputy = make_user("staff", "511921", username="tj_deputy")
    other = make_user("tenderer", "511921")
    with time_machine.travel(at(2026, 9, 14, 9, 0), tick=False):  # Monday
        fast = submitted_tender(tongjiang_tenderer, title="按期标段")
        approved(tongjiang_tenderer, staff, officer, deputy, fast.project)
        slow = submitted_tender(other, title="逾期标段")
        approved(other, staff, deputy, officer, slow.project)
    with time_machine.travel(at(2026, 9, 15, 10, 0), tick=False):  # reviewed and published the next day
        actions.approve_tender(actor=staff, tender_id=fast.pk)
    return {"fast": fast, "slow": slow, "city": make_user("staff", "511900", username="c_staff"),
            "county": staff, "reg": make_user("regulator", "511900", username="c_reg")}


def test_the_summary_counts_days_saved_and_milestones_missed(world):
    with time_machine.travel(at(2026, 10, 2, 9, 0), tick=False):
        data = summary_data(2026, 9)
    assert (data["month"], data["as_of"]) == ("2026-09", "2026-09-30")
    fast, slow = data["projects"]
    # Published Tue 15 Sep; ordinarily: review by Thu 17 (3 working days), publication Fri 18.
    assert fast["days_saved"] == 3
    assert fast["missed"] == 0
    assert [(m["milestone"], m["state"]) for m in fast["milestones"][:2]] == [("文件审核", "按期完成"),
                                                                              ("公告发布", "按期完成")]
    # Never reviewed: review and publication (due Tue 15 Sep) are overdue on 30 Sep.
    assert (slow["days_saved"], slow["missed"]) == (0, 2)
    # Candidate publicity (issue 13) is met by its log entry; not due yet on 30 Sep.
    assert slow["milestones"][5]["state"] == "正常推进"


def test_the_summary_pdf_is_sealed_by_the_platform(world, client):
    with time_machine.travel(at(2026, 10, 2, 9, 0), tick=True):
        record = green.produce_monthly_summary(actor=world["city"], year=2026, month=9)
    assert record.kind == "green_channel_summary"
    assert record.title == "绿色通道服务月度汇总 · 2026-09"
    with record.file.open("rb") as f:
        report = verify_pdf(f.read())
    assert report.ok
    assert [s.field for s in report.signatures] == ["Seal"]
    client.force_login(world["reg"])  # the city's regulators read it
    assert client.get(reverse("records:download", args=[record.pk])).status_code == 200


def test_only_the_city_center_produces_it(world, client):
    for user in ("county", "reg"):
        with pytest.raises(Forbidden):
            green.produce_monthly_summary(actor=world[user], year=2026, month=9)
        client.force_login(world[user])
        assert client.post(reverse("trading:green_summary"), {"month": "2026-09"}).status_code == 403
    assert not Record.objects.exists()
    client.force_login(world["city"])
    response = client.post(reverse("trading:green_summary"), {"month": "2026-09"})
    record = Record.objects.get()
    assert response.status_code == 302 and response.url == reverse("records:download", args=[record.pk])


def test_a_month_before_any_approval_gives_an_empty_but_sealed_summary(world):
    with time_machine.travel(at(2026, 10, 2, 9, 0), tick=True):
        assert summary_data(2026, 8)["projects"] == []
        record = green.produce_monthly_summary(actor=world["city"], year=2026, month=8)
    with record.file.open("rb") as f:
        assert verify_pdf(f.read()).ok
