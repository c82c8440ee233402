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
