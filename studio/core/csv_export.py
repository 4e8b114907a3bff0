"""CSV downloads that spreadsheet programs open as intended."""

import csv

from django.http import HttpResponse


class _SafeWriter:
    """Text that a spreadsheet would run as a formula (“=HYPERLINK(…)”, typed into a name or a reason) stays text."""

    def __init__(self, response):
        self.writer = csv.writer(response)

    def writerow(self, row) -> None:
        self.writer.writerow(_text_cell(cell) if isinstance(cell, str) else cell for cell in row)


def _text_cell(text: str) -> str:
    return f"'{text}" if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def csv_download(filename: str) -> tuple[HttpResponse, _SafeWriter]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a byte order mark: Excel then reads the file as UTF-8 (Chinese names)
    return response, _SafeWriter(response)
