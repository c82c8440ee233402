from tests.factories import PASSWORD


def test_a_person_signs_in_and_out(client, make_user):
    make_user("bidder", username="alice")
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "alice"
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_a_wrong_password_is_refused(client, make_user):
    make_user("bidder", username="alice")
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def test_a_burst_of_failures_throttles_even_the_right_password(client, make_user, settings):
    settings.LOGIN_THROTTLE_LIMIT = 5
    make_user("bidder", username="alice")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def test_failures_below_the_limit_do_not_lock_the_account(client, make_user, settings):
    settings.LOGIN_THROTTLE_LIMIT = 5
    make_user("bidder", username="alice")
    for _ in range(4):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


def _sign_in(client, username, password, address="127.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_one_accounts_failures_do_not_lock_the_other_accounts_at_that_address(client, make_user, settings):
    settings.LOGIN_THROTTLE_LIMIT = 5
    make_user("bidder", username="alice")
    make_user("staff", username="bob")
    for _ in range(6):
        _sign_in(client, "alice", "wrong-password")
    assert _sign_in(client, "bob", PASSWORD).status_code == 302
    assert client.get("/").context["user"].username == "bob"


def test_a_locked_account_still_signs_in_from_another_address(client, make_user, settings):
    settings.LOGIN_THROTTLE_LIMIT = 5
    make_user("bidder", username="alice")
    for _ in range(6):
        _sign_in(client, "alice", "wrong-password", "203.0.113.7")
    assert _sign_in(client, "alice", PASSWORD, "203.0.113.7").status_code == 429
    assert _sign_in(client, "alice", PASSWORD, "198.51.100.20").status_code == 302
    assert client.get("/").context["user"].username == "alice"


def test_the_page_tells_how_many_tries_are_left(client, make_user, settings):
    settings.LOGIN_THROTTLE_LIMIT = 5
    settings.LOGIN_THROTTLE_WINDOW = 900
    make_user("bidder", username="alice")
    first = _sign_in(client, "alice", "wrong-password").content.decode()
    assert "还可尝试 4 次，之后将暂停登录 15 分钟。" in first
    for _ in range(3):
        fourth = _sign_in(client, "alice", "wrong-password").content.decode()
    assert "还可尝试 1 次，之后将暂停登录 15 分钟。" in fourth
    fifth = _sign_in(client, "alice", "wrong-password")
    assert fifth.status_code == 429
    assert "该账户在您的网络地址登录失败次数过多，请 15 分钟后再试，或通过“忘记密码”重置密码。" in fifth.content.decode()


def test_an_unknown_user_name_gets_the_same_answer_as_a_known_one(client, make_user):
    make_user("bidder", username="alice")
    known = _sign_in(client, "alice", "wrong-password")
    unknown = _sign_in(client, "nobody", "wrong-password")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_many_failures_from_one_address_pause_that_address_only(client, make_user, settings):
    settings.LOGIN_THROTTLE_LIMIT = 5
    settings.LOGIN_THROTTLE_ADDRESS_LIMIT = 4
    make_user("bidder", username="carol")
    for name in ("u1", "u2", "u3", "u4"):
        _sign_in(client, name, "wrong-password", "203.0.113.7")
    refused = _sign_in(client, "carol", PASSWORD, "203.0.113.7")
    assert refused.status_code == 429
    assert "您的网络地址登录失败或申请重置密码的次数过多，请 15 分钟后再试。" in refused.content.decode()
    assert not client.get("/").context["user"].is_authenticated
    assert _sign_in(client, "carol", PASSWORD, "198.51.100.20").status_code == 302


def test_the_login_page_offers_a_password_reset(client, regions):
    body = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password-reset/">忘记密码？</a>' in body
