"""The pages of the live evaluation session, through Django's test client on a real database: staff open
the session from the draw page, every viewer gets one live page with the panels of their role and stage
(regulators none that act), and a list shows each person their sessions. What the page's script does over
the socket is the websocket's and the browser test's business; here: what the server renders."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from evaluation.models import EvaluationSession
from ledger.queries import last_seq
from tests.evaluation.draw_setup import request as request_draw
from tests.evaluation.session_setup import session_scene
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def client_of(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page(response):
    return response.content.decode()


def snapshot_of(response):
    """The snapshot the page was rendered with (the script's first paint)."""
    match = re.search(r'<script id="session-snapshot" type="application/json">(.*?)</script>', page(response), re.S)
    return json.loads(match.group(1))


def shown(html, element_id):
    """True when the element is rendered and not hidden; None when it is not rendered at all."""
    match = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html)
    if match is None:
        return None
    return not re.search(r"\shidden(\s|>|=)", match.group(0))


def zh(message):
    with translation.override("zh-hans"):
        return translation.gettext(message)


def texts(response):
    """The messages the response leaves for the next page (those of earlier unfollowed redirects first)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def unopened(opened_tender, expert_pool):
    """A complete remote draw (5 experts, 3 venues), no session yet."""
    return session_scene(opened_tender, expert_pool, open_session=False)


@pytest.fixture
def scene(opened_tender, expert_pool):
    return session_scene(opened_tender, expert_pool)


def session_url(scene):
    return reverse("evaluation:session", kwargs={"session_id": scene.session.pk})


def open_url(tender):
    return reverse("evaluation:session_open", kwargs={"tender_id": tender.pk})


# --- opening the session --------------------------------------------------------------------------------------

def test_staff_open_the_session_from_the_draw_page(unopened):
    staff = client_of(unopened.host)
    draw = unopened.tender.draws.get(status="complete")
    draw_url = reverse("evaluation:draw", kwargs={"pk": draw.pk})
    html = page(staff.get(draw_url))
    assert shown(html, "session-open-form") and shown(html, "session-link") is None
    assert f'action="{open_url(unopened.tender)}"' in html
    response = staff.post(open_url(unopened.tender), {"next": draw_url})
    session = EvaluationSession.objects.get(tender=unopened.tender)
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:session", kwargs={"session_id": session.pk})
    assert texts(response) == [zh("The evaluation session is open: check the experts in.")]
    assert session.stage == "check_in" and session.opened_by == unopened.host
    # Afterwards the draw page and the tender page link to the session instead of offering to open it.
    for url in (draw_url, reverse("trading:detail", kwargs={"pk": unopened.tender.pk})):
        html = page(staff.get(url))
        assert shown(html, "session-open-form") is None
        assert f'href="{response["Location"]}"' in html


def test_the_tender_page_offers_to_open_the_session_to_staff_of_its_region_only(unopened):
    url = reverse("trading:detail", kwargs={"pk": unopened.tender.pk})
    assert shown(page(client_of(unopened.host).get(url)), "session-open-form")
    assert shown(page(client_of(unopened.regulator).get(url)), "session-open-form") is None
    assert shown(page(client_of(make_user("staff", "511922")).get(url)), "session-open-form") is None


def test_a_session_does_not_open_before_the_draw_is_complete(opened_tender, expert_pool):
    expert_pool(8)
    request_draw(opened_tender)  # committed: waiting for the regulator's secret
    head = last_seq()
    response = client_of(opened_tender.host).post(open_url(opened_tender.tender), {"next": "/evaluation/sessions/"})
    assert response.status_code == 302 and response["Location"] == "/evaluation/sessions/"
    assert texts(response) == [zh("The expert draw of this tender is not complete.")]
    assert not EvaluationSession.objects.exists() and last_seq() == head
    # Nor is it offered on the draw page.
    draw = opened_tender.tender.draws.get()
    assert shown(page(client_of(opened_tender.host).get(reverse("evaluation:draw", kwargs={"pk": draw.pk}))),
                 "session-open-form") is None


@pytest.mark.parametrize("who", ["other_county_staff", "regulator", "bidder", "expert"])
def test_only_staff_of_the_tenders_region_open_the_session(unopened, who):
    user = {"other_county_staff": lambda: make_user("staff", "511922"), "regulator": lambda: unopened.regulator,
            "bidder": lambda: unopened.bidders[0], "expert": lambda: unopened.experts[0].user}[who]() \
        if who != "expert" else make_user("expert", "511900")
    head = last_seq()
    response = client_of(user).post(open_url(unopened.tender))
    assert response.status_code == 403
    assert not EvaluationSession.objects.exists() and last_seq() == head


def test_opening_asks_for_a_post_and_a_signed_in_user(unopened):
    url = open_url(unopened.tender)
    assert client_of(unopened.host).get(url).status_code == 405
    response = client_of(None).post(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert client_of(unopened.host).post(reverse("evaluation:session_open", kwargs={"tender_id": 999999})).status_code == 404
    assert not EvaluationSession.objects.exists()


def test_a_second_session_is_refused_and_a_venue_outside_the_draw_too(unopened):
    staff = client_of(unopened.host)
    response = staff.post(open_url(unopened.tender), {"main_venue": "999999"})
    assert response.status_code == 302
    assert texts(response) == [zh("Choose one of the draw's venues.")]
    assert not EvaluationSession.objects.exists()
    sub_venue = unopened.venues[1]
    assert staff.post(open_url(unopened.tender), {"main_venue": str(sub_venue.pk)}).status_code == 302
    session = EvaluationSession.objects.get()
    assert session.main_venue == sub_venue
    head = last_seq()
    again = staff.post(open_url(unopened.tender))
    assert texts(again)[-1] == zh("This tender's evaluation session is already open.")
    assert EvaluationSession.objects.count() == 1 and last_seq() == head


# --- who sees the live page -------------------------------------------------------------------------------------

def test_every_viewer_gets_the_page_in_their_role(scene):
    url = session_url(scene)
    sub_venue = scene.venues[1]
    viewers = {"host": scene.host, "venue_staff": scene.venue_staff[sub_venue.pk], "member": scene.members[0].user,
               "regulator": scene.regulator}
    for role, user in viewers.items():
        response = client_of(user).get(url)
        assert response.status_code == 200, role
        html = page(response)
        assert f'data-role="{role}"' in html and snapshot_of(response)["me"]["role"] == role
        assert f'"ws": "/ws/evaluation/{scene.session.pk}/"' in html
        assert shown(html, "session-stage-bar") and shown(html, "presence-panel")
    assert "评标会议" in page(client_of(scene.host).get(url))


def test_a_member_finds_the_session_on_their_draw_page_and_waits_to_be_checked_in(scene):
    member = scene.members[2]
    expert = client_of(member.user)
    draw_page = page(expert.get(reverse("evaluation:draw", kwargs={"pk": scene.session.draw_id})))
    assert f'href="{session_url(scene)}"' in draw_page and shown(draw_page, "session-open-form") is None
    html = page(expert.get(session_url(scene)))
    assert shown(html, "session-wait-check-in") and shown(html, "session-you")
    assert "本人严格按照招标文件确定的评标标准和方法" in html  # the commitment, ready for its stage
    from evaluation.actions import session as actions

    actions.check_in(actor=scene.host, session_id=scene.session.pk, member=member.pk, code=scene.codes[member.pk],
                     id_last4=member.expert.id_last4)
    assert not shown(page(expert.get(session_url(scene))), "session-wait-check-in")


def test_people_outside_the_session_are_refused(scene):
    url = session_url(scene)
    outsiders = [scene.bidders[0], make_user("staff", "511902"), make_user("expert", "511900"),
                 make_user("regulator", "511922"), scene.opened.custodians[0]]
    for user in outsiders:
        assert client_of(user).get(url).status_code == 403, user
    response = client_of(None).get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    missing = reverse("evaluation:session", kwargs={"session_id": scene.session.pk + 1000})
    assert client_of(scene.host).get(missing).status_code == 404


ACTING = ["checkin-panel", "host-panel", "pause-form", "advance-form", "commitment-panel", "leader-panel",
          "qualification-panel", "score-panel", "return-form", "ranking-form", "report-sign", "extension-form",
          "clarify-form", "leader-tools"]


def test_regulators_read_the_whole_session_and_get_no_control(scene):
    scene.to_stage("qualification")
    html = page(client_of(scene.regulator).get(session_url(scene)))
    assert [e for e in ACTING if shown(html, e) is not None] == []
    assert shown(html, "session-read-only")
    assert "行政监督" in html
    # Regulators see the drawn names (as in the draw); nobody gets a form of this page but the language switch
    # and sign-out of the header.
    names = [m["name"] for m in snapshot_of(client_of(scene.regulator).get(session_url(scene)))["members"]]
    assert names == [m.expert.name for m in scene.members]
    assert page(client_of(scene.regulator).get(session_url(scene))).count("<form") == 2


def test_staff_check_in_while_members_wait_and_venue_staff_only_check_in(scene):
    host = page(client_of(scene.host).get(session_url(scene)))
    assert shown(host, "checkin-panel") and shown(host, "host-panel") and shown(host, "pause-form")
    assert shown(host, "resume-row") is False and shown(host, "advance-form")
    venue = page(client_of(scene.venue_staff[scene.venues[1].pk]).get(session_url(scene)))
    assert shown(venue, "checkin-panel") and shown(venue, "host-panel") is None
    member = client_of(scene.members[0].user).get(session_url(scene))
    html = page(member)
    assert shown(html, "checkin-panel") is None and shown(html, "host-panel") is None
    assert [e for e in ("commitment-panel", "leader-panel", "qualification-panel", "score-panel") if shown(html, e)] == []
    # Before check-in staff see seats, not names; a member may be checked in by the host or their venue's staff.
    snap = snapshot_of(client_of(scene.host).get(session_url(scene)))
    assert {m["name"] for m in snap["members"]} == {None}
    assert all(m["id_last4_needed"] for m in snap["members"])
    venue_snap = snapshot_of(client_of(scene.venue_staff[scene.venues[1].pk]).get(session_url(scene)))
    assert {m["id"] for m in venue_snap["members"] if m["id_last4_needed"]} == {
        m.pk for m in scene.members if m.venue_id == scene.venues[1].pk}


def test_a_paused_session_shows_its_banner_and_the_resume_button(scene):
    from evaluation.actions import session as actions

    actions.pause_session(actor=scene.host, session_id=scene.session.pk, reason="网络故障")
    html = page(client_of(scene.members[0].user).get(session_url(scene)))
    assert shown(html, "session-paused") and "网络故障" in html
    host = page(client_of(scene.host).get(session_url(scene)))
    assert shown(host, "resume-row") and shown(host, "pause-form") is False


def test_each_stage_shows_its_controls_to_the_right_roles(scene):
    leader_page = lambda: page(client_of(scene.members[0].user).get(session_url(scene)))  # noqa: E731  elected
    member_page = lambda: page(client_of(scene.members[1].user).get(session_url(scene)))  # noqa: E731
    host_page = lambda: page(client_of(scene.host).get(session_url(scene)))  # noqa: E731

    scene.to_stage("commitments")
    html = member_page()
    assert shown(html, "commitment-panel") and shown(html, "commitment-form") and not shown(html, "commitment-done")
    assert shown(host_page(), "checkin-panel")  # a replacement may still have to be checked in

    scene.to_stage("leader")
    html = member_page()
    assert shown(html, "leader-panel") and not shown(html, "commitment-panel")
    assert not shown(host_page(), "checkin-panel")

    scene.to_stage("qualification")
    html, leader = member_page(), leader_page()
    assert shown(html, "qualification-panel") and not shown(html, "leader-panel")
    assert not shown(html, "leader-tools") and not shown(html, "clarify-form")
    assert shown(leader, "leader-tools") and shown(leader, "clarify-form")
    assert shown(html, "extension-form") and shown(html, "clarification-panel")

    scene.to_stage("scoring")
    html = member_page()
    assert shown(html, "score-panel") and not shown(html, "qualification-panel")
    snap = snapshot_of(client_of(scene.members[1].user).get(session_url(scene)))
    assert [(c["name"], c["weight"], c["kind"]) for c in snap["criteria"]] == [
        ("投标报价", 60, "price"), ("技术方案", 40, "technical")]
    assert all(b["price_score"] is not None for b in snap["bids"])  # computed when scoring starts, shown read-only

    scene.to_stage("review")
    html, leader, host = member_page(), leader_page(), host_page()
    assert shown(html, "review-panel") and not shown(html, "score-panel") and not shown(html, "return-form")
    assert shown(leader, "return-form") and shown(host, "review-panel")
    assert not shown(page(client_of(scene.regulator).get(session_url(scene))), "review-panel")  # no scores

    scene.to_stage("ranking")
    html = member_page()
    assert shown(html, "ranking-panel") and shown(html, "ranking-form") and not shown(html, "ranking-done")
    assert shown(html, "review-panel")  # the summary stays readable

    scene.to_stage("signing")
    html = member_page()
    assert shown(html, "signing-panel") and shown(html, "signing-row") and shown(html, "ranking-done")
    assert not shown(html, "ranking-form") and not shown(html, "extension-form")
    assert not shown(host_page(), "signing-row")  # staff do not sign the committee's report


def test_a_returned_sheet_reopens_the_score_sheet_of_that_member_only(scene):
    from evaluation.actions import review

    scene.to_stage("review")
    returned, other = scene.members[1], scene.members[2]
    review.return_sheet(actor=scene.members[0].user, session_id=scene.session.pk, member=returned.pk,
                        reason="技术方案分数明显偏低")
    html = page(client_of(returned.user).get(session_url(scene)))
    assert shown(html, "score-panel")
    assert [m["returned_reason"] for m in snapshot_of(client_of(returned.user).get(session_url(scene)))["members"]
            if m["id"] == returned.pk] == ["技术方案分数明显偏低"]
    assert not shown(page(client_of(other.user).get(session_url(scene))), "score-panel")


def test_anonymous_bids_show_their_codes_to_the_committee(opened_tender, expert_pool):
    scene = session_scene(opened_tender, expert_pool, terms={"anonymous_technical": True})
    scene.to_stage("scoring")
    names = [u.organization.name for u in scene.bidders]
    member = client_of(scene.members[1].user).get(session_url(scene))
    bids = snapshot_of(member)["bids"]
    assert [b["name"] for b in bids] == [None] * 3 and sorted(b["code"] for b in bids) == ["A", "B", "C"]
    assert not any(name in page(member) for name in names)
    host = client_of(scene.host).get(session_url(scene))
    assert sorted(b["name"] for b in snapshot_of(host)["bids"]) == sorted(names)


# --- the list of sessions ----------------------------------------------------------------------------------------

def listed(user, query=""):
    response = client_of(user).get(reverse("evaluation:session_list") + query)
    return response, [int(n) for n in re.findall(r'data-testid="session-row" data-session="(\d+)"', page(response))]


def test_the_list_shows_each_person_the_sessions_they_may_follow(scene):
    mine = [scene.session.pk]
    for user in (scene.host, scene.venue_staff[scene.venues[2].pk], scene.regulator, scene.members[3].user,
                 make_user("regulator", "511900"), make_user("staff", "511900")):
        response, rows = listed(user)
        assert (response.status_code, rows) == (200, mine), user
    assert f'href="{session_url(scene)}"' in page(listed(scene.members[3].user)[0])
    for user in (make_user("staff", "511902"), make_user("regulator", "511922"), make_user("expert", "511900")):
        response, rows = listed(user)
        assert (response.status_code, rows) == (200, []), user
        assert "暂无评标会议。" in page(response)
    for user in (scene.bidders[0], scene.opened.custodians[0], make_user("tenderer", "511921")):
        assert listed(user)[0].status_code == 403
    response = client_of(None).get(reverse("evaluation:session_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_list_filters_by_stage_and_says_when_the_filter_is_wrong(scene):
    assert listed(scene.host, "?stage=check_in")[1] == [scene.session.pk]
    assert listed(scene.host, "?stage=open")[1] == [scene.session.pk]
    assert listed(scene.host, "?stage=closed")[1] == []
    response, rows = listed(scene.host, "?stage=nonsense")
    assert response.status_code == 400 and rows == [scene.session.pk]
    assert "请从列表中选择阶段。" in page(response)
    assert listed(scene.host, "?page=abc")[0].status_code == 200
