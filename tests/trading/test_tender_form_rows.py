"""The tender form's scoring criteria as rows (name, points, kind): without JavaScript (a fixed number of rows,
empty ones ignored) and as the script posts them (rows added, rows removed); every row checked on the server."""

import re

import pytest

from ledger.models import Entry
from tests.factories import make_tender
from tests.trading.form_rows import STANDARD_ROWS, criteria_rows, new_tender_post
from trading.forms_criteria import MIN_ROWS
from trading.models import Project, Tender

ROWS = (("投标报价", 60, "price"), ("施工组织设计", 30, "technical"), ("企业业绩", 10, "commercial"))


def _state():
    return Project.objects.count(), Tender.objects.count(), Entry.objects.count()


def _without_rows(data):
    return {k: v for k, v in data.items() if not k.startswith("criteria-")}


@pytest.fixture
def tenderer(client, tongjiang_tenderer):
    client.force_login(tongjiang_tenderer)
    return tongjiang_tenderer


def test_the_new_form_offers_empty_rows_that_work_without_javascript(client, tenderer):
    html = client.get("/tenders/new/").content.decode()
    assert 'name="criteria-TOTAL_FORMS" value="6"' in html
    assert len(re.findall(r'name="criteria-\d+-name"', html)) == MIN_ROWS == 6
    assert 'name="criteria-5-weight"' in html and 'name="criteria-6-weight"' not in html
    assert '<option value="price">价格</option>' in html
    assert '<option value="technical">技术</option>' in html
    assert '<output id="criteria-total" for="criteria-table" aria-live="polite">0</output> / 100' in html
    assert 'id="add-criterion" class="js-only" hidden' in html  # shown by the script only
    assert "tender_form.js" in html
    assert 'name="criteria"' not in html  # no more name|points|kind text


def test_filled_rows_are_saved_in_order_and_empty_rows_are_left_out(client, tenderer):
    data = new_tender_post(**criteria_rows(("  投标报价 ", 60, "price"), *ROWS[1:], empty=3))
    response = client.post("/tenders/new/", data)
    assert response.status_code == 302, response.context["form"].error_summary()
    assert Tender.objects.get().criteria == [{"name": "投标报价", "weight": 60, "kind": "price"},
                                             {"name": "施工组织设计", "weight": 30, "kind": "technical"},
                                             {"name": "企业业绩", "weight": 10, "kind": "commercial"}]


def test_rows_removed_by_the_script_may_leave_gaps(client, tenderer):
    rows = criteria_rows(*ROWS, empty=0)
    gapped = {"criteria-TOTAL_FORMS": "6", "criteria-INITIAL_FORMS": "0"}
    for old, new in ((0, 0), (1, 3), (2, 5)):
        for part in ("name", "weight", "kind"):
            gapped[f"criteria-{new}-{part}"] = rows[f"criteria-{old}-{part}"]
    response = client.post("/tenders/new/", {**_without_rows(new_tender_post()), **gapped})
    assert response.status_code == 302
    assert [c["name"] for c in Tender.objects.get().criteria] == ["投标报价", "施工组织设计", "企业业绩"]


def test_a_total_other_than_100_is_refused_next_to_the_rows_with_the_total(client, tenderer):
    before = _state()
    response = client.post("/tenders/new/", new_tender_post(**criteria_rows(("投标报价", 60, "price"),
                                                                           ("技术方案", 30, "technical"))))
    assert response.status_code == 400
    rows = response.context["form"].criteria_rows
    assert list(rows.non_form_errors()) == ["评分因素分值合计须为 100 分(当前为 90 分)。"]
    html = response.content.decode()
    assert '<div class="errors" role="alert" id="criteria-errors">' in html
    assert '<a href="#criteria-rows">评分因素: 评分因素分值合计须为 100 分(当前为 90 分)。</a>' in html
    assert '<output id="criteria-total" for="criteria-table" aria-live="polite">90</output>' in html
    assert _state() == before


@pytest.mark.parametrize(("rows", "message"), [
    ((("投标报价", 50, "price"), ("报价分二", 50, "price")), "评分因素中须有且仅有一项为价格。"),
    ((("投标报价", 100, "price"),), "综合评估法须设 2 至 40 项评分因素。"),
    ((), "综合评估法须设 2 至 40 项评分因素。"),
])
def test_the_rules_on_the_rows_as_a_whole_are_those_of_the_action(client, tenderer, rows, message):
    before = _state()
    response = client.post("/tenders/new/", new_tender_post(**criteria_rows(*rows)))
    assert response.status_code == 400
    assert list(response.context["form"].criteria_rows.non_form_errors()) == [message]
    assert _state() == before


def test_each_bad_row_shows_its_error_in_the_row_with_every_other_error(client, tenderer):
    before = _state()
    data = new_tender_post(title="", **criteria_rows(("投标报价", "sixty", "price"), ("技术方案", 40, ""),
                                                     ("", 0, "technical"), ("商务", 10, "bogus")))
    response = client.post("/tenders/new/", data)
    assert response.status_code == 400
    form = response.context["form"]
    errors = [form_.errors for form_ in form.criteria_rows.forms]
    assert errors[0] == {"weight": ["输入整数。"]}
    assert errors[1] == {"kind": ["此项为必填项。"]}
    assert errors[2] == {"name": ["此项为必填项。"], "weight": ["确保该值大于或等于1。"]}
    assert list(errors[3]) == ["kind"]
    assert list(form.errors) == ["title"]
    anchors = [anchor for anchor, _label, _message in form.error_summary()]
    assert anchors == ["id_title", "id_criteria-0-weight", "id_criteria-1-kind", "id_criteria-2-name",
                       "id_criteria-2-weight", "id_criteria-3-kind"]
    html = response.content.decode()
    assert 'aria-invalid="true" aria-describedby="id_criteria-0-weight_error" id="id_criteria-0-weight"' in html
    assert _state() == before


def test_rows_with_the_lowest_price_method_are_refused_and_none_is_fine(client, tenderer):
    response = client.post("/tenders/new/", new_tender_post(evaluation_method="lowest_price"))
    assert response.status_code == 400
    assert list(response.context["form"].criteria_rows.non_form_errors()) == ["经评审的最低投标价法不设评分因素。"]
    # The script disables the rows with this method: the browser sends none of them.
    response = client.post("/tenders/new/", {**new_tender_post(evaluation_method="lowest_price"),
                                             **criteria_rows(empty=4)})
    assert response.status_code == 302
    assert Tender.objects.get().criteria == []


def test_more_than_40_rows_are_refused(client, tenderer):
    rows = [(f"因素{i}", 1, "technical") for i in range(40)] + [("投标报价", 1, "price")]
    response = client.post("/tenders/new/", new_tender_post(**criteria_rows(*rows, empty=0)))
    assert response.status_code == 400
    assert Tender.objects.count() == 0


def test_a_post_without_rows_states_no_criteria(client, tenderer):
    response = client.post("/tenders/new/", _without_rows(new_tender_post()))
    assert response.status_code == 400
    assert list(response.context["form"].criteria_rows.non_form_errors()) == ["综合评估法须设 2 至 40 项评分因素。"]


def test_the_edit_form_shows_the_stored_rows_and_saves_changed_ones(client, tenderer):
    tender = make_tender(tenderer, "511921", document=False)
    response = client.get(f"/tenders/{tender.pk}/edit/")
    rows = response.context["form"].criteria_rows
    assert rows.total_form_count() == 6  # the 2 stated rows, then empty ones
    html = response.content.decode()
    assert 'name="criteria-0-name" value="投标报价"' in html and 'name="criteria-1-weight" value="40"' in html
    assert '<output id="criteria-total" for="criteria-table" aria-live="polite">100</output>' in html
    data = {k: v for k, v in new_tender_post(**criteria_rows(*ROWS)).items()
            if k not in ("project_name", "region", "category")}
    response = client.post(f"/tenders/{tender.pk}/edit/", data)
    assert response.status_code == 302
    tender.refresh_from_db()
    assert [(c["name"], c["weight"], c["kind"]) for c in tender.criteria] == list(ROWS)


def test_the_edit_form_keeps_the_rows_as_posted_when_it_refuses(client, tenderer):
    tender = make_tender(tenderer, "511921", document=False)
    data = {k: v for k, v in new_tender_post(**criteria_rows(("投标报价", 70, "price"), *STANDARD_ROWS[1:])).items()
            if k not in ("project_name", "region", "category")}
    response = client.post(f"/tenders/{tender.pk}/edit/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="criteria-0-weight" value="70"' in html
    assert "评分因素分值合计须为 100 分(当前为 110 分)。" in html
    tender.refresh_from_db()
    assert [c["weight"] for c in tender.criteria] == [60, 40]
