"""CSV downloads that spreadsheet programs open as intended."""

import csv

from django.http import HttpResponse


class _SafeWriter:
    """Text that a spreadsheet would run as a formula (“=HYPERLINK(…)”, typed into a name or a reason) stays text."""

    def __init__(self, response):
        self.writer = csv.writer(response)

    def writerow(self, row) -> None:
        self.writer.writerow(spreadsheet_safe(cell) for cell in row)


def spreadsheet_safe(cell):
    """A cell as text a spreadsheet shows, not runs: a leading =, +, -, @, tab or return gets a quote first."""
    if isinstance(cell, str) and cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return f"'{cell}"
    return cell


def csv_download(filename: str) -> tuple[HttpResponse, _SafeWriter]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a byte order mark: Excel then reads the file as UTF-8 (Chinese names)
    return response, _SafeWriter(response)
