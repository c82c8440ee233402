"""The help centre (办事指南, issue 14): public guides per role in Chinese, and each region's trading
center contacts, kept by that region's staff (logged) and nobody else."""

import pytest

from accounts.models import Region
from ledger.models import Entry
from tests.factories import PASSWORD


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.mark.parametrize("path, text", [
    ("/help/", "办事指南"),
    ("/help/bidders/", "python tools/bidder.py keygen --out my-keys.json"),
    ("/help/bidders/", "视为撤销投标文件（《电子招标投标办法》第三十一条）"),
    ("/help/custodians/", "释放我的分片"),
    ("/help/experts/", "身份证号后四位"),
    ("/help/contacts/", "巴中经济开发区"),
])
def test_the_guides_are_public_and_in_chinese(client, regions, path, text):
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert text in body and '<html lang="zh-CN">' in body
    assert 'id="nav-help" href="/help/"' in body or 'href="/help/" id="nav-help"' in body


def test_an_unknown_topic_is_not_found(client, regions):
    assert client.get("/help/nobody/").status_code == 404


def test_the_guides_speak_english_after_the_switch(client, regions):
    client.cookies["django_language"] = "en"
    body = client.get("/help/bidders/").content.decode()
    assert "Seal on this computer and upload" in body and "6. When something fails" in body


def test_staff_publish_their_regions_contacts_and_it_is_logged(client, tongjiang_staff, regions):
    _login(client, tongjiang_staff)
    page = client.get("/help/contacts/").content.decode()
    assert 'name="region" value="511921"' in page and 'name="region" value="511922"' not in page

    response = client.post("/help/contacts/", {"region": "511921", "contact_name": "通江县公共资源交易中心",
                                               "contact_address": "通江县诺江镇", "contact_phone": "0827-0000000",
                                               "contact_hours": "工作日 9:00–17:00"})

    assert response.status_code == 302
    region = Region.objects.get(code="511921")
    assert (region.contact_name, region.contact_phone) == ("通江县公共资源交易中心", "0827-0000000")
    entry = Entry.objects.filter(action="region.contacts_changed").get()
    assert entry.actor_id == tongjiang_staff.pk and '"contact_phone":"0827-0000000"' in entry.payload
    client.logout()
    body = client.get("/help/contacts/").content.decode()
    assert "通江县公共资源交易中心" in body and "0827-0000000" in body and 'name="region"' not in body


@pytest.mark.parametrize("who", ["anonymous", "other_county_staff", "bidder", "regulator"])
def test_nobody_else_changes_a_regions_contacts(client, make_user, regions, who):
    user = {"anonymous": None, "other_county_staff": ("staff", "511922"), "bidder": ("bidder", "511921"),
            "regulator": ("regulator", "511921")}[who]
    if user:
        _login(client, make_user(*user))
    entries = Entry.objects.count()

    response = client.post("/help/contacts/", {"region": "511921", "contact_phone": "110"})

    assert response.status_code == 403
    assert Region.objects.get(code="511921").contact_phone == ""
    assert Entry.objects.count() == entries


def test_city_staff_may_keep_a_countys_contacts(client, city_staff, regions):
    _login(client, city_staff)
    response = client.post("/help/contacts/", {"region": "511902", "contact_phone": "0827-1111111"})
    assert response.status_code == 302
    assert Region.objects.get(code="511902").contact_phone == "0827-1111111"
