def test_home_renders_in_chinese_by_default(client, regions):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-CN">' in body
    assert "巴中市公共资源交易平台" in body
    for county in ["巴州区", "恩阳区", "通江县", "南江县", "平昌县", "巴中经济开发区"]:
        assert county in body


def test_home_renders_in_english_after_the_language_switch(client, regions):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body
    assert "Bazhong Public Resource Trading Platform" in body
    assert "Tongjiang County" in body
    assert "巴中市公共资源交易平台" not in body


def test_pages_carry_the_security_headers(client, regions):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_an_english_browser_still_gets_chinese_until_the_switch_is_used(client, regions):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-CN">' in body
