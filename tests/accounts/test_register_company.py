import json

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Organization, User
from ledger.models import Entry
from tests.factories import PASSWORD, credit_code

REGISTRATION = {
    "name": "巴中（通江）建设有限公司", "region": "511921", "full_name": "测试人", "phone": "13800000000",
    "username": "firstbidder", "password": "a-long-password-1",
}


def _register(client, **changes):
    client.post("/accounts/logout/")
    return client.post("/accounts/register/", {**REGISTRATION, "credit_code": credit_code("511921"), **changes})


@pytest.mark.parametrize("name", ["巴中（通江）建设有限公司", "  巴中(通江)建设有限公司 ", "巴中 （通江） 建设有限公司",
                                  "巴中\u3000(通江)建设有限公司"])
def test_a_second_company_with_the_same_name_is_refused(client, regions, name):
    assert _register(client).status_code == 302
    entries = Entry.objects.count()
    response = _register(client, name=name, username="secondbidder")
    assert response.status_code == 400
    assert "该单位名称已被注册。" in response.content.decode()
    assert Organization.objects.count() == 1
    assert not User.objects.filter(username="secondbidder").exists()
    assert Entry.objects.count() == entries


def test_latin_names_differing_only_in_case_and_spacing_are_the_same(client, regions):
    assert _register(client, name="Bazhong Road  Bridge Co., Ltd.").status_code == 302
    response = _register(client, name="BAZHONG ROAD BRIDGE CO., LTD.", username="secondbidder")
    assert response.status_code == 400
    assert Organization.objects.count() == 1


def test_the_name_is_stored_with_single_spaces(client, regions):
    _register(client, name="  巴中  路桥   有限公司 ")
    assert Organization.objects.get().name == "巴中 路桥 有限公司"


def test_the_database_refuses_a_second_organization_of_the_same_name(regions):
    Organization.objects.create(name="巴中路桥有限公司", kind="bidder", credit_code=credit_code(),
                                region=regions["511900"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="巴中 路桥有限公司", kind="bidder", credit_code=credit_code(),
                                    region=regions["511900"])


@pytest.mark.parametrize("username", [
    '=HYPERLINK("http://evil.example","x")', "+8613800000000", "-1", "@admin", "a b", "a\tb", "x\r=1",
    "zhang@example.cn", "Аdmin",  # the first letter is Cyrillic
    ".hidden", "ｆｕｌｌｗｉｄｔｈ",
])
def test_registration_refuses_a_user_name_a_spreadsheet_could_run_or_misread(client, regions, username):
    entries = Entry.objects.count()
    response = _register(client, username=username)
    assert response.status_code == 400
    assert ("用户名为 1 至 150 个字符，只能包含字母（拉丁字母或汉字）、数字、“.”、“_”和“-”，并须以字母、汉字或数字开头。"
            in response.content.decode())
    assert not Organization.objects.exists()
    assert not User.objects.exists()
    assert Entry.objects.count() == entries


@pytest.mark.parametrize("username", ["zhang.san_01", "张三", "Li-Si", "bidder2026", "x" * 150])
def test_registration_accepts_letters_digits_and_dot_underscore_hyphen(client, regions, username):
    assert _register(client, username=username).status_code == 302
    assert User.objects.get(username=username).organization.name == REGISTRATION["name"]


def test_existing_user_names_are_left_alone(client, regions):
    User.objects.create_user(username="=legacy", password=PASSWORD)  # registered before the rule
    response = client.post("/accounts/login/", {"username": "=legacy", "password": PASSWORD})
    assert response.status_code == 302


def test_the_legal_representative_is_stored_and_logged(client, regions):
    assert _register(client, legal_representative="  王  建国 ").status_code == 302
    org = Organization.objects.get()
    assert org.legal_representative == "王 建国"
    entry = Entry.objects.filter(action="organization.registered").latest("seq")
    assert json.loads(entry.payload)["legal_representative"] == "王 建国"
