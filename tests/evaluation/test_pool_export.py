"""Exporting the pool: CSV (UTF-8 with a BOM) and .xlsx, ID numbers as their last four characters only,
formulas neutralised, the user's scope and filters respected."""

import csv
import io

import pytest

from evaluation.actions import pool as actions
from evaluation.demo import id_number

ID1, ID2 = id_number(21, "511921"), id_number(22, "511922")
FORM = {"name": "=cmd|' /C calc'!A0", "id_number": ID1, "phone": "13900000021", "region": "511921",
        "specialties": ["ENG-BLD", "ECO-CST"], "title": "@SUM(1+1)", "employer_credit_code": "",
        "employer_name": "+巴中某公司"}


@pytest.fixture
def pool(city_staff, specialties):
    first = actions.create_expert(actor=city_staff, data=FORM)
    actions.create_expert(actor=city_staff, data={**FORM, "name": "李志强", "id_number": ID2, "region": "511922",
                                                  "title": "", "employer_name": "", "specialties": ["SRV-LAW"]})
    return first


def test_the_csv_export_has_a_bom_no_full_id_number_and_no_live_formula(client, city_staff, pool):
    client.force_login(city_staff)
    response = client.get("/evaluation/experts/export/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="experts-')
    body = response.content
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert ID1 not in text and ID2 not in text and ID1[:14] not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["姓名", "身份证号", "手机", "工作单位统一社会信用代码", "工作单位名称", "地区代码", "专业", "职称",
                       "状态", "暂停至", "暂停原因"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", f"****{ID1[-4:]}", "13900000021", "", "'+巴中某公司", "511921",
                       "ECO-CST;ENG-BLD", "'@SUM(1+1)", "正常", "", ""]
    assert rows[2][:2] == ["李志强", f"****{ID2[-4:]}"]


def test_the_xlsx_export_has_text_cells_no_full_id_number_and_no_formula(client, city_staff, pool):
    from openpyxl import load_workbook

    client.force_login(city_staff)
    response = client.get("/evaluation/experts/export/?format=xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:3] == ["'=cmd|' /C calc'!A0", f"****{ID1[-4:]}", "13900000021"]
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value is not None)
    assert not any(ID1 in str(v) or ID2 in str(v) for row in rows for v in row)


def test_an_export_follows_the_filters_and_the_scope(client, city_staff, tongjiang_staff, pool):
    client.force_login(city_staff)
    text = client.get("/evaluation/experts/export/?format=csv&region=511922").content.decode("utf-8-sig")
    assert "李志强" in text and "calc" not in text
    client.force_login(tongjiang_staff)
    text = client.get("/evaluation/experts/export/?format=csv").content.decode("utf-8-sig")
    assert "calc" in text and "李志强" not in text


def test_an_export_cannot_be_imported_back_as_it_is(client, city_staff, pool):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(city_staff)
    data = client.get("/evaluation/experts/export/?format=csv").content
    page = client.post("/evaluation/experts/import/", {"file": SimpleUploadedFile("x.csv", data)}).content.decode()
    assert "2 行中有 2 行被拒绝，未导入任何专家。" in page
    assert "身份证号码为18位：17位数字加1位数字或X。" in page
