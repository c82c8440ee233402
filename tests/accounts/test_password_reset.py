import datetime
import json
import re

import pytest
from django.utils import timezone

from accounts import sms
from accounts.models import PasswordResetCode, User
from ledger.models import Entry
from tests.factories import PASSWORD

NEW_PASSWORD = "a-new-password-456"
NEUTRAL = "如果该用户名的账户登记了手机号码，验证码已通过短信发送到该手机。"


@pytest.fixture
def alice(make_user):
    sms.outbox.clear()
    return make_user("bidder", username="alice", phone="13800001111")


def _ask_for_code(client, username, capture, address="127.0.0.1"):
    with capture(execute=True):
        return client.post("/accounts/password-reset/", {"username": username}, REMOTE_ADDR=address, follow=True)


def _code_sent():
    phone, text = sms.outbox[-1]
    return phone, re.search(r"\d{6}", text).group()


def _reset(client, code, password=NEW_PASSWORD, again=None, username="alice", address="127.0.0.1"):
    return client.post("/accounts/password-reset/code/", {
        "username": username, "code": code, "password": password, "password_again": again or password,
    }, REMOTE_ADDR=address)


def _signs_in(username, password):
    from django.test import Client

    return Client().post("/accounts/login/", {"username": username, "password": password}).status_code == 302


def test_a_person_resets_the_password_with_the_code_texted_to_the_phone(
        client, alice, django_capture_on_commit_callbacks):
    page = _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    assert page.redirect_chain == [("/accounts/password-reset/code/", 302)]
    body = page.content.decode()
    assert NEUTRAL in body
    assert 'value="alice"' in body  # the user name is carried over
    phone, code = _code_sent()
    assert phone == "13800001111"
    assert "【巴中市公共资源交易平台】您的密码重置验证码为" in sms.outbox[-1][1]
    row = PasswordResetCode.objects.get(user=alice)
    assert code not in row.digest and len(row.digest) == 64  # only a keyed hash is stored

    response = _reset(client, code)
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert _signs_in("alice", NEW_PASSWORD)
    assert not _signs_in("alice", PASSWORD)
    last = Entry.objects.last()
    assert (last.action, last.actor_id, last.region_code) == ("user.password_reset", alice.pk, "511900")
    assert json.loads(last.payload) == {"user": alice.pk, "username": "alice", "via": "sms"}
    assert not PasswordResetCode.objects.exists()
    # A code works once.
    assert "验证码不正确或已过期" in _reset(client, code, "another-password-789").content.decode()


def test_an_unknown_user_name_gets_the_same_answer_and_no_message_is_sent(
        client, alice, django_capture_on_commit_callbacks):
    known = _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    unknown = _ask_for_code(client, "nobody", django_capture_on_commit_callbacks)
    assert unknown.redirect_chain == known.redirect_chain
    assert NEUTRAL in unknown.content.decode()
    assert len(sms.outbox) == 1
    assert PasswordResetCode.objects.count() == 1


def test_an_account_without_a_phone_gets_no_code(client, make_user, django_capture_on_commit_callbacks):
    sms.outbox.clear()
    make_user("bidder", username="nophone")
    page = _ask_for_code(client, "nophone", django_capture_on_commit_callbacks)
    assert NEUTRAL in page.content.decode()
    assert sms.outbox == []
    assert not PasswordResetCode.objects.exists()


def test_wrong_codes_use_up_the_attempts(client, alice, settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_MAX_ATTEMPTS = 3
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    _phone, code = _code_sent()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    before = Entry.objects.count()
    for _ in range(3):
        response = _reset(client, wrong)
        assert response.status_code == 400
        assert "验证码不正确或已过期，如有需要请重新获取验证码。" in response.content.decode()
    assert "验证码不正确或已过期" in _reset(client, code).content.decode()
    assert _signs_in("alice", PASSWORD)
    assert Entry.objects.count() == before


def test_an_expired_code_is_refused(client, alice, django_capture_on_commit_callbacks):
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    _phone, code = _code_sent()
    PasswordResetCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = _reset(client, code)
    assert response.status_code == 400
    assert "验证码不正确或已过期" in response.content.decode()
    assert _signs_in("alice", PASSWORD)
    assert not Entry.objects.filter(action="user.password_reset").exists()


def test_a_weak_new_password_is_refused_and_the_code_still_works(
        client, alice, settings, django_capture_on_commit_callbacks):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"}]
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    _phone, code = _code_sent()
    weak = _reset(client, code, "1234567890")
    assert weak.status_code == 400
    assert "密码只包含数字。" in weak.content.decode()
    mismatch = _reset(client, code, NEW_PASSWORD, "something-else-123")
    assert "两次输入的密码不一致。" in mismatch.content.decode()
    assert _signs_in("alice", PASSWORD)
    assert _reset(client, code).status_code == 302
    assert _signs_in("alice", NEW_PASSWORD)


def test_a_second_request_within_a_minute_sends_no_second_message(
        client, alice, django_capture_on_commit_callbacks):
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    _phone, first = _code_sent()
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    assert len(sms.outbox) == 1
    assert _reset(client, first).status_code == 302


def test_a_new_code_replaces_the_previous_one(client, alice, django_capture_on_commit_callbacks):
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    _phone, first = _code_sent()
    PasswordResetCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    _phone, second = _code_sent()
    assert len(sms.outbox) == 2
    if first != second:
        assert _reset(client, first).status_code == 400
    assert _reset(client, second).status_code == 302


def test_a_reset_lifts_the_lock_of_the_account_at_that_address(
        client, alice, settings, django_capture_on_commit_callbacks):
    settings.LOGIN_THROTTLE_LIMIT = 5
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong-password"})
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 429
    _ask_for_code(client, "alice", django_capture_on_commit_callbacks)
    _phone, code = _code_sent()
    assert _reset(client, code).status_code == 302
    assert client.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD}).status_code == 302


def test_requests_from_one_address_are_bounded(client, alice, settings, django_capture_on_commit_callbacks):
    settings.LOGIN_THROTTLE_ADDRESS_LIMIT = 3
    for name in ("u1", "u2", "u3"):
        _ask_for_code(client, name, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post("/accounts/password-reset/", {"username": "alice"})
    assert refused.status_code == 429
    assert "您的网络地址登录失败或申请重置密码的次数过多" in refused.content.decode()
    assert sms.outbox == []
    assert User.objects.get(username="alice").check_password(PASSWORD)
