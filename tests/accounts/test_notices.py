"""Notices (issue 14): an event that concerns a user reaches them through the SMS backend and as a notice in
their workspace and at /notices/, only after the action commits; each user reads and marks only their own."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from accounts import sms
from accounts.models import Notice, User
from accounts.notices import notify
from evaluation.actions import clarify
from evaluation.models import Clarification
from tests.evaluation.conftest import expert_pool, opened_tender, specialties  # noqa: F401  (fixtures of tests/evaluation)
from tests.evaluation.draw_setup import drawn
from tests.evaluation.session_setup import session_scene
from tests.factories import make_tender, make_user
from trading import actions
from trading.actions import opening

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.SITE_URL = SITE
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _notices(user):
    return list(Notice.objects.filter(user=user).order_by("id").values_list("kind", "text", "url", "read_at"))


def test_a_notice_is_stored_and_texted_once_the_action_commits(regions, django_capture_on_commit_callbacks):
    user = make_user("bidder", phone="13900000001")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        notify(user, Notice.Kind.OBJECTION, "您对 T-1 提出的异议已答复。", "/tenders/1/")
        assert sms.outbox == []  # not before the commit
    assert _notices(user) == [("objection", "您对 T-1 提出的异议已答复。", "/tenders/1/", None)]
    assert len(callbacks) == 1
    callbacks[0]()
    assert sms.outbox == [("13900000001", f"【巴中市公共资源交易平台】您对 T-1 提出的异议已答复。 {SITE}/tenders/1/")]


def test_a_rolled_back_action_notifies_nobody(regions, django_capture_on_commit_callbacks):
    user = make_user("bidder", phone="13900000002")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            notify(user, Notice.Kind.OBJECTION, "x", "/")
            raise RuntimeError("the action failed after notifying")
    assert (_notices(user), sms.outbox, callbacks) == ([], [], [])


def test_nobody_without_a_phone_or_an_account_is_texted(regions, django_capture_on_commit_callbacks):
    user = make_user("bidder")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(None, Notice.Kind.DRAW, "x") is None
        notify(user, Notice.Kind.DRAW, "y")
    assert sms.outbox == [] and [n[1] for n in _notices(user)] == ["y"]


# --- the four events ----------------------------------------------------------------------------------------

def test_a_clarification_request_reaches_the_bidders_people(opened_tender, expert_pool,  # noqa: F811
                                                            django_capture_on_commit_callbacks):
    scene = session_scene(opened_tender, expert_pool)
    scene.to_stage("qualification")
    bidder = scene.bidders[0]
    User.objects.filter(pk=bidder.pk).update(phone="13900000003")
    colleague = make_user("bidder", org=bidder.organization)
    not_a_bidder = make_user("tenderer", org=bidder.organization)
    sms.outbox.clear()  # the draw's texts
    with django_capture_on_commit_callbacks(execute=True):
        result = clarify.ask_clarification(actor=scene.leader_user(), session_id=scene.session.pk,
                                           bid=scene.bids[0].pk, question="报价大小写不一致，请澄清。", minutes=30)
    deadline = Clarification.objects.get(pk=result["clarification"]).deadline
    local = deadline.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    text = f"{scene.tender.code} 的评标委员会要求贵单位澄清，请在 {local} 前答复。"
    assert _notices(bidder) == _notices(colleague) == [("clarification", text, "/evaluation/clarifications/", None)]
    assert _notices(not_a_bidder) == [] and _notices(scene.bidders[1]) == []
    assert sms.outbox == [("13900000003", f"【巴中市公共资源交易平台】{text} {SITE}/evaluation/clarifications/")]
    assert "报价" not in text  # the question stays in the platform (实施条例 art. 49)


def test_the_answer_to_an_objection_reaches_who_raised_it(regions, platform_pki, django_capture_on_commit_callbacks):
    owner, staff = make_user("tenderer", "511921"), make_user("staff", "511921")
    tender = make_tender(owner, "511921", publish_by=staff)
    raiser = make_user("bidder", phone="13900000004")
    objection = actions.raise_objection(actor=raiser, tender_id=tender.pk, text="资格条件排斥潜在投标人")
    assert _notices(raiser) == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.answer_objection(actor=owner, objection_id=objection.pk, answer="资格条件符合法律规定")
    text = f"您对 {tender.code} 提出的异议已答复。"
    assert _notices(raiser) == [("objection", text, f"/tenders/{tender.pk}/", None)]
    assert sms.outbox == [("13900000004", f"【巴中市公共资源交易平台】{text} {SITE}/tenders/{tender.pk}/")]
    assert _notices(owner) == []


def test_a_drawn_expert_with_an_account_finds_the_draw_without_its_code(opened_tender, expert_pool,  # noqa: F811
                                                                        django_capture_on_commit_callbacks):
    from evaluation.models import Expert

    experts = expert_pool(11)
    users = {}
    for expert in experts:
        users[expert.pk] = make_user("expert", username=f"exp-{expert.pk}")
        Expert.objects.filter(pk=expert.pk).update(user=users[expert.pk])
    draw, codes = drawn(opened_tender, django_capture_on_commit_callbacks)
    seats = list(draw.seats.select_related("expert"))
    assert len(sms.outbox) == len(seats) == 5  # one text per seat, the draw's own: no second text
    for seat in seats:
        [(kind, text, url, read_at)] = _notices(users[seat.expert_id])
        assert (kind, url, read_at) == ("draw", f"/evaluation/draws/answer/{seat.link_token}/", None)
        assert opened_tender.tender.code in text and codes[seat.pk] not in text
    undrawn = set(users) - {s.expert_id for s in seats}
    assert all(_notices(users[pk]) == [] for pk in undrawn)


def test_custodians_are_told_to_release_their_share_when_the_opening_starts(platform_pki, regions,
                                                                            django_capture_on_commit_callbacks):
    from tests.realtime.opening_setup import opening_scene

    scene = opening_scene(3)
    User.objects.filter(pk=scene.custodians[0].pk).update(phone="13900000005")
    with scene.after_deadline(), django_capture_on_commit_callbacks(execute=True):
        opening.start_opening(scene.tender.pk)
        opening.start_opening(scene.tender.pk)  # idempotent: told once
    text = f"{scene.tender.code} 已开标：请进入开标大厅签到并释放您的密钥份额。"
    hall = f"/tenders/{scene.tender.pk}/opening/"
    for custodian in scene.custodians:
        assert _notices(custodian) == [("share", text, hall, None)]
    assert sms.outbox == [("13900000005", f"【巴中市公共资源交易平台】{text} {SITE}{hall}")]
    assert all(_notices(b) == [] for b in scene.bidders)


# --- the pages ----------------------------------------------------------------------------------------------

def _two_users_with_notices():
    me, other = make_user("bidder"), make_user("custodian")
    with transaction.atomic():
        notify(me, Notice.Kind.OBJECTION, "我的第一条", "/tenders/")
        notify(me, Notice.Kind.CLARIFICATION, "我的第二条", "/evaluation/clarifications/")
        theirs = notify(other, Notice.Kind.SHARE, "别人的通知", "/tenders/9/opening/")
    return me, other, theirs


def test_the_notice_list_shows_only_ones_own_newest_first(client, regions):
    me, _other, _theirs = _two_users_with_notices()
    client.force_login(me)
    body = client.get("/notices/").content.decode()
    assert body.index("我的第二条") < body.index("我的第一条") and "别人的通知" not in body
    assert "2 条未读通知" in body


def test_marking_read_and_opening_a_notice(client, regions):
    me, _other, _theirs = _two_users_with_notices()
    first, second = Notice.objects.filter(user=me).order_by("id")
    client.force_login(me)
    with time_machine.travel(datetime.datetime(2026, 12, 3, 2, 0, tzinfo=datetime.UTC), tick=False):
        response = client.post(f"/notices/{first.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notices/"
    first.refresh_from_db()
    assert first.read_at == datetime.datetime(2026, 12, 3, 2, 0, tzinfo=datetime.UTC)
    response = client.post(f"/notices/{second.pk}/read/", {"open": "1"})
    assert response["Location"] == "/evaluation/clarifications/"
    assert Notice.objects.filter(user=me, read_at__isnull=True).count() == 0
    again = client.post(f"/notices/{first.pk}/read/")  # already read: unchanged
    assert again.status_code == 302
    first.refresh_from_db()
    assert first.read_at == datetime.datetime(2026, 12, 3, 2, 0, tzinfo=datetime.UTC)


def test_nobody_reads_or_marks_someone_elses_notice(client, regions):
    me, _other, theirs = _two_users_with_notices()
    before = list(Notice.objects.order_by("id").values())
    client.force_login(me)
    assert client.post(f"/notices/{theirs.pk}/read/", {"open": "1"}).status_code == 404
    assert client.get(f"/notices/{theirs.pk}/read/").status_code == 405
    client.logout()
    assert client.get("/notices/").status_code == 302
    assert client.post(f"/notices/{theirs.pk}/read/").status_code == 302  # to sign-in
    assert list(Notice.objects.order_by("id").values()) == before


def test_the_workspace_shows_the_newest_notices_unread_first(client, regions):
    me, _other, _theirs = _two_users_with_notices()
    first = Notice.objects.filter(user=me).order_by("id").first()
    Notice.objects.filter(pk=first.pk).update(read_at=first.created_at)
    with transaction.atomic():
        notify(me, Notice.Kind.DRAW, "我的第三条", "")
    client.force_login(me)
    response = client.get("/workspace/")
    body = response.content.decode()
    assert 'id="ws-notices"' in body and 'href="/notices/"' in body and "别人的通知" not in body
    assert [n.text for n in response.context["notices"]["recent"]] == ["我的第三条", "我的第二条", "我的第一条"]
    assert response.context["notices"]["unread"] == 2 and "2 条未读" in body
