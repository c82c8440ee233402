"""The regulator console reads as sentences (issue 14): time in Asia/Shanghai, the actor's organization and
name, the action as a phrase, the tender; the raw entry on demand; the live tail's request honours the filter;
every action name logged anywhere in the code has a phrase."""

import ast
import datetime
import html
import json
from pathlib import Path

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from ledger import chain, sentences
from ledger.queries import newest_seq
from tests.factories import make_org, make_user

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ["accounts", "ledger", "records", "trading", "evaluation", "service", "realtime", "config"]
# 09:14 in Beijing on 3 December 2026 (UTC+8, no daylight saving).
MOMENT = datetime.datetime(2026, 12, 3, 1, 14, 30, tzinfo=datetime.UTC)


def _append(action, actor=None, region="511921", tender="BZ-2026-001", payload=None):
    with transaction.atomic():
        return chain.append(action, actor=actor, role="staff", region=region, tender_ref=tender,
                            payload=payload or {})


@pytest.fixture
def clerk(db, regions):
    from accounts.models import User

    org = make_org("center", "511921", name="通江县公共资源交易中心")
    user = make_user("staff", "511921", username="zhangsan", org=org)
    User.objects.filter(pk=user.pk).update(full_name="张三")
    return User.objects.get(pk=user.pk)


def _entries(response):
    return response.context["page"].object_list


def test_each_entry_reads_as_a_chinese_sentence_in_beijing_time(client, city_regulator, clerk):
    with time_machine.travel(MOMENT, tick=False):
        entry = _append("tender.published", actor=clerk)
    client.force_login(city_regulator)
    response = client.get("/ledger/")
    [shown] = [e for e in _entries(response) if e.seq == entry.seq]
    assert shown.sentence == "2026-12-03 09:14 通江县公共资源交易中心 张三 发布招标公告 BZ-2026-001"
    body = html.unescape(response.content.decode())
    assert "发布招标公告" in body and "通江县公共资源交易中心" in body and "2026-12-03 09:14<" in body
    assert ">2026-12-03 09:14:30" not in body and "12/03" not in body  # one format, to the minute


def test_the_raw_entry_is_there_on_demand(client, city_regulator, clerk):
    entry = _append("tender.published", actor=clerk, payload={"title": "<b>桥</b>"})
    client.force_login(city_regulator)
    body = client.get("/ledger/").content.decode()
    assert "<details>" in body and "&lt;b&gt;桥&lt;/b&gt;" in body and "<b>桥</b>" not in body
    [shown] = [e for e in client.get("/ledger/").context["page"].object_list if e.seq == entry.seq]
    raw = json.loads(shown.raw)
    assert (raw["seq"], raw["action"], raw["actor_name"], raw["hash"]) == (entry.seq, "tender.published",
                                                                          "zhangsan", entry.hash)
    assert raw["payload"] == {"title": "<b>桥</b>"}


def test_a_tampered_payload_still_shows_as_stored(client, city_regulator):
    from tests.ledger.tampering import raw_sql

    seq = _append("tender.published").seq
    raw_sql("UPDATE ledger_entry SET payload = %s WHERE seq = %s", ["{not json", seq])
    client.force_login(city_regulator)
    response = client.get("/ledger/?verify=1")
    assert response.status_code == 200 and response.context["verification"].bad_seq == seq
    [shown] = [e for e in _entries(response) if e.seq == seq]
    assert json.loads(shown.raw)["payload"] == "{not json"


def test_system_entries_and_unknown_actions_still_read(client, city_regulator):
    _append("tender.bids_closed", tender="BZ-9")
    _append("future.thing", tender="")
    client.force_login(city_regulator)
    by_action = {e.action: e for e in _entries(client.get("/ledger/"))}
    assert by_action["tender.bids_closed"].person == "平台"
    assert by_action["tender.bids_closed"].sentence.endswith(" 平台 投标截止 BZ-9")
    assert by_action["future.thing"].phrase == "记录了操作“future.thing”"


def test_the_page_resolves_actors_in_a_fixed_number_of_queries(client, city_regulator, django_assert_max_num_queries):
    def load():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/ledger/").status_code == 200
        return len(queries)

    client.force_login(city_regulator)
    _append("tender.published", actor=make_user("staff", "511921"))
    one = load()
    for i in range(12):  # twelve more actors, each of their own organization, in another region
        _append("tender.updated", actor=make_user("tenderer", "511922"), region="511922", tender=f"T-{i}")
    assert load() == one
    with django_assert_max_num_queries(14):  # 13, and the count of entries not yet integrated
        page = client.get("/ledger/")
    updated = [e for e in _entries(page) if e.action == "tender.updated"]
    assert len(updated) == 12 and len({e.organization for e in updated}) == 12
    assert all(e.organization.startswith("测试单位") and e.person == "tenderer user" for e in updated)


def test_the_filter_offers_the_kinds_of_action_in_words(client, city_regulator):
    draw = _append("draw.drawn")
    _append("tender.published")
    client.force_login(city_regulator)
    response = client.get("/ledger/", {"action": "draw."})
    assert [e.seq for e in _entries(response)] == [draw.seq]
    body = response.content.decode()
    assert '<option value="draw." selected>专家抽取</option>' in body and '<option value="tender.">招标</option>' in body
    typed = client.get("/ledger/", {"action": "tender.published"}).content.decode()
    assert '<option value="tender.published" selected>发布招标公告</option>' in typed


def test_a_county_regulator_still_sees_only_the_county(client, tongjiang_regulator, clerk):
    mine = _append("tender.published", actor=clerk, region="511921")
    other = _append("tender.published", actor=clerk, region="511922", tender="NJ-1")
    client.force_login(tongjiang_regulator)
    seqs = {e.seq for e in _entries(client.get("/ledger/"))}
    assert mine.seq in seqs and other.seq not in seqs
    live = client.get("/ledger/", {"after": 0}).content.decode()
    assert f'data-seq="{mine.seq}"' in live and f'data-seq="{other.seq}"' not in live


def test_the_live_tail_request_returns_only_new_entries_that_match_the_filter(client, city_regulator, clerk):
    client.force_login(city_regulator)
    page = client.get("/ledger/", {"tender": "BZ-1"})
    head = page.context["head"]
    assert f'data-head="{head}"' in page.content.decode()
    wanted = _append("tender.published", actor=clerk, tender="BZ-1")
    _append("tender.published", actor=clerk, tender="BZ-2")
    _append("tender.updated", actor=clerk, tender="BZ-1", region="511922")
    response = client.get("/ledger/", {"tender": "BZ-1", "region": "511921", "after": head})
    body = response.content.decode()
    assert body.count("data-seq=") == 1 and f'data-seq="{wanted.seq}"' in body and "发布招标公告" in body
    assert response["X-Ledger-Through"] == str(newest_seq())
    assert client.get("/ledger/", {"after": "x"}).status_code == 400


def test_the_live_tail_is_paged_and_says_how_far_it_read(client, city_regulator, monkeypatch):
    from ledger import views

    monkeypatch.setattr(views, "LIVE_ROWS", 2)
    client.force_login(city_regulator)
    first = [_append("tender.updated", tender=f"T{i}") for i in range(3)]
    response = client.get("/ledger/", {"after": first[0].seq - 1})
    assert response.content.decode().count("data-seq=") == 2
    assert response["X-Ledger-Through"] == str(first[1].seq)


def test_others_cannot_ask_for_the_live_rows(client, make_user):
    _append("tender.published")
    client.force_login(make_user("bidder"))
    assert client.get("/ledger/", {"after": 0}).status_code == 403


# --- every action name logged in the code has a phrase -----------------------------------------------------

def _callee(call):
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _is_chain_append(call):
    return (isinstance(call.func, ast.Attribute) and call.func.attr in ("append", "append_in_transaction")
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "chain")


def logged_action_names():
    """String literals passed as the action to chain.append or to a helper that hands its first parameter
    on to one (found here, to a fixpoint: `_log`, `log`, `log_bid_event`…); module constants resolved;
    f-strings returned as prefixes (`tender.` for f"tender.{stage}")."""
    trees = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                trees[path] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    helpers, grown = set(), True

    def is_log_call(call):
        return _is_chain_append(call) or (_callee(call) in helpers and not isinstance(call.func, ast.Attribute)
                                          or isinstance(call.func, ast.Attribute) and call.func.attr in helpers
                                          and call.func.attr != "append")

    while grown:
        grown = False
        for tree in trees.values():
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef) or fn.name in helpers or not fn.args.args:
                    continue
                first = fn.args.args[0].arg
                if any(isinstance(c, ast.Call) and is_log_call(c) and c.args and isinstance(c.args[0], ast.Name)
                       and c.args[0].id == first for c in ast.walk(fn)):
                    helpers.add(fn.name)
                    grown = True
    names, prefixes = set(), set()
    for tree in trees.values():
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                     for t in n.targets if isinstance(t, ast.Name)}
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and call.args and is_log_call(call)):
                continue
            parts = {id(v) for j in ast.walk(call.args[0]) if isinstance(j, ast.JoinedStr) for v in j.values}
            for node in ast.walk(call.args[0]):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
                    names.add(node.value)
                elif isinstance(node, ast.Name) and node.id in constants:
                    names.add(constants[node.id])
                elif isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
                    prefixes.add(node.values[0].value)
    return {n for n in names if "." in n}, prefixes


def test_the_scan_finds_the_log_helpers_call_sites():
    names, prefixes = logged_action_names()
    # One from each kind of call site: chain.append, _log, base.log, log_bid_event, a module constant.
    assert {"calendar.day_set", "tender.published", "evaluation.clarification_asked", "draw.drawn",
            "bid.committed", "green.requested"} <= names
    assert {"tender.", "opening."} <= prefixes


def test_every_action_name_logged_in_the_code_has_a_sentence():
    names, prefixes = logged_action_names()
    assert sorted(names - set(sentences.PHRASES)) == []
    for prefix in prefixes:
        assert any(a.startswith(prefix) for a in sentences.PHRASES), prefix


def test_every_phrase_is_translated_to_chinese():
    with translation.override("zh-hans"):
        untranslated = [a for a, p in sentences.PHRASES.items() if not any("\u4e00" <= c <= "\u9fff" for c in str(p))]
    assert untranslated == []
