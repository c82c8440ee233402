"""A tender's evaluation terms (实施条例 art. 49): checked by the tender actions, written through the form
and the API, shown on the tender's page. Every refusal leaves the tender and the trading log as they were."""

import datetime
import json

import pytest
from django.utils import timezone

from accounts.errors import DomainError
from ledger.models import Entry
from tests.factories import make_tender, tender_terms
from tests.trading.form_rows import criteria_rows
from trading import actions
from trading.models import Project, Tender

AVERAGE = {"benchmark": "average", "deduct_above_per_pct": 1, "deduct_below_per_pct": "0.5", "k": "0.95",
           "trim_min_bids": 5}
CANONICAL_AVERAGE = {"benchmark": "average", "deduct_above_per_pct": "1", "deduct_below_per_pct": "0.5",
                     "floor": "0", "k": "0.95", "trim_min_bids": 5}
FULL_TERMS = {"qualification_criteria": [" 营业执照 ", "安全生产许可证"], "price_rule": AVERAGE,
              "trim_extremes": True, "outlier_pct": 15, "anonymous_technical": True}


def _state():
    return (list(Tender.objects.order_by("pk").values()), Project.objects.count(), Entry.objects.count())


# --- the action -------------------------------------------------------------------------------------------


def test_the_action_stores_the_clean_terms(tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921", document=False, evaluation_terms=FULL_TERMS)
    tender.refresh_from_db()
    assert tender.evaluation_terms == {
        "qualification_criteria": ["营业执照", "安全生产许可证"], "price_rule": CANONICAL_AVERAGE,
        "trim_extremes": True, "outlier_pct": 15, "anonymous_technical": True}


def test_no_terms_store_nothing_and_a_null_price_rule_means_the_default(tongjiang_tenderer):
    assert make_tender(tongjiang_tenderer, "511921", document=False).evaluation_terms == {}
    tender = make_tender(tongjiang_tenderer, "511921", document=False, evaluation_method="lowest_price",
                         criteria=[], evaluation_terms={"price_rule": None, "outlier_pct": 30})
    assert tender.evaluation_terms == {"outlier_pct": 30}


def test_price_rule_decimals_are_stored_plain(tongjiang_tenderer):
    rule = {"benchmark": "lowest", "deduct_above_per_pct": "1E+1", "floor": "-0.00"}
    tender = make_tender(tongjiang_tenderer, "511921", document=False, evaluation_terms={"price_rule": rule})
    assert tender.evaluation_terms["price_rule"] == {"benchmark": "lowest", "deduct_above_per_pct": "10",
                                                     "deduct_below_per_pct": "0", "floor": "0.00"}


REFUSED = [
    ([], "invalid_evaluation_terms", None),
    ({"weights": 1}, "invalid_evaluation_terms", None),
    ({"qualification_criteria": []}, "invalid_evaluation_terms", "qualification_criteria"),
    ({"qualification_criteria": ["长" * 61]}, "invalid_evaluation_terms", "qualification_criteria"),
    ({"qualification_criteria": ["营业执照", " 营业执照"]}, "invalid_evaluation_terms", "qualification_criteria"),
    ({"qualification_criteria": ["营业执照", 3]}, "invalid_evaluation_terms", "qualification_criteria"),
    ({"trim_extremes": "yes"}, "invalid_evaluation_terms", "trim_extremes"),
    ({"anonymous_technical": 1}, "invalid_evaluation_terms", "anonymous_technical"),
    ({"outlier_pct": 0}, "invalid_evaluation_terms", "outlier_pct"),
    ({"outlier_pct": True}, "invalid_evaluation_terms", "outlier_pct"),
    ({"outlier_pct": 20.0}, "invalid_evaluation_terms", "outlier_pct"),
    ({"price_rule": "lowest"}, "invalid_price_rule", "price_rule"),
    ({"price_rule": {"benchmark": "median", "deduct_above_per_pct": "1"}}, "unknown_benchmark_rule",
     "price_rule.benchmark"),
    ({"price_rule": {"benchmark": "lowest", "deduct_above_per_pct": "1", "k": "0.95"}}, "invalid_price_rule",
     "price_rule"),
    ({"price_rule": {"benchmark": "lowest", "deduct_above_per_pct": 0.5}}, "invalid_price_deduction",
     "price_rule.deduct_above_per_pct"),
    ({"price_rule": {"benchmark": "lowest", "deduct_above_per_pct": "0"}}, "invalid_price_deduction",
     "price_rule.deduct_above_per_pct"),
    ({"price_rule": {"benchmark": "lowest", "deduct_above_per_pct": "1", "floor": "60"}}, "invalid_price_floor",
     "price_rule.floor"),
    ({"price_rule": {**AVERAGE, "k": "0.899"}}, "invalid_benchmark_coefficient", "price_rule.k"),
    ({"price_rule": {**AVERAGE, "trim_min_bids": 2}}, "invalid_benchmark_trim", "price_rule.trim_min_bids"),
]


@pytest.mark.parametrize(("terms", "code", "term"), REFUSED)
def test_the_action_refuses_bad_terms_and_saves_nothing(tongjiang_tenderer, terms, code, term):
    project = actions.create_project(actor=tongjiang_tenderer, name="项目", region_code="511921", category="works")
    before = _state()
    with pytest.raises(DomainError) as info:
        actions.create_tender(actor=tongjiang_tenderer, project_id=project.pk,
                              **tender_terms(evaluation_terms=terms))
    assert (info.value.code, info.value.extra["field"], info.value.extra.get("term")) == (
        code, "evaluation_terms", term)
    assert _state() == before


def test_a_price_rule_is_refused_with_the_lowest_price_method(tongjiang_tenderer):
    project = actions.create_project(actor=tongjiang_tenderer, name="项目", region_code="511921", category="works")
    before = _state()
    with pytest.raises(DomainError) as info:
        actions.create_tender(actor=tongjiang_tenderer, project_id=project.pk, **tender_terms(
            evaluation_method="lowest_price", criteria=[], evaluation_terms={"price_rule": AVERAGE}))
    assert (info.value.code, info.value.extra["term"]) == ("invalid_evaluation_terms", "price_rule")
    assert _state() == before


def test_an_update_rechecks_the_stored_terms_against_new_criteria_and_method(tongjiang_tenderer):
    rule = {"benchmark": "lowest", "deduct_above_per_pct": "1", "floor": "30"}
    tender = make_tender(tongjiang_tenderer, "511921", document=False, evaluation_terms={"price_rule": rule})
    before = _state()
    # The price criterion drops to 30 points: a floor of 30 would leave nothing to deduct.
    with pytest.raises(DomainError) as info:
        actions.update_tender(actor=tongjiang_tenderer, tender_id=tender.pk, criteria=[
            {"name": "投标报价", "weight": 30, "kind": "price"}, {"name": "技术方案", "weight": 70, "kind": "technical"}])
    assert info.value.code == "invalid_price_floor"
    with pytest.raises(DomainError) as info:
        actions.update_tender(actor=tongjiang_tenderer, tender_id=tender.pk, evaluation_method="lowest_price",
                              criteria=[])
    assert info.value.code == "invalid_evaluation_terms"
    assert _state() == before
    actions.update_tender(actor=tongjiang_tenderer, tender_id=tender.pk, evaluation_method="lowest_price",
                          criteria=[], evaluation_terms={"outlier_pct": 25})
    tender.refresh_from_db()
    assert (tender.evaluation_method, tender.evaluation_terms) == ("lowest_price", {"outlier_pct": 25})
    assert Entry.objects.last().action == "tender.updated"
    assert '"evaluation_terms"' in Entry.objects.last().payload


def test_publication_puts_the_terms_on_the_record(tongjiang_tenderer, make_user):
    tender = make_tender(tongjiang_tenderer, "511921", evaluation_terms={"outlier_pct": 12},
                         publish_by=make_user("staff", "511921"))
    entry = Entry.objects.filter(action="tender.published", tender_ref=tender.code).get()
    assert json.loads(entry.payload)["evaluation_terms"] == {
        "qualification_criteria": ["营业执照及资质证书", "项目负责人资格", "投标保证金", "投标函签字盖章"],
        "price_rule": {"benchmark": "lowest", "deduct_above_per_pct": "1", "deduct_below_per_pct": "0",
                       "floor": "0"},
        "trim_extremes": False, "outlier_pct": 12, "anonymous_technical": False}


# --- the form ---------------------------------------------------------------------------------------------


def _form(**overrides):
    now = timezone.localtime()
    day = datetime.timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        "project_name": "通江县道路项目", "region": "511921", "category": "works",
        "title": "道路工程", "description": "", "venue": "通江县开标室", "estimated_price": "1000000",
        "bid_security": "20000", "documents_from": (now + day).strftime(fmt),
        "documents_until": (now + 9 * day).strftime(fmt), "bid_deadline": (now + 30 * day).strftime(fmt),
        "evaluation_method": "comprehensive", **criteria_rows(("投标报价", 60, "price"), ("技术方案", 40, "technical")),
        "bid_letter_fields": ["price", "duration_days"], "max_bid_mb": "100",
        "qualification_criteria": "营业执照\n\n 安全生产许可证 \n", "price_benchmark": "average",
        "deduct_above_per_pct": "1", "deduct_below_per_pct": "0.5", "price_floor": "0", "benchmark_k": "0.95",
        "trim_min_bids": "5", "trim_extremes": "on", "outlier_pct": "15", "anonymous_technical": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_writes_the_terms(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    response = client.post("/tenders/new/", _form())
    assert response.status_code == 302, response.content.decode()[:3000]
    tender = Tender.objects.get()
    assert tender.evaluation_terms == {
        "qualification_criteria": ["营业执照", "安全生产许可证"], "trim_extremes": True, "anonymous_technical": True,
        "outlier_pct": 15, "price_rule": CANONICAL_AVERAGE}


def test_the_form_leaves_out_the_price_rule_with_the_lowest_price_method(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    response = client.post("/tenders/new/", _form(evaluation_method="lowest_price", **criteria_rows(),
                                                  trim_extremes=None, anonymous_technical=None))
    assert response.status_code == 302
    assert Tender.objects.get().evaluation_terms == {
        "qualification_criteria": ["营业执照", "安全生产许可证"], "trim_extremes": False,
        "anonymous_technical": False, "outlier_pct": 15}


@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"price_floor": "60"}, "price_floor", "并低于价格分的分值 60 分"),
    ({"benchmark_k": "0.85"}, "benchmark_k", "系数 K 须在 0.90 至 1.00 之间"),
    ({"deduct_above_per_pct": "0", "deduct_below_per_pct": "0"}, "deduct_above_per_pct", "且不能都为 0"),
    ({"qualification_criteria": "营业执照\n营业执照"}, "qualification_criteria", "资格审查标准不得重复"),
])
def test_the_form_refuses_bad_terms_next_to_the_field_and_saves_nothing(client, tongjiang_tenderer, overrides,
                                                                         field, text):
    client.force_login(tongjiang_tenderer)
    before = _state()
    response = client.post("/tenders/new/", _form(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert text in errors[field][0]
    assert _state() == before


def test_the_edit_form_shows_the_stored_terms_and_changes_them(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921", document=False, evaluation_terms=FULL_TERMS)
    client.force_login(tongjiang_tenderer)
    form = client.get(f"/tenders/{tender.pk}/edit/").context["form"]
    assert {name: form[name].value() for name in ("qualification_criteria", "price_benchmark", "benchmark_k",
                                                  "trim_min_bids", "outlier_pct", "anonymous_technical")} == {
        "qualification_criteria": "营业执照\n安全生产许可证", "price_benchmark": "average", "benchmark_k": "0.95",
        "trim_min_bids": 5, "outlier_pct": 15, "anonymous_technical": True}
    data = {k: v for k, v in _form(price_benchmark="lowest", outlier_pct="40").items()
            if k not in ("project_name", "region", "category")}
    assert client.post(f"/tenders/{tender.pk}/edit/", data).status_code == 302
    tender.refresh_from_db()
    assert tender.evaluation_terms["price_rule"] == {"benchmark": "lowest", "deduct_above_per_pct": "1",
                                                     "deduct_below_per_pct": "0.5", "floor": "0"}
    assert tender.evaluation_terms["outlier_pct"] == 40


# --- the API ----------------------------------------------------------------------------------------------


@pytest.fixture
def api_project(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    return actions.create_project(actor=tongjiang_tenderer, name="项目", region_code="511921", category="works")


def _api_payload(project, **overrides):
    now, day = timezone.now(), datetime.timedelta(days=1)
    data = {
        "project": project.pk, "title": "道路工程", "venue": "开标室", "estimated_price_fen": 50_000_000,
        "bid_security_fen": 1_000_000, "documents_from": (now + day).isoformat(),
        "documents_until": (now + 10 * day).isoformat(), "bid_deadline": (now + 30 * day).isoformat(),
        "evaluation_method": "comprehensive",
        "criteria": [{"name": "投标报价", "weight": 40, "kind": "price"},
                     {"name": "技术方案", "weight": 60, "kind": "technical"}],
    }
    data.update(overrides)
    return data


def test_the_api_takes_and_returns_the_terms(client, api_project):
    response = client.post("/api/tenders/", _api_payload(api_project, evaluation_terms=FULL_TERMS),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["evaluation_terms"] == {
        "qualification_criteria": ["营业执照", "安全生产许可证"], "price_rule": CANONICAL_AVERAGE,
        "trim_extremes": True, "outlier_pct": 15, "anonymous_technical": True}
    tender_id = response.json()["id"]
    response = client.patch(f"/api/tenders/{tender_id}/", {"evaluation_terms": {"outlier_pct": 30}},
                            content_type="application/json")
    assert response.status_code == 200
    # Replaced as a whole; what is left out takes its default (the lowest price, 1 point per percent).
    assert response.json()["evaluation_terms"] == {
        "qualification_criteria": ["营业执照及资质证书", "项目负责人资格", "投标保证金", "投标函签字盖章"],
        "price_rule": {"benchmark": "lowest", "deduct_above_per_pct": "1", "deduct_below_per_pct": "0",
                       "floor": "0"},
        "trim_extremes": False, "outlier_pct": 30, "anonymous_technical": False}
    assert Tender.objects.get(pk=tender_id).evaluation_terms == {"outlier_pct": 30}


def test_the_api_returns_no_price_rule_with_the_lowest_price_method(client, api_project):
    response = client.post("/api/tenders/", _api_payload(api_project, evaluation_method="lowest_price", criteria=[]),
                           content_type="application/json")
    assert response.status_code == 201
    assert response.json()["evaluation_terms"]["price_rule"] is None


@pytest.mark.parametrize(("terms", "code", "term"), [
    ({"price_rule": {"benchmark": "lowest", "deduct_above_per_pct": "1", "floor": "40"}}, "invalid_price_floor",
     "price_rule.floor"),
    ({"price_rule": {"benchmark": "lowest", "deduct_above_per_pct": 0.5}}, "invalid_price_deduction",
     "price_rule.deduct_above_per_pct"),
    ({"outlier_pct": "20"}, "invalid_evaluation_terms", "outlier_pct"),
    ("{}", "invalid_evaluation_terms", None),
])
def test_the_api_refuses_bad_terms_and_saves_nothing(client, api_project, terms, code, term):
    before = _state()
    response = client.post("/api/tenders/", _api_payload(api_project, evaluation_terms=terms),
                           content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"], body.get("term")) == (code, "evaluation_terms", term)
    assert _state() == before


def test_a_refused_patch_changes_nothing(client, api_project):
    tender_id = client.post("/api/tenders/", _api_payload(api_project, evaluation_terms={"outlier_pct": 10}),
                            content_type="application/json").json()["id"]
    before = _state()
    response = client.patch(f"/api/tenders/{tender_id}/", {"title": "新标题", "evaluation_terms": {"outlier_pct": 101}},
                            content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_evaluation_terms")
    assert _state() == before


# --- the tender's page ------------------------------------------------------------------------------------


def test_the_tender_page_states_the_terms_in_words(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921", document=False, evaluation_terms=FULL_TERMS)
    client.force_login(tongjiang_tenderer)
    body = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert '<ol id="qualification-criteria"><li>营业执照</li><li>安全生产许可证</li></ol>' in body
    for sentence in ["评标基准价：有效投标报价的算术平均值乘以系数 K（K = 0.95）。",
                     "有效投标不少于 5 家时，去掉一个最高报价和一个最低报价后计算平均值。",
                     "投标报价等于评标基准价的得满分 60 分；每高于评标基准价 1% 扣 1 分，按比例计算。",
                     "每低于评标基准价 1% 扣 0.5 分，按比例计算。", "价格分最低为 0 分。",
                     "评标专家 7 人及以上时，去掉一个最高分和一个最低分。",
                     "评分与评标委员会平均分的偏离超过 15% 的，提示评标委员会复核。",
                     "是：技术评分锁定前，评标委员会看到的投标人为代号。"]:
        assert sentence in body, sentence


def test_the_tender_page_of_the_lowest_price_method_has_no_price_rule(client, tongjiang_tenderer):
    tender = make_tender(tongjiang_tenderer, "511921", document=False, evaluation_method="lowest_price", criteria=[])
    client.force_login(tongjiang_tenderer)
    body = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert 'id="price-rule"' not in body
    assert "通过资格审查的投标按评标价由低到高排序" in body
    assert "<li>营业执照及资质证书</li>" in body
