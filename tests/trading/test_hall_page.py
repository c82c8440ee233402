import pytest

from tests.factories import make_user
from tests.realtime.opening_setup import opening_scene


@pytest.fixture
def scene(platform_pki, regions):
    return opening_scene(3)


def test_the_hall_page_is_for_attendees_only(client, scene):
    url = f"/tenders/{scene.tender.pk}/opening/"
    client.force_login(scene.bidders[0])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "开标大厅" in body and f"/ws/opening/{scene.tender.pk}/" in body
    assert page.context["hall"]["is_host"] is False
    client.force_login(scene.host)
    assert client.get(url).context["hall"]["is_host"] is True
    client.force_login(scene.outsider)
    assert client.get(url).status_code == 403
    client.force_login(make_user("staff", "511922"))
    assert client.get(url).status_code == 403


def test_the_tender_page_links_attendees_to_the_hall(client, scene):
    client.force_login(scene.custodians[0])
    assert f"/tenders/{scene.tender.pk}/opening/" in client.get(f"/tenders/{scene.tender.pk}/").content.decode()


def test_the_hall_page_has_forms_for_objections_answers_and_the_window_and_a_presence_board(client, scene):
    import json
    import re

    client.force_login(scene.host)
    body = client.get(f"/tenders/{scene.tender.pk}/opening/").content.decode()
    assert '<label for="hall-objection-text">您的异议</label>' in body
    assert '<textarea id="hall-objection-text" name="text" rows="4" maxlength="2000"' in body
    assert '<label for="hall-answer-text">' in body and 'id="hall-window-minutes" name="minutes" min="1" max="1440"' in body
    assert "当前在线" in body and 'id="hall-presence-bidders"' in body and "css/hall.css" in body
    texts = json.loads(re.search(r'<script id="hall-texts" type="application/json">(.*?)</script>', body).group(1))
    assert texts["bidders_secret"].startswith("开标前不得公开投标人的名称和数量")
    assert (texts["max_text"], texts["max_minutes"], texts["people"]) == (2000, 1440, "%(n)s 人在线")


def test_the_hall_script_asks_no_browser_prompt():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "hall.js").read_text()
    assert "prompt(" not in script and "presence.watch" in script
