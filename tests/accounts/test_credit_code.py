import pytest
from django.core.exceptions import ValidationError

from accounts.credit_code import check_character, make_code, validate_credit_code
from accounts.models import Organization, User
from ledger.models import Entry


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91350100m000100y43", make_code("91511921MA6200001")])
def test_it_accepts_valid_codes(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y44", "credit_code_check"),  # wrong check character
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M000100Y433", "credit_code_length"),
        ("91350100M0001O0Y43", "credit_code_charset"),  # letter O is not in the alphabet
        ("Z1350100M000100Y43", "credit_code_charset"),
        ("H1350100M000100Y43", "credit_code_authority"),
        (make_code("91A50100M000100Y4"), "credit_code_division"),  # 3rd–8th must be digits
        (make_code("9151192LMA6200001"), "credit_code_division"),
        ("", "credit_code_length"),
    ],
)
def test_it_refuses_invalid_codes(code, error):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)
    assert info.value.error_list[0].code == error


def test_check_character_of_the_standard_example():
    assert check_character("91350100M000100Y4") == "3"


REGISTRATION = {
    "name": "巴中测试建设有限公司", "region": "511921", "full_name": "测试人", "phone": "13800000000",
    "username": "newbidder", "password": "a-long-password-1",
}


def test_registration_with_a_wrong_code_is_refused_in_chinese_and_stores_nothing(client, regions):
    entries = Entry.objects.count()
    response = client.post("/accounts/register/", {**REGISTRATION, "credit_code": "91350100M000100Y44"})
    assert response.status_code == 400
    assert "统一社会信用代码的校验位不正确" in response.content.decode()
    assert not Organization.objects.exists()
    assert not User.objects.filter(username="newbidder").exists()
    assert Entry.objects.count() == entries


def test_registration_with_a_valid_code_creates_company_user_and_log_entries(client, regions):
    response = client.post("/accounts/register/", {**REGISTRATION, "credit_code": "91350100M000100Y43"})
    assert response.status_code == 302
    org = Organization.objects.get()
    assert (org.credit_code, org.kind, org.region.code, org.verified_at) == ("91350100M000100Y43", "bidder", "511921", None)
    user = User.objects.get(username="newbidder")
    assert user.organization == org
    assert list(Entry.objects.values_list("action", flat=True)) == [
        "organization.registered", "user.created", "role.granted"]


def test_a_second_company_with_the_same_code_is_refused(client, regions):
    client.post("/accounts/register/", {**REGISTRATION, "credit_code": "91350100M000100Y43"})
    client.post("/accounts/logout/")
    response = client.post("/accounts/register/", {**REGISTRATION, "name": "另一家建设有限公司", "username": "other",
                                                   "credit_code": "91350100m000100y43"})
    assert response.status_code == 400
    assert "该统一社会信用代码已被注册" in response.content.decode()
    assert Organization.objects.count() == 1
    assert not User.objects.filter(username="other").exists()


def test_registration_in_an_unknown_region_is_refused(client, regions):
    response = client.post("/accounts/register/", {**REGISTRATION, "region": "110000",
                                                   "credit_code": "91350100M000100Y43"})
    assert response.status_code == 400
    assert not Organization.objects.exists()


def test_registration_with_letters_in_the_division_code_is_refused_in_chinese(client, regions):
    entries = Entry.objects.count()
    code = make_code("91A50100M000100Y4")
    response = client.post("/accounts/register/", {**REGISTRATION, "credit_code": code})
    assert response.status_code == 400
    assert "统一社会信用代码的第 3 至 8 位是登记管理机关行政区划码，只能是数字；“A50100”不符合（GB 32100-2015）。" in \
        response.content.decode()
    assert not Organization.objects.exists()
    assert Entry.objects.count() == entries
