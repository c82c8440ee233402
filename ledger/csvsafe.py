"""CSV that spreadsheets open as data, never as formulas (OWASP "CSV injection").

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, WPS and
LibreOffice as a formula: a username `=HYPERLINK(…)` in an export would become a live link. Such
cells get a leading single quote, which spreadsheets show as text. Every CSV the platform writes goes
through `writer()`.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The cell as a spreadsheet will show it as text. Only text can carry a formula: numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer with every cell neutralised; writerow returns what the file's write returned
    (the row's text, with an echo file for streaming responses)."""

    def __init__(self, file, *args, **kwargs):
        self._writer = csv.writer(file, *args, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(file, *args, **kwargs) -> SafeWriter:
    return SafeWriter(file, *args, **kwargs)


class Echo:
    """A file whose write returns its argument: `writer(Echo()).writerow(row)` is the row's CSV text,
    to stream a large export row by row (StreamingHttpResponse)."""

    def write(self, value):
        return value
