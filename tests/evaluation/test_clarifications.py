"""Clarifications (澄清, 实施条例 art. 52): the leader asks one bidder, the bidder answers once before the
deadline; the log holds digests, the committee's stream and the bidder's company hear of it."""

import datetime
import hashlib
import json

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.errors import DomainError
from evaluation.actions import clarify
from evaluation.actions import session as session_actions
from evaluation.models import Clarification
from ledger.models import Entry
from realtime.models import StreamEvent
from realtime.testing import capture_events
from tests.evaluation.session_setup import session_scene
from tests.factories import make_user

pytestmark = pytest.mark.django_db

QUESTION = "投标函中报价大写为壹仟万元,小写为10,000,100.00元,请澄清以哪一个为准。"
PDF = b"%PDF-1.4\n% clarification\n%%EOF\n"


@pytest.fixture
def scene(opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool)
    scene.to_stage("qualification")
    return scene


FIRST = object()  # the first bid


def ask(scene, actor=None, bid=FIRST, question=QUESTION, minutes=30):
    return clarify.ask_clarification(actor=actor or scene.leader_user(), session_id=scene.session.pk,
                                     bid=scene.bids[0].pk if bid is FIRST else bid, question=question,
                                     minutes=minutes)


def state():
    """Everything an action could have written: requests, the log, the session stream, stored answer files."""
    media = settings.MEDIA_ROOT / "clarifications"
    return (list(Clarification.objects.order_by("id").values()), Entry.objects.count(),
            StreamEvent.objects.count(), sorted(str(p) for p in media.rglob("*")) if media.exists() else [])


def last_entry(action):
    entry = Entry.objects.filter(action=action).latest("seq")
    return entry, json.loads(entry.payload)


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_leader_asks_and_the_bidder_answers_with_a_file(scene):
    bid = scene.bids[0]
    bidder = scene.bidders[0]
    with capture_events() as events:
        result = ask(scene, minutes=45)
    c = Clarification.objects.get(pk=result["clarification"])
    assert (c.bid_id, c.question, c.asked_by_id, c.answered_at) == (bid.pk, QUESTION, scene.session.leader_id, None)
    assert c.deadline - c.asked_at == datetime.timedelta(minutes=45)
    entry, payload = last_entry("evaluation.clarification_asked")
    assert payload == {"session": scene.session.pk, "clarification": c.pk, "member": scene.session.leader_id,
                       "bid": bid.bid.receipt_no, "deadline": c.deadline.astimezone(datetime.UTC).isoformat(),
                       "question_sha256": sha(QUESTION)}
    assert QUESTION not in entry.payload and entry.tender_ref == scene.tender.code and entry.role == "expert"
    stream = [e for e in events if e["type"] == "stream.event"]
    assert [(e["group"], e["data"]["type"]) for e in stream] == [
        (f"evaluation-session-{scene.session.pk}", "clarification.asked")]
    assert stream[0]["data"]["data"]["audience"] == "committee"
    assert stream[0]["data"]["data"]["question"] == QUESTION and stream[0]["data"]["data"]["bid"] == bid.pk
    to_companies = [e for e in events if e["type"] == "clarification.event"]
    assert [e["group"] for e in to_companies] == [f"organization-{bidder.organization_id}"]
    row = to_companies[0]["data"]["clarification"]
    assert to_companies[0]["data"]["kind"] == "asked"
    assert set(row) == {"id", "tender", "receipt_no", "question", "asked_at", "deadline", "answer", "answered_at",
                        "file", "open"}
    assert (row["question"], row["receipt_no"], row["open"], row["answer"]) == (
        QUESTION, bid.bid.receipt_no, True, None)

    with capture_events() as events:
        clarify.answer_clarification(actor=bidder, clarification_id=c.pk, text="  以大写金额为准。 ",
                                     uploaded=SimpleUploadedFile("说明.pdf", PDF))
    c.refresh_from_db()
    assert (c.answer, c.answered_by_id, c.answer_file_name) == ("以大写金额为准。", bidder.pk, "说明.pdf")
    assert c.answer_sha256 == hashlib.sha256(PDF).hexdigest()
    assert (settings.MEDIA_ROOT / c.answer_file).read_bytes() == PDF
    entry, payload = last_entry("evaluation.clarification_answered")
    assert payload == {"session": scene.session.pk, "clarification": c.pk, "bid": bid.bid.receipt_no,
                       "text_sha256": sha("以大写金额为准。"), "file_sha256": hashlib.sha256(PDF).hexdigest(),
                       "file_size": len(PDF)}
    assert (entry.actor_id, entry.role) == (bidder.pk, "bidder") and "以大写" not in entry.payload
    stream = [e["data"] for e in events if e["type"] == "stream.event"]
    assert [s["type"] for s in stream] == ["clarification.answered"]
    assert stream[0]["data"]["audience"] == "committee"
    assert (stream[0]["data"]["answer"], stream[0]["data"]["file"], stream[0]["data"]["file_id"]) == (
        "以大写金额为准。", "说明.pdf", c.pk)
    to_companies = [e for e in events if e["type"] == "clarification.event"]
    assert [(e["group"], e["data"]["kind"]) for e in to_companies] == [
        (f"organization-{bidder.organization_id}", "answered")]
    assert to_companies[0]["data"]["clarification"]["open"] is False


def test_an_answer_without_a_file_is_enough(scene):
    c = ask(scene, bid=scene.bids[1].pk)["clarification"]
    clarify.answer_clarification(actor=scene.bidders[1], clarification_id=c, text="工期为180日历天。")
    _, payload = last_entry("evaluation.clarification_answered")
    assert (payload["file_sha256"], payload["file_size"]) == ("", 0)
    assert Clarification.objects.get(pk=c).answer_file == ""


def refused(code, fn, **kwargs):
    before = state()
    with capture_events() as events, pytest.raises(DomainError) as exc:
        fn(**kwargs)
    assert exc.value.code == code, exc.value.code
    assert state() == before and events == []
    return exc.value


def test_a_question_out_of_bounds_is_refused(scene):
    for change, code in [
        ({"question": ""}, "invalid_question"),
        ({"question": "   "}, "invalid_question"),
        ({"question": None}, "invalid_question"),
        ({"question": "问" * 2001}, "invalid_question"),
        ({"minutes": 9}, "invalid_minutes"),
        ({"minutes": 1441}, "invalid_minutes"),
        ({"minutes": "半小时"}, "invalid_minutes"),
        ({"minutes": True}, "invalid_minutes"),
        ({"minutes": None}, "invalid_minutes"),
        ({"bid": 10**12}, "unknown_bid"),
        ({"bid": 2**70}, "unknown_bid"),
        ({"bid": "A"}, "unknown_bid"),
        ({"bid": None}, "unknown_bid"),
    ]:
        refused(code, ask, scene=scene, **change)


def test_the_longest_question_and_the_bounds_of_the_time_pass(scene):
    ask(scene, question="问" * 2000, minutes=10)
    ask(scene, minutes="1440")
    assert Clarification.objects.count() == 2


def test_only_the_leader_asks(scene):
    other = next(m for m in scene.members if m.pk != scene.session.leader_id)
    refused("not_leader", ask, scene=scene, actor=other.user)
    refused("not_member", ask, scene=scene, actor=scene.host)
    refused("not_member", ask, scene=scene, actor=scene.bidders[0])


def test_a_paused_session_takes_no_question(scene):
    session_actions.pause_session(actor=scene.host, session_id=scene.session.pk, reason="网络中断")
    refused("paused", ask, scene=scene)


def test_no_question_before_the_qualification_review(opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool)
    scene.to_stage("leader")
    # The leader exists only from the qualification review on: at the election the member is no leader yet.
    refused("not_leader", ask, scene=scene, actor=scene.members[0].user)


def test_no_question_once_the_ranking_starts(opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool)
    scene.to_stage("ranking")
    refused("wrong_stage", ask, scene=scene)


def test_a_bid_that_was_not_opened_is_unknown(scene):
    from trading.models import OpenedBid

    bid = scene.bids[2]
    OpenedBid.objects.filter(pk=bid.pk).update(outcome="withdrawn")  # 电子招标投标办法 art. 31
    refused("unknown_bid", ask, scene=scene, bid=bid.pk)


@pytest.fixture
def asked(scene):
    scene.clarification = Clarification.objects.get(pk=ask(scene)["clarification"])
    return scene


def answer(scene, actor=None, text="以大写金额为准。", uploaded=None):
    return clarify.answer_clarification(actor=actor or scene.bidders[0], clarification_id=scene.clarification.pk,
                                        text=text, uploaded=uploaded)


def test_another_company_may_not_answer(asked):
    # One that bid in the same tender, one that did not, and a staff member of the region.
    for actor in (asked.bidders[1], asked.opened.outsider, asked.host):
        refused("permission_denied", answer, scene=asked, actor=actor)


def test_a_colleague_of_the_bidder_may_answer(asked):
    colleague = make_user("bidder", "511921", org=asked.bidders[0].organization)
    answer(asked, actor=colleague)
    asked.clarification.refresh_from_db()
    assert asked.clarification.answered_by_id == colleague.pk


def test_an_answer_after_the_deadline_is_refused(asked):
    with time_machine.travel(asked.clarification.deadline, tick=False):
        error = refused("too_late", answer, scene=asked)
    assert error.http_status == 409


def test_a_request_is_answered_once(asked):
    answer(asked)
    error = refused("already_answered", answer, scene=asked, text="补充说明")
    assert error.http_status == 409


def test_an_answer_out_of_bounds_is_refused(asked):
    for text, uploaded, code in [
        ("", None, "invalid_answer"),
        ("  ", None, "invalid_answer"),
        ("答" * 5001, None, "invalid_answer"),
        ("见附件", SimpleUploadedFile("说明.exe", b"MZ"), "file_type_not_allowed"),
        ("见附件", SimpleUploadedFile("说明.pdf", b"not a pdf"), "file_content_mismatch"),
        ("见附件", SimpleUploadedFile("说明.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024 - 4)), "file_too_large"),
    ]:
        refused(code, answer, scene=asked, text=text, uploaded=uploaded)


def test_the_longest_answer_and_a_file_of_20_mb_pass(asked):
    body = b"%PDF-" + b"0" * (20 * 1024 * 1024 - 5)
    answer(asked, text="答" * 5000, uploaded=SimpleUploadedFile("大.pdf", body))
    asked.clarification.refresh_from_db()
    assert asked.clarification.answer_sha256 == hashlib.sha256(body).hexdigest()


# --- the bidder's workspace and the answer's attachment --------------------------------------------------

def page(user):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_workspace_shows_the_company_its_own_requests_and_nothing_of_the_session(asked):
    response = page(asked.bidders[0]).get("/evaluation/clarifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert QUESTION in html and asked.tender.code in html
    assert asked.bids[0].bid.receipt_no in html
    assert f'action="/evaluation/clarifications/{asked.clarification.pk}/answer/"' in html
    assert 'href="/evaluation/clarifications/"' in html  # the navigation's link
    # No expert, no other bidder, no score of the session.
    for expert in asked.experts:
        assert expert.name not in html and expert.user.username not in html
    for other in asked.bidders[1:]:
        assert other.organization.name not in html and asked.bids[1].bid.receipt_no not in html
    assert QUESTION not in page(asked.bidders[1]).get("/evaluation/clarifications/").content.decode()


def test_only_bidders_have_the_workspace(asked):
    for user in (asked.host, asked.regulator, asked.members[0].user):
        assert page(user).get("/evaluation/clarifications/").status_code == 403
    response = page(None).get("/evaluation/clarifications/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_bidder_answers_through_the_form(asked):
    url = f"/evaluation/clarifications/{asked.clarification.pk}/answer/"
    client = page(asked.bidders[0])
    response = client.post(url, {"text": "以大写金额为准。", "file": SimpleUploadedFile("说明.pdf", PDF)})
    assert response.status_code == 302 and response["Location"] == "/evaluation/clarifications/"
    asked.clarification.refresh_from_db()
    assert (asked.clarification.answer, asked.clarification.answer_file_name) == ("以大写金额为准。", "说明.pdf")
    html = client.get("/evaluation/clarifications/").content.decode()
    assert "以大写金额为准。" in html and f"/evaluation/clarifications/{asked.clarification.pk}/file/" in html
    assert f'action="{url}"' in html and "hidden>" in html.split(f'action="{url}"')[1][:20]  # the form is hidden


def test_a_refused_answer_comes_back_with_the_reason_and_the_text(asked):
    url = f"/evaluation/clarifications/{asked.clarification.pk}/answer/"
    before = state()
    with time_machine.travel(asked.clarification.deadline, tick=False):
        response = page(asked.bidders[0]).post(url, {"text": "迟到的答复"})
    assert response.status_code == 409 and "迟到的答复</textarea>" in response.content.decode()
    assert page(asked.bidders[1]).post(url, {"text": "冒名答复"}).status_code == 403
    assert page(asked.bidders[0]).post("/evaluation/clarifications/999999/answer/", {"text": "x"}).status_code == 404
    assert page(asked.bidders[0]).get(url).status_code == 405
    assert state() == before


def test_who_may_download_the_answers_attachment(asked):
    answer(asked, uploaded=SimpleUploadedFile("说明.pdf", PDF))
    url = f"/evaluation/clarifications/{asked.clarification.pk}/file/"
    other_venue_staff = next(u for v, u in asked.venue_staff.items() if v != asked.session.main_venue_id)
    cases = {
        "leader": (asked.leader_user(), 200, "expert"),
        "member": (asked.members[-1].user, 200, "expert"),
        "host": (asked.host, 200, "staff"),
        "city staff": (make_user("staff", "511900"), 200, "staff"),
        "regulator": (asked.regulator, 200, "regulator"),
        "city regulator": (make_user("regulator", "511900"), 200, "regulator"),
        "the bidder": (asked.bidders[0], 200, "bidder"),
        "the bidder's colleague": (make_user("bidder", "511921", org=asked.bidders[0].organization), 200, "bidder"),
        "sub-venue staff": (other_venue_staff, 403, None),
        "other county's regulator": (make_user("regulator", "511922"), 403, None),
        "another bidder": (asked.bidders[1], 403, None),
        "a bidder without a bid": (asked.opened.outsider, 403, None),
        "an expert outside the committee": (make_user("expert", "511900"), 403, None),
    }
    for label, (user, status, role) in cases.items():
        head = Entry.objects.count()
        response = page(user).get(url)
        assert response.status_code == status, label
        if status == 200:
            assert b"".join(response.streaming_content) == PDF, label
            assert response["X-Content-SHA256"] == hashlib.sha256(PDF).hexdigest()
            entry, payload = last_entry("evaluation.clarification_file_read")
            assert (Entry.objects.count(), entry.actor_id, entry.role) == (head + 1, user.pk, role), label
            assert payload["clarification"] == asked.clarification.pk
        else:
            assert Entry.objects.count() == head, label
    response = page(None).get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_answer_without_attachment_has_no_file_to_download(asked):
    answer(asked)
    head = Entry.objects.count()
    assert page(asked.bidders[0]).get(f"/evaluation/clarifications/{asked.clarification.pk}/file/").status_code == 404
    assert page(asked.bidders[1]).get(f"/evaluation/clarifications/{asked.clarification.pk}/file/").status_code == 403
    assert Entry.objects.count() == head
