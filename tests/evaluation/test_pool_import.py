"""Importing the expert pool (CSV and .xlsx): all or nothing, with a row-by-row report in Chinese."""

import io

import pytest

from accounts.credit_code import make_code
from evaluation.demo import id_number
from evaluation.models import Expert
from ledger.models import Entry
from tests.factories import make_org

HEADER = ["姓名", "身份证号", "手机", "工作单位统一社会信用代码", "工作单位名称", "地区代码", "专业", "职称", "状态",
          "暂停至", "暂停原因"]
OTHER_CODE = make_code("91511900MA6200001")  # an employer not registered here
ID1, ID2, ID3 = id_number(1, "511921"), id_number(2, "511922"), id_number(3, "511900")


def _row(name="张建国", ident=ID1, phone="13900000001", code="", employer="", region="511921",
         specialties="ENG-BLD", title="高级工程师", status="正常", until="", reason=""):
    return [name, ident, phone, code, employer, region, specialties, title, status, until, reason]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig"):
    text = "\r\n".join(",".join(cells) for cells in [header, *rows]) + "\r\n"
    return text.encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data, name="experts.csv", dry_run=False):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {"file": SimpleUploadedFile(name, data)}
    if dry_run:
        body["dry_run"] = "on"
    return client.post("/evaluation/experts/import/", body)


@pytest.fixture
def staff_client(client, city_staff, specialties):
    client.force_login(city_staff)
    return client


def _wrong_check_digit(ident):
    return ident[:17] + ("0" if ident[17] != "0" else "1")


@pytest.mark.parametrize(("bad_row", "reason"), [
    (_row(ident=_wrong_check_digit(ID2)), "身份证号码最后一位与校验码不符（GB 11643），请检查是否输错。"),
    (_row(ident=ID2, specialties="ENG-BLD;工程类-造船"), "未知专业“工程类-造船”。"),
    (_row(ident=ID2, region="510100"), "未知地区代码“510100”。"),
    (_row(ident=ID1), "与第 2 行的身份证号码相同。"),
    (_row(ident=ID2, phone="1390000"), "手机号码为11位数字，以13至19开头。"),
])
def test_a_file_with_one_bad_row_imports_nothing_and_reports_the_row_and_why(staff_client, bad_row, reason):
    entries = Entry.objects.count()
    response = upload(staff_client, csv_bytes([_row(), bad_row, _row(name="李志强", ident=ID3)]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "3 行中有 1 行被拒绝，未导入任何专家。" in page
    assert f"<tr><td>3</td><td>{reason}</td></tr>" in page
    assert Expert.objects.count() == 0
    assert Entry.objects.count() == entries


def test_an_id_number_already_in_the_pool_is_refused_and_nothing_is_imported(staff_client):
    upload(staff_client, csv_bytes([_row()]))
    assert Expert.objects.count() == 1
    entries = Entry.objects.count()
    response = upload(staff_client, csv_bytes([_row(name="李志强", ident=ID2), _row(name="张建国", ident=ID1)]))
    page = response.content.decode()
    assert "<tr><td>3</td><td>专家库中已有该身份证号码的专家。</td></tr>" in page
    assert list(Expert.objects.values_list("id_number", flat=True)) == [ID1]
    assert Entry.objects.count() == entries


def test_every_refused_row_is_listed_with_every_reason(staff_client):
    rows = [_row(ident=_wrong_check_digit(ID1)), _row(ident=ID2), _row(ident=ID2, name="王明"), _row(ident=ID3, region="x")]
    page = upload(staff_client, csv_bytes(rows)).content.decode()
    assert "4 行中有 3 行被拒绝，未导入任何专家。" in page
    assert "<tr><td>2</td>" in page and "<tr><td>4</td><td>与第 3 行的身份证号码相同。</td></tr>" in page
    assert "<tr><td>5</td><td>未知地区代码“x”。</td></tr>" in page
    assert "<tr><td>3</td>" not in page


def test_a_good_csv_is_imported_whole_with_one_log_entry(staff_client, city_staff):
    employer = make_org("bidder", "511921", name="通江红云建筑有限公司")
    rows = [
        _row(code=employer.credit_code, employer="随便写的名字", specialties="ENG-BLD; 经济类-工程造价"),
        _row(name="李志强", ident=ID2.lower(), phone="139-0000-0002", code=OTHER_CODE,
             employer="巴中某咨询公司", region="511922", specialties="SRV-LAW", title="", status="暂停",
             until="2099-12-31", reason="年度考核不合格"),
        _row(name="王明", ident=ID3, phone="13900000003", region="511900", specialties="GDS-MED", status="退出"),
    ]
    response = upload(staff_client, csv_bytes(rows))
    assert "已导入 3 名专家。" in response.content.decode()
    first, second, third = Expert.objects.order_by("pk")
    assert (first.name, first.id_number, first.phone, first.region.code, first.employer, first.employer_name,
            first.status) == ("张建国", ID1, "13900000001", "511921", employer, "通江红云建筑有限公司", "active")
    assert sorted(s.code for s in first.specialties.all()) == ["ECO-CST", "ENG-BLD"]
    assert (second.phone, second.employer, second.employer_credit_code, second.employer_name, second.status,
            str(second.suspended_until), second.suspension_reason) == (
        "13900000002", None, OTHER_CODE, "巴中某咨询公司", "suspended", "2099-12-31", "年度考核不合格")
    assert third.status == "retired"
    entry = Entry.objects.latest("seq")
    assert entry.action == "expert.imported" and entry.actor_id == city_staff.pk
    assert ID1 not in entry.payload and ID2 not in entry.payload


def test_a_good_xlsx_is_imported_with_numbers_read_as_text(staff_client):
    rows = [_row(), _row(name="李志强", ident=ID2, region="511922", specialties="ECO-CST")]
    rows[1][2], rows[1][5] = 13900000002, 511922  # Excel keeps these as numbers
    response = upload(staff_client, xlsx_bytes(rows), name="experts.xlsx")
    assert "已导入 2 名专家。" in response.content.decode()
    assert list(Expert.objects.order_by("pk").values_list("name", "phone", "region__code")) == [
        ("张建国", "13900000001", "511921"), ("李志强", "13900000002", "511922")]


def test_a_gb18030_csv_as_excel_saves_it_is_read(staff_client):
    response = upload(staff_client, csv_bytes([_row()], encoding="gb18030"))
    assert "已导入 1 名专家。" in response.content.decode()
    assert Expert.objects.get().name == "张建国"


def test_only_checking_a_file_imports_nothing(staff_client):
    entries = Entry.objects.count()
    response = upload(staff_client, csv_bytes([_row(), _row(name="李志强", ident=ID2)]), dry_run=True)
    assert "文件无误：可导入 2 名专家。" in response.content.decode()
    assert Expert.objects.count() == 0 and Entry.objects.count() == entries


def test_a_file_without_the_required_columns_is_refused(staff_client):
    response = upload(staff_client, csv_bytes([["张建国", ID1]], header=["姓名", "身份证号"]))
    assert "标题行缺少以下列：手机、地区代码、专业。" in response.content.decode()
    assert Expert.objects.count() == 0


def test_a_file_that_is_not_a_workbook_is_refused(staff_client):
    response = upload(staff_client, b"PK\x03\x04 not really a zip", name="x.xlsx")
    assert "该文件不是可读取的 Excel .xlsx 工作簿。" in response.content.decode()


@pytest.mark.parametrize("who", ["tongjiang_staff", "city_regulator"])
def test_county_staff_and_regulators_cannot_import(client, specialties, who, request):
    client.force_login(request.getfixturevalue(who))
    entries = Entry.objects.count()
    assert client.get("/evaluation/experts/import/").status_code == 403
    assert upload(client, csv_bytes([_row()])).status_code == 403
    assert Expert.objects.count() == 0 and Entry.objects.count() == entries
