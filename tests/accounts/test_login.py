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
