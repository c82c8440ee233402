"""Who may request, decide, see and keep notes; the officer's board; priority in the review queue."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.errors import DomainError, Forbidden
from ledger.models import Entry
from trading.actions import green
from trading.models import GreenChannelRequest, GreenNote, Milestone

from .green_world import approved, request, submitted_tender

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 9, 14, 9, 0, tzinfo=CST)
pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def people(make_user, tongjiang_tenderer):
    return {
        "owner": tongjiang_tenderer,
        "staff": make_user("staff", "511921", username="tj_staff"),
        "officer": make_user("staff", "511921", username="tj_officer"),
        "deputy": make_user("staff", "511921", username="tj_deputy"),
        "city": make_user("staff", "511900", username="c_staff"),
        "other": make_user("staff", "511922", username="nj_staff"),
        "reg": make_user("regulator", "511900", username="c_reg"),
        "reg_nj": make_user("regulator", "511922", username="nj_reg"),
    }


def _refused(fn, exc=Forbidden, **kwargs):
    before = (Entry.objects.count(), list(GreenChannelRequest.objects.values_list("status", "officer_id")))
    with pytest.raises(exc):
        fn(**kwargs)
    assert (Entry.objects.count(), list(GreenChannelRequest.objects.values_list("status", "officer_id"))) == before


def _decide(people, req, actor):
    return dict(actor=people[actor], request_id=req.pk, approve=True, reason="同意",
                officer_id=people["officer"].pk, deputy_id=people["deputy"].pk)


def test_only_the_projects_tenderer_requests(people, make_user):
    tender = submitted_tender(people["owner"])
    stranger = make_user("tenderer", "511921")
    for actor in (stranger, people["staff"], people["reg"]):
        with pytest.raises(Forbidden):
            request(actor, tender.project)
    req = request(people["owner"], tender.project)
    assert (req.status, req.reason, req.investment_fen) == ("requested", "major_investment", 500_000_000_00)
    entry = Entry.objects.filter(action="green.requested").get()
    assert entry.region_code == "511921"
    with pytest.raises(DomainError) as info:
        request(people["owner"], tender.project)
    assert info.value.code == "already_requested"


def test_only_the_center_of_the_city_or_the_county_decides(people):
    tender = submitted_tender(people["owner"])
    req = request(people["owner"], tender.project)
    for actor in ("owner", "other", "reg", "reg_nj"):
        _refused(green.decide_green_channel, **_decide(people, req, actor))
    assert not Milestone.objects.exists()
    decided = green.decide_green_channel(**_decide(people, req, "city"))
    assert decided.status == "approved"
    assert Milestone.objects.filter(request=req, tender=tender).count() == 7
    assert Entry.objects.filter(action="green.approved").count() == 1


def test_a_refusal_needs_a_reason_and_makes_no_plan(people):
    req = request(people["owner"], submitted_tender(people["owner"]).project)
    with pytest.raises(DomainError):
        green.decide_green_channel(actor=people["staff"], request_id=req.pk, approve=False, reason=" ")
    green.decide_green_channel(actor=people["staff"], request_id=req.pk, approve=False, reason="投资额未达标准")
    req.refresh_from_db()
    assert (req.status, req.decision_reason, req.officer_id) == ("refused", "投资额未达标准", None)
    assert not Milestone.objects.exists()
    request(people["owner"], req.project)  # a new request after a refusal is allowed


def test_officers_must_be_staff_covering_the_project(people):
    req = request(people["owner"], submitted_tender(people["owner"]).project)
    for officer, deputy in (("other", "deputy"), ("officer", "officer"), ("officer", "reg")):
        with pytest.raises(DomainError):
            green.decide_green_channel(actor=people["staff"], request_id=req.pk, approve=True, reason="同意",
                                       officer_id=people[officer].pk, deputy_id=people[deputy].pk)
    assert GreenChannelRequest.objects.get().status == "requested"
    green.decide_green_channel(actor=people["staff"], request_id=req.pk, approve=True, reason="同意",
                               officer_id=people["officer"].pk, deputy_id=people["city"].pk)


def test_other_county_staff_cannot_see_the_request(people, client):
    req = request(people["owner"], submitted_tender(people["owner"]).project)
    url = reverse("trading:green_detail", args=[req.pk])
    client.force_login(people["other"])
    assert client.get(url).status_code == 403
    assert client.get(reverse("trading:green_evidence", args=[req.pk])).status_code == 403
    assert client.post(reverse("trading:green_decide", args=[req.pk]),
                       {"decision": "approve", "reason": "同意", "officer": people["officer"].pk,
                        "deputy": people["deputy"].pk}).status_code == 403
    assert GreenChannelRequest.objects.get().status == "requested"
    client.force_login(people["staff"])
    page = client.get(url)
    assert page.status_code == 200 and "id=\"green-decide\"" in page.content.decode()


def test_the_officer_sees_only_their_projects_and_keeps_notes(people, client, make_user):
    mine = approved(people["owner"], people["staff"], people["officer"], people["deputy"],
                    submitted_tender(people["owner"], title="我的绿色通道标段").project)
    other_owner = make_user("tenderer", "511921")
    approved(other_owner, people["staff"], people["deputy"], people["city"],
             submitted_tender(other_owner, title="别人的绿色通道标段").project)
    client.force_login(people["officer"])
    page = client.get(reverse("trading:green_board")).content.decode()
    assert "我的绿色通道标段" in page and "别人的绿色通道标段" not in page
    response = client.post(reverse("trading:green_note", args=[mine.pk]),
                           {"kind": "contact", "channel": "phone", "contact_person": "赵招标", "text": "确认开标安排"})
    assert response.status_code == 302
    note = GreenNote.objects.get()
    assert (note.kind, note.channel, note.author) == ("contact", "phone", people["officer"])
    assert "确认开标安排" in client.get(reverse("trading:green_board")).content.decode()
    # Someone else's staff member may not write in this project's log.
    _refused(green.add_note, actor=people["other"], request_id=mine.pk, kind="note", text="x")
    _refused(green.add_note, actor=people["city"], request_id=mine.pk, kind="note", text="x")


def test_a_green_tender_submitted_later_is_reviewed_first(people, client, make_user):
    other_owner = make_user("tenderer", "511921")
    ordinary = submitted_tender(other_owner, title="普通标段")
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        tender = submitted_tender(people["owner"], title="绿色通道标段")
        approved(people["owner"], people["staff"], people["officer"], people["deputy"], tender.project)
    assert tender.submitted_at > ordinary.submitted_at
    for user in ("staff", "city", "reg"):
        client.force_login(people[user])
        page = client.get(reverse("trading:review")).content.decode()
        assert page.index("绿色通道标段") < page.index("普通标段")
        assert "badge green-channel" in page and "绿色通道</span>" in page
    client.force_login(people["other"])  # another county's queue shows neither
    page = client.get(reverse("trading:review")).content.decode()
    assert "绿色通道标段" not in page and "普通标段" not in page


def test_the_city_overview_shows_every_project_county_scope_only_its_own(people, client, make_user):
    approved(people["owner"], people["staff"], people["officer"], people["deputy"],
             submitted_tender(people["owner"]).project)
    nj_owner = make_user("tenderer", "511922")
    nj_staff = [make_user("staff", "511922") for _ in range(2)]
    approved(nj_owner, people["other"], nj_staff[0], nj_staff[1], submitted_tender(nj_owner, "511922").project)
    names = {r.project.name for r in GreenChannelRequest.objects.select_related("project")}
    assert len(names) == 1  # both "测试项目": count the sections instead
    client.force_login(people["reg"])
    assert client.get(reverse("trading:green_overview")).content.decode().count('class="green-project"') == 2
    client.force_login(people["reg_nj"])
    assert client.get(reverse("trading:green_overview")).content.decode().count('class="green-project"') == 1
    client.force_login(people["owner"])
    assert client.get(reverse("trading:green_overview")).status_code == 403
    assert client.get(reverse("trading:green_board")).status_code == 403
