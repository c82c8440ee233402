"""Error pages as `make run` serves them (DEBUG off): in Chinese, saying what happened, with a way back; no
URL list, no stack trace; and a refusal is logged as one line, not as a traceback."""

import io
import logging

import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.test import Client
from django.urls import path

from config import urls as config_urls


def _boom(request):
    raise RuntimeError("secret internals of the failure")


def _bad(request):
    raise BadRequest("a request the platform cannot read")


def _forbidden(request):
    raise PermissionDenied


# The platform's URLs plus test-only views that fail (pytest.mark.urls).
urlpatterns = [path("test-only/boom/", _boom), path("test-only/bad/", _bad), path("test-only/forbidden/", _forbidden),
               *config_urls.urlpatterns]


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def _ways_back(body):
    assert '<a href="/">返回首页</a>' in body
    assert '<a href="/" data-back hidden>返回上一页</a>' in body


def test_a_missing_page_is_the_chinese_404_page_without_the_url_list(client, regions):
    response = client.get("/does-not-exist/")

    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="zh-CN">' in body
    assert "<h1>404 · 页面不存在</h1>" in body
    assert "网址 /does-not-exist/ 没有对应的页面" in body
    _ways_back(body)
    for debug_text in ["URLconf", "api/schema/", "ledger/", "Django"]:
        assert debug_text not in body


def test_a_forbidden_page_is_the_chinese_403_page_and_logs_one_line_without_traceback(client, make_user, caplog):
    bidder = make_user("bidder", username="zhang_bidder")
    bidder.full_name = "张投标"
    bidder.save(update_fields=["full_name"])
    client.force_login(bidder)

    with caplog.at_level(logging.INFO):
        response = client.get("/ledger/")

    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>403 · 无权访问</h1>" in body
    assert "您没有权限查看此页面或执行此操作。" in body
    assert "您当前以 张投标 的身份登录。如您应当有此权限，请联系管理您账号的交易中心。" in body
    _ways_back(body)
    logged = [(r.name, r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name.startswith("django")]
    assert logged == [("django.request", "WARNING", "Forbidden (Permission denied): /ledger/", None)]
    assert "Traceback" not in caplog.text


def _console_streams():
    """Point every console handler a django.request record reaches at a buffer (pytest's capturing handlers,
    subclasses, are left alone)."""
    streams, logger = [], logging.getLogger("django.request")
    while logger is not None:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                streams.append((handler, handler.setStream(io.StringIO())))
        logger = logger.parent if logger.propagate else None
    return streams


def test_with_debug_on_a_refusal_is_still_printed_once(client, make_user, settings):
    """DEBUG=true (development) used to print every 403 twice with its traceback: once by Django's own
    DEBUG-only console handler and once by the platform's."""
    settings.DEBUG = True
    client.force_login(make_user("bidder"))
    streams = _console_streams()
    try:
        assert client.get("/ledger/").status_code == 403
    finally:
        printed = "".join(handler.setStream(old).getvalue() for handler, old in streams)

    assert printed == "Forbidden (Permission denied): /ledger/\n"


@pytest.mark.urls(__name__)
def test_an_anonymous_visitor_refused_is_offered_to_sign_in(client):
    response = client.get("/test-only/forbidden/?tab=2")

    assert response.status_code == 403
    body = response.content.decode()
    assert "您尚未登录。请使用有权查看此页面的账号登录。" in body
    assert '<a href="/accounts/login/?next=/test-only/forbidden/%3Ftab%3D2">登录</a>' in body


@pytest.mark.urls(__name__)
def test_a_server_error_is_the_chinese_500_page_without_request_or_database(caplog):
    # No database fixture: the 500 page must render when the database is what failed.
    response = Client(raise_request_exception=False).get("/test-only/boom/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "<h1>500 · 服务器错误</h1>" in body
    assert "平台内部出错，此页面无法显示。错误已记录，管理员会进行处理。" in body
    _ways_back(body)
    assert "secret internals" not in body and "Traceback" not in body
    # A server error keeps its traceback in the log: that is what the administrators need.
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage()) for r in errors] == [("ERROR", "Internal Server Error: /test-only/boom/")]
    assert errors[0].exc_info is not None


@pytest.mark.urls(__name__)
def test_a_bad_request_is_the_chinese_400_page():
    response = Client(raise_request_exception=False).get("/test-only/bad/")

    assert response.status_code == 400
    body = response.content.decode()
    assert "<h1>400 · 请求有误</h1>" in body
    assert "a request the platform cannot read" not in body
    _ways_back(body)


def test_a_form_without_its_security_token_is_the_chinese_csrf_page(regions):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>403 · 表单已失效</h1>" in body
    assert "请返回并刷新页面后重新提交表单。" in body
    _ways_back(body)
    assert "CSRF" not in body
