"""The expert pool as a spreadsheet: reading an import file (CSV or .xlsx) and writing an export.

Columns (header row, in any order; the last two only for suspended experts):
姓名, 身份证号, 手机, 工作单位统一社会信用代码, 工作单位名称, 地区代码, 专业, 职称, 状态, 暂停至, 暂停原因.
专业 lists codes (ENG-BLD) or 类别-名称 (工程类-房屋建筑) separated by ";". 状态: 正常, 暂停 or 退出.

Exports carry the last four characters of an ID number only (****1234), so an export can never be
imported back as it is; every cell goes through ledger.csvsafe.neutralise, so a name like `=cmd`
stays text in Excel, WPS and LibreOffice.
"""

import csv
import datetime
import io

from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from ledger.csvsafe import neutralise
from ledger.csvsafe import writer as csv_writer

from .actions.pool import STATUS_WORDS, masked_id

COLUMNS = [
    ("name", "姓名"), ("id_number", "身份证号"), ("phone", "手机"), ("employer_credit_code", "工作单位统一社会信用代码"),
    ("employer_name", "工作单位名称"), ("region", "地区代码"), ("specialties", "专业"), ("title", "职称"),
    ("status", "状态"), ("suspended_until", "暂停至"), ("suspension_reason", "暂停原因"),
]
OPTIONAL = {"suspended_until", "suspension_reason", "title", "employer_credit_code", "employer_name", "status"}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
XLSX_MAGIC = b"PK\x03\x04"


def _bad_file(message):
    return DomainError("bad_file", message, field="file")


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps phone numbers and region codes as numbers
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _date(text):
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


def _csv_rows(data):
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK unless told UTF-8
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _bad_file(_("The file is neither UTF-8 nor GB18030 text."))
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise _bad_file(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


def _xlsx_rows(data):
    # openpyxl reads the sheet XML with lxml (entities not resolved) or expat (which caps entity
    # expansion); the row cap below bounds the work a compressed file can ask for.
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same refusal to the user
        raise _bad_file(_("The file is not an Excel .xlsx workbook that can be read.")) from None
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
    finally:
        book.close()


def read_rows(data):
    """[(line number, raw dict)] from the bytes of a CSV or .xlsx file, or DomainError(bad_file)."""
    if len(data) > MAX_BYTES:
        raise _bad_file(_("The file is larger than 10 MB: split it."))
    rows = iter(_xlsx_rows(data) if data.startswith(XLSX_MAGIC) else _csv_rows(data))
    header = next(rows, None)
    if header is None:
        raise _bad_file(_("The file is empty."))
    by_title = {title: key for key, title in COLUMNS}
    keys = [by_title.get(str(h).strip().lstrip("\ufeff")) for h in header]
    missing = [title for key, title in COLUMNS if key not in keys and key not in OPTIONAL]
    if missing:
        raise _bad_file(_("The header row lacks the columns: %(columns)s.") % {"columns": "、".join(missing)})
    result = []
    for line, cells in enumerate(rows, start=2):
        cells = [_cell_text(c) for c in cells]
        if not any(cells):
            continue
        if len(result) >= MAX_ROWS:
            raise _bad_file(_("At most %(n)s experts per file: split it.") % {"n": MAX_ROWS})
        raw = {key: cells[i] if i < len(cells) else "" for i, key in enumerate(keys) if key}
        if raw.get("suspended_until"):
            raw["suspended_until"] = _date(raw["suspended_until"])
        result.append((line, raw))
    return result


def export_row(expert):
    """One expert as export cells (ID number: last four characters only)."""
    return [
        expert.name, masked_id(expert.id_number), expert.phone,
        expert.employer.credit_code if expert.employer_id else expert.employer_credit_code,
        expert.employer.name if expert.employer_id else expert.employer_name,
        expert.region.code, ";".join(s.code for s in expert.specialties.all()), expert.title,
        STATUS_WORDS[expert.status], expert.suspended_until.isoformat() if expert.suspended_until else "",
        expert.suspension_reason,
    ]


def header_row():
    return [title for _key, title in COLUMNS]


def export_csv(experts):
    """CSV text with a BOM, so that Excel opens it as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv_writer(out)
    w.writerow(header_row())
    for expert in experts:
        w.writerow(export_row(expert))
    return out.getvalue().encode("utf-8")


def export_xlsx(experts):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("专家库")
    sheet.append(header_row())
    for expert in experts:
        # Text cells only (an ID tail or a phone must not become a number), each neutralised.
        sheet.append([neutralise(str(v)) for v in export_row(expert)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
