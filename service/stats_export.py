"""The statistics as an Excel workbook (openpyxl): one sheet per table of the page, the same numbers.

Text cells go through ledger.csvsafe.neutralise: a region or tender title starting with "=" stays text
in Excel, WPS and LibreOffice (OWASP "CSV injection" holds for .xlsx cells too)."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from ledger.csvsafe import neutralise


def yuan(fen):
    return round(fen / 100, 2)


def _rate(value):
    return "" if value is None else value


def _sheet(book, title, header, rows):
    sheet = book.create_sheet(title[:31])
    sheet.append([neutralise(str(h)) for h in header])
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
    return sheet


def tables(data):
    """[(title, header, rows)]: the tables shown under the charts, in page order."""
    amounts = [_("Tenders published"), _("Bids (deadline passed)"), _("Budget (yuan)"), _("Awarded"),
               _("Award amount (yuan)"),
               # xgettext:no-python-format
               _("Savings rate (%)"), _("Failed tenders")]

    def numbers(r):
        return [r["tenders"], r["bids"], yuan(r["budget_fen"]), r["awards"], yuan(r["award_fen"]),
                _rate(r["savings_rate"]), r["failed"]]

    out = [
        (_("By region"), [_("Region"), *amounts, _("Average days from publication to award")],
         [[r["name"], *numbers(r), _rate(r["avg_days_to_award"])] for r in data["by_region"]]),
        (_("By category"), [_("Category"), *amounts], [[r["name"], *numbers(r)] for r in data["by_category"]]),
        (_("By month"), [_("Month"), *amounts], [[r["month"], *numbers(r)] for r in data["by_month"]]),
        (_("Evaluations and green channel"), [_("Statistic"), _("Number")], [
            [_("Evaluation sessions"), data["evaluations"]["sessions"]],
            [_("Remote evaluations (several venues)"), data["evaluations"]["remote"]],
            [_("Cross-county evaluations"), data["evaluations"]["cross_county"]],
            [_("Green-channel projects"), data["green"]["projects"]],
            [_("Days saved by the green channel"), data["green"]["days_saved"]],
        ]),
    ]
    if "failed_tenders" in data:
        out.append((_("List of failed tenders"), [_("Tender code"), _("Title"), _("Reason")],
                    [[f["code"], f["title"], f["reason"]] for f in data["failed_tenders"]]))
    return out


def workbook_bytes(data):
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in tables(data):
        _sheet(book, title, header, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
